export * from './errors';
export * from './field';
