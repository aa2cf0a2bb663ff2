import { ExecutionResult, StorageView } from './types';

/**
 * A StorageView over a Map (key hex -> value), with `apply` for a successful call's writes.
 * For tests, benchmarks and tools; an SPN reads its own state instead.
 */
export class MemoryStorage implements StorageView {
  constructor(readonly values = new Map<string, Uint8Array>()) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.values.get(Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex'));
  }

  /** Applies a result's writes (a successful call's; other results carry none). */
  apply(result: Pick<ExecutionResult, 'writes'>): this {
    for (const [key, value] of result.writes) {
      if (value) this.values.set(key, value);
      else this.values.delete(key);
    }
    return this;
  }

  clone(): MemoryStorage {
    return new MemoryStorage(new Map(this.values));
  }
}
