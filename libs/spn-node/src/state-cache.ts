import type { SqlRunner } from '@mesh/state';

/**
 * The SPN's committed key/value state in memory (tree key -> value, absent = 0). Plugins read
 * state synchronously from inside Wasm host calls, so reads cannot go to Postgres; the cache is
 * loaded once at start from the state tree's leaves and advanced after each committed block.
 * Its size is bounded by the tree's capacity (2^depth leaves).
 */
/** Versions are unique across every StateCache of the process, so a worker's copy can never be mistaken for another cache's. */
let lastVersion = 0;

export class StateCache {
  private readonly values = new Map<bigint, bigint>();
  private current = ++lastVersion;

  static async load(db: SqlRunner, treeId: string): Promise<StateCache> {
    const cache = new StateCache();
    const rows: { key: string; value: string }[] = await db.query('SELECT key, value FROM state_leaf WHERE tree_id = $1 AND value <> 0', [
      treeId,
    ]);
    for (const row of rows) cache.values.set(BigInt(row.key), BigInt(row.value));
    return cache;
  }

  get(key: bigint): bigint {
    return this.values.get(key) ?? 0n;
  }

  /** Applies a committed block's writes. */
  apply(writes: ReadonlyMap<bigint, bigint>): void {
    for (const [key, value] of writes) {
      if (value === 0n) this.values.delete(key);
      else this.values.set(key, value);
    }
    this.current = ++lastVersion;
  }

  /** Changes with every `apply` (and differs between caches): the parallel executor's workers keep their copies in step with it. */
  get version(): number {
    return this.current;
  }

  /** Every non-zero entry (a worker's starting snapshot). */
  entries(): IterableIterator<[bigint, bigint]> {
    return this.values.entries();
  }

  get size(): number {
    return this.values.size;
  }
}
