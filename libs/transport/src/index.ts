export * from './patterns';
export * from './errors';
export * from './transport-config';
export * from './mainnet-client';
export * from './nest/http-errors';
export * from './grpc/admin-wire';
export * from './grpc/mainnet-admin-client';
