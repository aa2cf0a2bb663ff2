export * from './errors';
export * from './types';
export * from './gas';
export { HOST_IMPORTS, MAX_KEY_BYTES, MAX_VALUE_BYTES, encodeArgs } from './abi';
export { PreparedPlugin, WasmRuntime, WasmRuntimeOptions } from './runtime';
export { MemoryStorage } from './memory-storage';
