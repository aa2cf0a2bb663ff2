/** Persistent shape of one tree: its depth, current root and the next unassigned leaf index. */
export interface TreeMeta {
  depth: number;
  root: bigint;
  nextIndex: number;
}

/** The key a leaf index was assigned to, and the key's current value (0 = absent). */
export interface LeafRecord {
  index: number;
  key: bigint;
  value: bigint;
}

/** A node of the tree: level 0 holds leaf hashes, level `depth` the root. */
export interface NodeRef {
  level: number;
  index: number;
}

export interface NodeWrite extends NodeRef {
  hash: bigint;
}

/** Everything one batch changes, written atomically. */
export interface TreeChanges {
  meta: TreeMeta;
  nodes: NodeWrite[];
  leaves: LeafRecord[];
}

/** Minimal SQL surface (a TypeORM DataSource, EntityManager or QueryRunner all fit). */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/**
 * Storage of one tree's nodes and leaves. Absent nodes are empty subtrees. Reads are batched:
 * the tree asks for every node a batch touches in one call.
 */
export interface NodeStore {
  loadMeta(): Promise<TreeMeta | undefined>;
  /** Stored hashes of the requested nodes; nodes never written are absent from the map. */
  getNodes(refs: readonly NodeRef[]): Promise<Map<string, bigint>>;
  /** Leaf records of the keys that have an index; unassigned keys are absent from the map. */
  getLeavesByKey(keys: readonly bigint[]): Promise<Map<bigint, LeafRecord>>;
  /**
   * Writes a batch atomically. With `tx`, the writes join the caller's open transaction (so a
   * block and its state commit together); without it the store opens its own.
   */
  write(changes: TreeChanges, tx?: SqlRunner): Promise<void>;
}

export function nodeKey(level: number, index: number): string {
  return `${level}:${index}`;
}
