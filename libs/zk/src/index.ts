export * from './errors';
export * from './profiles';
export * from './build';
export * from './chunk';
export * from './proof';
export * from './prover';
export * from './verifier';
