export * from './engine';
export * from './declared-keys';
export * from './mv-memory';
export * from './protocol';
export * from './worker-pool';
export * from './parallel-executor';
export * from './speed-choice';
