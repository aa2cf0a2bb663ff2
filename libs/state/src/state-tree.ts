import { InvalidInputError, MeshError, NotFoundError, toField, type FieldLike } from '@mesh/core';
import type { Hasher } from './hasher';
import { nodeKey, type LeafRecord, type NodeRef, type NodeStore, type NodeWrite, type SqlRunner, type TreeChanges } from './node-store';
import { leafHash, rootFromPath, zeroHashes } from './tree-hashing';

/** Largest supported depth: leaf indexes must stay exact in a JS number and a Postgres bigint. */
export const MAX_TREE_DEPTH = 48;

export interface StateUpdate {
  key: FieldLike;
  value: FieldLike;
}

/**
 * What the circuit needs for one applied update. The roots around it are not kept (computing them
 * costs a path of hashes per update): `stepRootBefore` / `stepRootAfter` derive them from the step.
 */
export interface UpdateStep {
  index: number;
  key: bigint;
  oldValue: bigint;
  newValue: bigint;
  /** Siblings from level 0 upwards, against the tree as it was before this update. */
  siblings: bigint[];
}

export interface BatchResult {
  oldRoot: bigint;
  newRoot: bigint;
  steps: UpdateStep[];
}

/** A computed but not yet written batch; `StateTree.commit` writes it. */
export interface PlannedBatch extends BatchResult {
  changes: TreeChanges;
}

export interface MembershipProof {
  key: bigint;
  value: bigint;
  index: number;
  siblings: bigint[];
  root: bigint;
}

/** A write was planned against a root the tree no longer has. */
export class StaleBatchError extends MeshError {
  constructor(expected: bigint, actual: bigint) {
    super('STALE_BATCH', `batch was planned on root ${expected} but the tree is at ${actual}`);
  }
}

/** The tree has no free leaf index left for a new key. */
export class TreeFullError extends MeshError {
  constructor(depth: number) {
    super('TREE_FULL', `state tree of depth ${depth} has no free leaf index left`);
  }
}

/**
 * Fixed-depth binary Poseidon Merkle tree of (key, value) leaves. A key gets the next free leaf
 * index the first time it is set to a non-zero value and keeps it for good (setting it to 0
 * empties the leaf). Roots are identical to those the `StateTransition` circuit computes.
 *
 * One writer per tree: `plan` reads, `commit` writes, and a plan is only valid on the root it
 * was computed from.
 */
export class StateTree {
  private constructor(
    private readonly store: NodeStore,
    private readonly hasher: Hasher,
    readonly depth: number,
    private readonly zeros: bigint[],
    private currentRoot: bigint,
    private nextIndex: number,
  ) {}

  /** Opens the tree kept in `store`, creating an empty one of `depth` if the store has none. */
  static async open(store: NodeStore, options: { depth: number; hasher: Hasher }): Promise<StateTree> {
    const { depth, hasher } = options;
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_TREE_DEPTH) {
      throw new InvalidInputError(`tree depth must be an integer from 1 to ${MAX_TREE_DEPTH}, got ${depth}`);
    }
    const zeros = zeroHashes(hasher, depth);
    const meta = await store.loadMeta();
    if (meta && meta.depth !== depth) {
      throw new InvalidInputError(`stored tree has depth ${meta.depth}, asked to open it with depth ${depth}`);
    }
    return new StateTree(store, hasher, depth, zeros, meta?.root ?? zeros[depth], meta?.nextIndex ?? 0);
  }

  get root(): bigint {
    return this.currentRoot;
  }

  /** Number of leaf indexes assigned so far. */
  get size(): number {
    return this.nextIndex;
  }

  get capacity(): number {
    return 2 ** this.depth;
  }

  async get(key: FieldLike): Promise<bigint> {
    const k = toField(key, 'key');
    const leaf = (await this.store.getLeavesByKey([k])).get(k);
    return leaf?.value ?? 0n;
  }

  /** Merkle proof for a key that has a leaf index (its value may be 0). */
  async prove(key: FieldLike): Promise<MembershipProof> {
    const k = toField(key, 'key');
    const leaf = (await this.store.getLeavesByKey([k])).get(k);
    if (!leaf) throw new NotFoundError(`key ${k} has never been set in this tree`);
    const refs = this.siblingRefs(leaf.index);
    const nodes = await this.store.getNodes(refs);
    const siblings = refs.map((r) => nodes.get(nodeKey(r.level, r.index)) ?? this.zeros[r.level]);
    return { key: k, value: leaf.value, index: leaf.index, siblings, root: this.currentRoot };
  }

  /**
   * Computes a batch without writing it: per update the circuit witness (index, old and new
   * value, siblings), and the batch's new root. Updates apply in order; the same key may occur
   * more than once. Setting a never-assigned key to 0 changes nothing and yields no step.
   *
   * Hashing is lazy: an update hashes its leaf and marks the nodes above it dirty; a dirty node
   * is rehashed only when it is read (as a later update's sibling, or for the new root), so
   * path nodes that a later update overwrites before anyone reads them are hashed once, not
   * once per update. The values read are the same as eager rehashing would give.
   */
  async plan(updates: readonly StateUpdate[]): Promise<PlannedBatch> {
    const parsed = updates.map((u, i) => ({ key: toField(u.key, `updates[${i}].key`), value: toField(u.value, `updates[${i}].value`) }));
    const leaves = await this.store.getLeavesByKey([...new Set(parsed.map((u) => u.key))]);

    let nextIndex = this.nextIndex;
    const touched = new Map<bigint, LeafRecord>();
    const ordered: { leaf: LeafRecord; value: bigint }[] = [];
    for (const { key, value } of parsed) {
      let leaf = touched.get(key) ?? leaves.get(key);
      if (!leaf) {
        if (value === 0n) continue;
        if (nextIndex >= this.capacity) throw new TreeFullError(this.depth);
        leaf = { index: nextIndex++, key, value: 0n };
      }
      touched.set(key, leaf);
      ordered.push({ leaf, value });
    }

    const stored = await this.store.getNodes(this.pathRefs([...new Set(ordered.map((o) => o.leaf.index))]));
    const nodes = new LazyNodes(this.hasher, this.depth, this.zeros, stored);

    const steps: UpdateStep[] = [];
    for (const { leaf, value } of ordered) {
      const siblings = this.siblingRefs(leaf.index).map((r) => nodes.get(r.level, r.index));
      nodes.setLeaf(leaf.index, leafHash(this.hasher, leaf.key, value));
      steps.push({ index: leaf.index, key: leaf.key, oldValue: leaf.value, newValue: value, siblings });
      leaf.value = value;
    }
    const root = steps.length > 0 ? nodes.get(this.depth, 0) : this.currentRoot;

    return {
      oldRoot: this.currentRoot,
      newRoot: root,
      steps,
      changes: {
        meta: { depth: this.depth, root, nextIndex },
        nodes: nodes.written(),
        leaves: [...touched.values()].map((l) => ({ ...l })),
      },
    };
  }

  /** Writes a planned batch (inside `tx` when given) and moves the tree to its new root. */
  async commit(batch: PlannedBatch, tx?: SqlRunner): Promise<void> {
    if (batch.oldRoot !== this.currentRoot) throw new StaleBatchError(batch.oldRoot, this.currentRoot);
    await this.store.write(batch.changes, tx);
    this.currentRoot = batch.newRoot;
    this.nextIndex = batch.changes.meta.nextIndex;
  }

  /** Plans and commits in one call. */
  async update(updates: readonly StateUpdate[]): Promise<BatchResult> {
    const batch = await this.plan(updates);
    await this.commit(batch);
    const { changes: _written, ...result } = batch;
    return result;
  }

  /** Re-reads root and size from the store, e.g. after a caller's transaction rolled back. */
  async reload(): Promise<void> {
    const meta = await this.store.loadMeta();
    this.currentRoot = meta?.root ?? this.zeros[this.depth];
    this.nextIndex = meta?.nextIndex ?? 0;
  }

  private siblingRefs(leafIndex: number): NodeRef[] {
    const refs: NodeRef[] = [];
    for (let level = 0; level < this.depth; level++) {
      const onPath = Math.floor(leafIndex / 2 ** level);
      refs.push({ level, index: onPath % 2 === 0 ? onPath + 1 : onPath - 1 });
    }
    return refs;
  }

  /** Every node a batch over these leaves reads: the siblings of each path. */
  private pathRefs(leafIndexes: number[]): NodeRef[] {
    const seen = new Map<string, NodeRef>();
    for (const leafIndex of leafIndexes) {
      for (const ref of this.siblingRefs(leafIndex)) seen.set(nodeKey(ref.level, ref.index), ref);
    }
    return [...seen.values()];
  }
}

/**
 * The nodes of one batch's paths while `plan` applies it. Invariant: a dirty node's parent is
 * dirty too (marking goes up to the root and stops at the first node already dirty; rehashing
 * cleans a node, never its ancestors), so reading the root rehashes every dirty node.
 */
class LazyNodes {
  /** Per level: nodes this batch wrote (a dirty node's entry is stale until it is read). */
  private readonly values: Map<number, bigint>[] = [];
  private readonly dirty: Set<number>[] = [];
  /** Written nodes in first-write order (leaf, then its path upwards, update by update). */
  private readonly order: NodeRef[] = [];

  constructor(
    private readonly hasher: Hasher,
    private readonly depth: number,
    private readonly zeros: readonly bigint[],
    private readonly stored: ReadonlyMap<string, bigint>,
  ) {
    for (let level = 0; level <= depth; level++) {
      this.values.push(new Map());
      this.dirty.push(new Set());
    }
  }

  /** Sets a leaf hash and marks its ancestors dirty; hashes nothing above the leaf. */
  setLeaf(index: number, hash: bigint): void {
    this.touch(0, index);
    this.values[0].set(index, hash);
    for (let level = 1; level <= this.depth; level++) {
      index = Math.floor(index / 2);
      if (this.dirty[level].has(index)) break; // its ancestors are dirty already
      this.touch(level, index);
      this.dirty[level].add(index);
    }
  }

  /** Current hash of a node, rehashing it (and its dirty descendants) first if it is dirty. */
  get(level: number, index: number): bigint {
    if (this.dirty[level].has(index)) {
      const hash = this.hasher.hash([this.get(level - 1, 2 * index), this.get(level - 1, 2 * index + 1)]);
      this.values[level].set(index, hash);
      this.dirty[level].delete(index);
      return hash;
    }
    return this.values[level].get(index) ?? this.stored.get(nodeKey(level, index)) ?? this.zeros[level];
  }

  /** Every node the batch wrote with its final hash; rehashes whatever is still dirty. */
  written(): NodeWrite[] {
    return this.order.map(({ level, index }) => ({ level, index, hash: this.get(level, index) }));
  }

  private touch(level: number, index: number): void {
    if (!this.values[level].has(index)) {
      this.order.push({ level, index });
      this.values[level].set(index, this.zeros[level]); // placeholder: the node is set or dirty right after
    }
  }
}

/**
 * The root a step starts from: its old leaf hashed up its siblings (a path of hashes; chunk
 * statements need roots only at chunk boundaries).
 */
export function stepRootBefore(hasher: Hasher, step: UpdateStep): bigint {
  return rootFromPath(hasher, leafHash(hasher, step.key, step.oldValue), step.index, step.siblings);
}

/** The root a step leads to: its new leaf hashed up its siblings. */
export function stepRootAfter(hasher: Hasher, step: UpdateStep): bigint {
  return rootFromPath(hasher, leafHash(hasher, step.key, step.newValue), step.index, step.siblings);
}

/** Checks a membership proof against a root. */
export function verifyMembership(hasher: Hasher, proof: MembershipProof, root: bigint): boolean {
  return rootFromPath(hasher, leafHash(hasher, proof.key, proof.value), proof.index, proof.siblings) === root;
}
