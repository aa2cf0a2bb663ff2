export * from './http';
export * from './spn-client';
export * from './mainnet-client';
