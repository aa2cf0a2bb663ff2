export * from './errors';
export * from './field';
export * from './address';
export * from './canonical-json';
export * from './signing-domain';
export * from './wasm-tx';
export * from './settlement';
export * from './spn-views';
