/** The environment variable through which NodeProcess tells a child its parent's pid (see exit-with-parent.ts). */
export const PARENT_PID_ENV = 'MESH_PARENT_PID';
