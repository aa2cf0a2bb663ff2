import { nodeKey, type LeafRecord, type NodeRef, type NodeStore, type TreeChanges, type TreeMeta } from './node-store';

/** A NodeStore in process memory: the reference store for tests and throw-away trees. */
export class MemoryNodeStore implements NodeStore {
  private meta: TreeMeta | undefined;
  private readonly nodes = new Map<string, bigint>();
  private readonly leavesByKey = new Map<bigint, LeafRecord>();

  async loadMeta(): Promise<TreeMeta | undefined> {
    return this.meta && { ...this.meta };
  }

  async getNodes(refs: readonly NodeRef[]): Promise<Map<string, bigint>> {
    const found = new Map<string, bigint>();
    for (const { level, index } of refs) {
      const key = nodeKey(level, index);
      const hash = this.nodes.get(key);
      if (hash !== undefined) found.set(key, hash);
    }
    return found;
  }

  async getLeavesByKey(keys: readonly bigint[]): Promise<Map<bigint, LeafRecord>> {
    const found = new Map<bigint, LeafRecord>();
    for (const key of keys) {
      const leaf = this.leavesByKey.get(key);
      if (leaf) found.set(key, { ...leaf });
    }
    return found;
  }

  async write(changes: TreeChanges): Promise<void> {
    for (const n of changes.nodes) this.nodes.set(nodeKey(n.level, n.index), n.hash);
    for (const leaf of changes.leaves) this.leavesByKey.set(leaf.key, { ...leaf });
    this.meta = { ...changes.meta };
  }
}
