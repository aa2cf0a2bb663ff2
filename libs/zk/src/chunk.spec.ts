import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryNodeStore, poseidonHasher, StateTree, type Hasher, type UpdateStep } from '@mesh/state';
import { chunkCircuitInput, chunkSteps, explainInvalidChunk, statementSignals } from './chunk';
import type { CircuitProfile } from './profiles';

const profile: CircuitProfile = { name: 'unit', depth: 6, chunkSize: 2, description: '' };
let hasher: Hasher;
let steps: UpdateStep[];

beforeAll(async () => {
  hasher = await poseidonHasher();
  const tree = await StateTree.open(new MemoryNodeStore(), { depth: profile.depth, hasher });
  await tree.update([{ key: 1n, value: 1n }]);
  steps = (
    await tree.plan([
      { key: 1n, value: 2n },
      { key: 2n, value: 3n },
      { key: 3n, value: 4n },
    ])
  ).steps;
});

describe('chunkSteps', () => {
  it('cuts steps into chunks of K whose roots chain and whose positions seed the diff hash', () => {
    const chunks = chunkSteps(hasher, steps, 2);
    expect(chunks.map((c) => c.steps.length)).toEqual([2, 1]);
    expect(chunks[0].statement.oldRoot).toBe(steps[0].rootBefore);
    expect(chunks[0].statement.newRoot).toBe(chunks[1].statement.oldRoot);
    expect(chunks[1].statement.newRoot).toBe(steps[2].rootAfter);
    expect(chunks.map((c) => c.statement.chunkIndex)).toEqual([0, 1]);
    // Same updates at another position hash differently: a chunk cannot be moved within its batch.
    const moved = chunkSteps(hasher, [steps[2]], 2)[0];
    expect(moved.statement.diffHash).not.toBe(chunks[1].statement.diffHash);
  });

  it('gives no chunk for a batch without updates', () => {
    expect(chunkSteps(hasher, [], 2)).toEqual([]);
  });
});

describe('explainInvalidChunk', () => {
  it('accepts consistent chunks', () => {
    for (const chunk of chunkSteps(hasher, steps, 2)) expect(explainInvalidChunk(hasher, profile, chunk)).toBeUndefined();
  });

  it('names what is wrong', () => {
    const [chunk] = chunkSteps(hasher, steps, 2);
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
    const [, last] = chunkSteps(hasher, steps, 2);
    const input = chunkCircuitInput(profile, last);
    expect(input.enabled).toEqual(['1', '0']);
    expect(input.key).toEqual([String(steps[2].key), '0']);
    expect((input.siblings as string[][])[1]).toEqual(Array(profile.depth).fill('0'));
    expect([input.oldRoot, input.newRoot, input.diffHash, input.chunkIndex]).toEqual(statementSignals(last.statement));
  });
});
