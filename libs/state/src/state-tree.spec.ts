import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIELD_MODULUS, InvalidInputError } from '@mesh/core';
import { CachedNodeStore } from './cached-node-store';
import { poseidonHasher, type Hasher } from './hasher';
import { MemoryNodeStore } from './memory-node-store';
import { StaleBatchError, StateTree, stepRootAfter, stepRootBefore, TreeFullError, verifyMembership } from './state-tree';
import { leafHash, zeroHashes } from './tree-hashing';

let hasher: Hasher;
beforeAll(async () => {
  hasher = await poseidonHasher();
});

/** Every level of the tree recomputed from scratch (levels[0] = leaf hashes, levels[depth] = [root]). */
function naiveLevels(depth: number, leaves: Map<number, { key: bigint; value: bigint }>): bigint[][] {
  let level: bigint[] = [];
  for (let i = 0; i < 2 ** depth; i++) {
    const leaf = leaves.get(i);
    level.push(leaf ? leafHash(hasher, leaf.key, leaf.value) : 0n);
  }
  const levels = [level];
  while (level.length > 1) {
    const next: bigint[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hasher.hash([level[i], level[i + 1]]));
    levels.push((level = next));
  }
  return levels;
}

/** Root recomputed from scratch over every leaf: the naive reference the tree must agree with. */
function naiveRoot(depth: number, leaves: Map<number, { key: bigint; value: bigint }>): bigint {
  return naiveLevels(depth, leaves)[depth][0];
}

/** Counts the hashes made through it. */
function countingHasher(): Hasher & { count: number } {
  const counter = { count: 0, hash: (inputs: readonly bigint[]) => (counter.count++, hasher.hash(inputs)) };
  return counter;
}

const open = (depth = 4, store = new MemoryNodeStore()) => StateTree.open(store, { depth, hasher });

describe('StateTree', () => {
  it('starts at the root of an empty tree', async () => {
    const tree = await open(4);
    expect(tree.root).toBe(zeroHashes(hasher, 4)[4]);
    expect(tree.root).toBe(naiveRoot(4, new Map()));
  });

  it('matches a from-scratch recomputation after random batches; steps chain their roots and written nodes are final', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.record({ key: fc.integer({ min: 1, max: 12 }), value: fc.integer({ min: 0, max: 3 }) }), { maxLength: 8 }), {
          maxLength: 5,
        }),
        async (batches) => {
          const tree = await open(4);
          const model = new Map<bigint, { index: number; value: bigint }>();
          for (const batch of batches) {
            const before = tree.root;
            const plan = await tree.plan(batch.map((u) => ({ key: BigInt(u.key), value: BigInt(u.value) })));
            await tree.commit(plan);
            expect(plan.oldRoot).toBe(before);
            // Each step's siblings are those of the tree before it: its old leaf leads to the running root.
            let root = before;
            for (const step of plan.steps) {
              expect(stepRootBefore(hasher, step)).toBe(root);
              root = stepRootAfter(hasher, step);
            }
            expect(root).toBe(plan.newRoot);
            for (const u of batch) {
              const known = model.get(BigInt(u.key));
              if (known) known.value = BigInt(u.value);
              else if (u.value !== 0) model.set(BigInt(u.key), { index: model.size, value: BigInt(u.value) });
            }
            const leaves = new Map([...model].map(([key, { index, value }]) => [index, { key, value }]));
            const levels = naiveLevels(4, leaves);
            expect(tree.root).toBe(levels[4][0]);
            // Written: every node on a touched path, once, with its final hash.
            const onPaths = new Set(plan.steps.flatMap((s) => Array.from({ length: 5 }, (_, l) => `${l}:${Math.floor(s.index / 2 ** l)}`)));
            expect(plan.changes.nodes.map((n) => `${n.level}:${n.index}`).sort()).toEqual([...onPaths].sort());
            for (const n of plan.changes.nodes) expect(n.hash).toBe(levels[n.level][n.index]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('hashes each node once when a batch writes leaves in index order (not a full path per update)', async () => {
    const counter = countingHasher();
    const tree = await StateTree.open(new MemoryNodeStore(), { depth: 24, hasher: counter });
    counter.count = 0;
    const result = await tree.update(Array.from({ length: 64 }, (_, i) => ({ key: BigInt(1000 + i), value: BigInt(i + 1) })));
    // 64 leaves + 63 nodes of the 64-leaf subtree + 18 nodes above it; eager rehashing: 64 * 25 = 1,600.
    expect(counter.count).toBe(64 + 63 + 18);
    const zeros = zeroHashes(hasher, 24);
    expect(result.steps[63].siblings.slice(6)).toEqual(zeros.slice(6, 24));
    // Root: the 64-leaf subtree built naively, then hashed up against empty subtrees.
    const leaves = new Map(Array.from({ length: 64 }, (_, i) => [i, { key: BigInt(1000 + i), value: BigInt(i + 1) }]));
    let node = naiveRoot(6, leaves);
    for (let level = 6; level < 24; level++) node = hasher.hash([node, zeros[level]]);
    expect(tree.root).toBe(node);
  });

  it('returns to the empty root when every key is set back to zero', async () => {
    const tree = await open(4);
    await tree.update([
      { key: 7n, value: 1n },
      { key: 8n, value: 2n },
    ]);
    await tree.update([
      { key: 7n, value: 0n },
      { key: 8n, value: 0n },
    ]);
    expect(tree.root).toBe(zeroHashes(hasher, 4)[4]);
    expect(tree.size).toBe(2);
  });

  it('keeps a key at its index after it was zeroed', async () => {
    const tree = await open(4);
    await tree.update([
      { key: 7n, value: 1n },
      { key: 8n, value: 1n },
      { key: 7n, value: 0n },
    ]);
    const result = await tree.update([{ key: 7n, value: 5n }]);
    expect(result.steps[0]).toMatchObject({ index: 0, oldValue: 0n, newValue: 5n });
  });

  it('records both updates of a key written twice in one batch', async () => {
    const tree = await open(4);
    const result = await tree.update([
      { key: 3n, value: 1n },
      { key: 3n, value: 9n },
    ]);
    expect(result.steps.map((s) => [s.index, s.oldValue, s.newValue])).toEqual([
      [0, 0n, 1n],
      [0, 1n, 9n],
    ]);
    expect(await tree.get(3n)).toBe(9n);
  });

  it('yields no step for deleting a key that was never set', async () => {
    const tree = await open(4);
    const result = await tree.update([{ key: 5n, value: 0n }]);
    expect(result.steps).toEqual([]);
    expect(tree.size).toBe(0);
  });

  it('proves membership of set and zeroed keys against the root', async () => {
    const tree = await open(6);
    await tree.update(Array.from({ length: 20 }, (_, i) => ({ key: BigInt(100 + i), value: BigInt(i + 1) })));
    await tree.update([{ key: 105n, value: 0n }]);
    expect((await tree.prove(105n)).value).toBe(0n);
    for (const key of [100n, 105n, 119n]) {
      const proof = await tree.prove(key);
      expect(verifyMembership(hasher, proof, tree.root)).toBe(true);
      expect(verifyMembership(hasher, { ...proof, value: proof.value + 1n }, tree.root)).toBe(false);
    }
    await expect(tree.prove(999n)).rejects.toThrow(/never been set/);
  });

  it('rejects bad input without changing the tree', async () => {
    const tree = await open(2);
    const before = tree.root;
    await expect(tree.update([{ key: FIELD_MODULUS, value: 1n }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(tree.update([{ key: 1n, value: -1n }])).rejects.toThrow(/must not be negative/);
    await expect(tree.update([{ key: '0xZZ', value: 1n }])).rejects.toThrow(/decimal or 0x-hex/);
    await expect(tree.update([1, 2, 3, 4, 5].map((k) => ({ key: BigInt(k), value: 1n })))).rejects.toBeInstanceOf(TreeFullError);
    expect(tree.root).toBe(before);
    expect(tree.size).toBe(0);
    await expect(StateTree.open(new MemoryNodeStore(), { depth: 0, hasher })).rejects.toThrow(/depth/);
  });

  it('refuses to commit a plan made on an older root', async () => {
    const tree = await open(4);
    const stale = await tree.plan([{ key: 1n, value: 1n }]);
    await tree.update([{ key: 2n, value: 2n }]);
    await expect(tree.commit(stale)).rejects.toBeInstanceOf(StaleBatchError);
  });

  it('refuses to reopen a stored tree with another depth', async () => {
    const store = new MemoryNodeStore();
    const tree = await open(4, store);
    await tree.update([{ key: 1n, value: 1n }]);
    await expect(open(5, store)).rejects.toThrow(/depth 4/);
  });

  it('gives the same roots through the cache, including after eviction', async () => {
    const plain = await open(5);
    const cached = await open(5, new CachedNodeStore(new MemoryNodeStore(), 8) as never);
    for (let round = 0; round < 4; round++) {
      const batch = Array.from({ length: 6 }, (_, i) => ({ key: BigInt(((round * 3 + i) % 11) + 1), value: BigInt(round + i) }));
      await plain.update(batch);
      await cached.update(batch);
      expect(cached.root).toBe(plain.root);
    }
  });
});
