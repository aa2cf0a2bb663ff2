import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Root of the content-addressed artifact cache, outside the repository so that every clone on
 * the machine shares it: $MESH_CACHE_DIR, else $XDG_CACHE_HOME/rollup-mesh, else ~/.cache/rollup-mesh.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MESH_CACHE_DIR) return env.MESH_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rollup-mesh');
}
