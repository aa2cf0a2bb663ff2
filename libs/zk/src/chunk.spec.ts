import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryNodeStore, poseidonHasher, StateTree, stepRootAfter, stepRootBefore, type Hasher, type UpdateStep } from '@mesh/state';
import { chunkCircuitInput, chunkSteps, explainInvalidChunk, statementSignals } from './chunk';
import type { CircuitProfile } from './profiles';

const profile: CircuitProfile = { name: 'unit', depth: 6, chunkSize: 2, description: '' };
let hasher: Hasher;
let steps: UpdateStep[];
let preRoot: bigint;
let postRoot: bigint;

beforeAll(async () => {
  hasher = await poseidonHasher();
  const tree = await StateTree.open(new MemoryNodeStore(), { depth: profile.depth, hasher });
  await tree.update([{ key: 1n, value: 1n }]);
  const plan = await tree.plan([
    { key: 1n, value: 2n },
    { key: 2n, value: 3n },
    { key: 3n, value: 4n },
  ]);
  ({ steps, oldRoot: preRoot, newRoot: postRoot } = plan);
});

describe('chunkSteps', () => {
  it('cuts steps into chunks of K whose roots chain and whose positions seed the diff hash', () => {
    const chunks = chunkSteps(hasher, steps, 2, preRoot);
    expect(chunks.map((c) => c.steps.length)).toEqual([2, 1]);
    expect(chunks[0].statement.oldRoot).toBe(preRoot);
    expect(chunks[0].statement.newRoot).toBe(stepRootAfter(hasher, steps[1]));
    expect(chunks[0].statement.newRoot).toBe(stepRootBefore(hasher, steps[2]));
    expect(chunks[0].statement.newRoot).toBe(chunks[1].statement.oldRoot);
    expect(chunks[1].statement.newRoot).toBe(postRoot);
    expect(chunks.map((c) => c.statement.chunkIndex)).toEqual([0, 1]);
    // Same updates at another position hash differently: a chunk cannot be moved within its batch.
    const moved = chunkSteps(hasher, [steps[2]], 2, chunks[1].statement.oldRoot)[0];
    expect(moved.statement.diffHash).not.toBe(chunks[1].statement.diffHash);
  });

  it('chains roots across chunks of any size', () => {
    for (const k of [1, 3, 8]) {
      const chunks = chunkSteps(hasher, steps, k, preRoot);
      expect(chunks[0].statement.oldRoot).toBe(preRoot);
      for (let i = 1; i < chunks.length; i++) expect(chunks[i].statement.oldRoot).toBe(chunks[i - 1].statement.newRoot);
      expect(chunks[chunks.length - 1].statement.newRoot).toBe(postRoot);
      for (const chunk of chunks) expect(explainInvalidChunk(hasher, { ...profile, chunkSize: k }, chunk)).toBeUndefined();
    }
  });

  it('gives no chunk for a batch without updates', () => {
    expect(chunkSteps(hasher, [], 2, preRoot)).toEqual([]);
  });

  it('requires the pre-state root', () => {
    expect(() => chunkSteps(hasher, steps, 2, undefined as never)).toThrow(/pre-state root/);
  });

  it('gives a chunk that explainInvalidChunk rejects when the steps do not start at preRoot', () => {
    const [chunk] = chunkSteps(hasher, steps, 2, postRoot);
    expect(explainInvalidChunk(hasher, profile, chunk)).toMatch(/running root/);
  });
});

describe('explainInvalidChunk', () => {
  it('accepts consistent chunks', () => {
    for (const chunk of chunkSteps(hasher, steps, 2, preRoot)) expect(explainInvalidChunk(hasher, profile, chunk)).toBeUndefined();
  });

  it('names what is wrong', () => {
    const [chunk] = chunkSteps(hasher, steps, 2, preRoot);
    const s = chunk.statement;
    expect(explainInvalidChunk(hasher, profile, { ...chunk, statement: { ...s, oldRoot: s.oldRoot + 1n } })).toMatch(/running root/);
    expect(explainInvalidChunk(hasher, profile, { ...chunk, statement: { ...s, newRoot: 5n } })).toMatch(/claimed newRoot/);
    expect(explainInvalidChunk(hasher, profile, { ...chunk, statement: { ...s, diffHash: 5n } })).toMatch(/claimed diffHash/);
    expect(explainInvalidChunk(hasher, profile, { ...chunk, statement: { ...s, chunkIndex: 1 } })).toMatch(/claimed diffHash/);
    expect(explainInvalidChunk(hasher, profile, { ...chunk, steps: steps })).toMatch(/at most 2/);
    const shortPath = { ...chunk, steps: [{ ...chunk.steps[0], siblings: chunk.steps[0].siblings.slice(1) }] };
    expect(explainInvalidChunk(hasher, profile, shortPath)).toMatch(/5 siblings, the tree depth is 6/);
  });
});

describe('chunkCircuitInput', () => {
  it('pads unused slots with disabled zero updates', () => {
    const [, last] = chunkSteps(hasher, steps, 2, preRoot);
    const input = chunkCircuitInput(profile, last);
    expect(input.enabled).toEqual(['1', '0']);
    expect(input.key).toEqual([String(steps[2].key), '0']);
    expect((input.siblings as string[][])[1]).toEqual(Array(profile.depth).fill('0'));
    expect([input.oldRoot, input.newRoot, input.diffHash, input.chunkIndex]).toEqual(statementSignals(last.statement));
  });
});
