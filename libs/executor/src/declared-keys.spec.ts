import { describe, expect, it } from 'vitest';
import { declaredDependencies } from './declared-keys';

describe('declaredDependencies', () => {
  it('a tx waits for the last earlier tx that declared a write of a key it touches, once per tx', () => {
    const { deps, edges, longestChain } = declaredDependencies([
      { reads: [], writes: [1n, 2n] }, // 0
      { reads: [1n], writes: [3n] }, // 1: reads 1 (tx 0)
      { reads: [5n], writes: [2n, 1n] }, // 2: touches 1 and 2, both last written by tx 0: one edge
      { reads: [1n, 3n], writes: [] }, // 3: 1 last written by tx 2, 3 by tx 1
      { reads: [9n], writes: [9n] }, // 4: nobody wrote 9
    ]);
    expect(deps).toEqual([undefined, [0], [0], [2, 1], undefined]);
    expect(edges).toBe(4);
    expect(longestChain).toBe(3); // 0 -> 2 -> 3
  });

  it('reads alone create no dependency; a tx never waits for itself; undeclared txs neither wait nor are waited for', () => {
    const { deps, edges } = declaredDependencies([
      { reads: [1n], writes: [] },
      { reads: [1n], writes: [] },
      undefined,
      { reads: [], writes: [4n, 4n] },
      { reads: [4n], writes: [] },
    ]);
    expect(deps).toEqual([undefined, undefined, undefined, undefined, [3]]);
    expect(edges).toBe(1);
    expect(declaredDependencies([undefined, undefined])).toEqual({ deps: [undefined, undefined], edges: 0, longestChain: 0 });
    // One hot key: every tx on one chain.
    expect(declaredDependencies(Array.from({ length: 5 }, () => ({ reads: [], writes: [7n] }))).longestChain).toBe(5);
  });
});
