export * from './build-profile';
export * from './cache-dir';
export * from './progress';
export { releaseCurve } from './snarkjs-curves';
export { packageDir } from './files';
