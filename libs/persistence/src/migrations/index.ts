import { InitStateTree1732449600000 } from './1732449600000-init-state-tree';

/** Every migration, oldest first. Listed as classes (not globs) so TS sources and dist both work. */
export const migrations = [InitStateTree1732449600000];
