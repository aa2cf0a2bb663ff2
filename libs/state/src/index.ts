export * from './hasher';
export * from './tree-hashing';
export * from './node-store';
export * from './memory-node-store';
export * from './pg-node-store';
export * from './cached-node-store';
export * from './state-tree';
