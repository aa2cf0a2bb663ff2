export * from './evm-state-keys';
export * from './evm-state-manager';
export * from './evm-engine';
export * from './genesis';
export * from './parallel/evm-tx-engine';
export * from './parallel/evm-block-assembly';
export * from './parallel/evm-declared-keys';
