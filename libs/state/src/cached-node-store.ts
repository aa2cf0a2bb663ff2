import { nodeKey, type LeafRecord, type NodeRef, type NodeStore, type SqlRunner, type TreeChanges, type TreeMeta } from './node-store';

/**
 * An in-memory read cache in front of another NodeStore (normally PgNodeStore). Nodes and leaves
 * are cached on read and on write; the least recently used entries are evicted past `maxEntries`.
 * The cache is updated only after the backing write returned: when that write joined a caller's
 * transaction which then rolled back, the caller must call `invalidate()`.
 */
export class CachedNodeStore implements NodeStore {
  private readonly nodes = new Map<string, bigint | null>();
  private readonly leaves = new Map<bigint, LeafRecord>();

  constructor(
    private readonly backing: NodeStore,
    private readonly maxEntries = 1_000_000,
  ) {}

  loadMeta(): Promise<TreeMeta | undefined> {
    return this.backing.loadMeta();
  }

  async getNodes(refs: readonly NodeRef[]): Promise<Map<string, bigint>> {
    const found = new Map<string, bigint>();
    const misses: NodeRef[] = [];
    for (const ref of refs) {
      const key = nodeKey(ref.level, ref.index);
      const cached = this.touch(this.nodes, key);
      if (cached === undefined) misses.push(ref);
      else if (cached !== null) found.set(key, cached);
    }
    if (misses.length > 0) {
      const loaded = await this.backing.getNodes(misses);
      for (const ref of misses) {
        const key = nodeKey(ref.level, ref.index);
        const hash = loaded.get(key);
        this.remember(this.nodes, key, hash ?? null);
        if (hash !== undefined) found.set(key, hash);
      }
    }
    return found;
  }

  async getLeavesByKey(keys: readonly bigint[]): Promise<Map<bigint, LeafRecord>> {
    const found = new Map<bigint, LeafRecord>();
    const misses: bigint[] = [];
    for (const key of keys) {
      const cached = this.touch(this.leaves, key);
      if (cached) found.set(key, { ...cached });
      else misses.push(key);
    }
    if (misses.length > 0) {
      const loaded = await this.backing.getLeavesByKey(misses);
      for (const [key, leaf] of loaded) {
        this.remember(this.leaves, key, leaf);
        found.set(key, { ...leaf });
      }
    }
    return found;
  }

  async write(changes: TreeChanges, tx?: SqlRunner): Promise<void> {
    await this.backing.write(changes, tx);
    for (const n of changes.nodes) this.remember(this.nodes, nodeKey(n.level, n.index), n.hash);
    for (const leaf of changes.leaves) this.remember(this.leaves, leaf.key, { ...leaf });
  }

  invalidate(): void {
    this.nodes.clear();
    this.leaves.clear();
  }

  private touch<K, V>(map: Map<K, V>, key: K): V | undefined {
    const value = map.get(key);
    if (value !== undefined) {
      map.delete(key);
      map.set(key, value);
    }
    return value;
  }

  private remember<K, V>(map: Map<K, V>, key: K, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.maxEntries) map.delete(map.keys().next().value as K);
  }
}
