export * from './node-process';
export * from './dev-accounts';
export * from './devnet';
export * from './dev-token';
