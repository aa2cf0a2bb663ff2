import { describe, expect, it } from 'vitest';
import { claimTxs } from './claims';

const counter = (next: number, limit: number) => new Int32Array(new SharedArrayBuffer(8)).fill(next, 0, 1).fill(limit, 1, 2);

describe('claimTxs', () => {
  it('claims consecutive txs up to the size, the limit and what the claimer has', () => {
    const c = counter(0, 10);
    expect(claimTxs(c, 20, 20, () => 4)).toEqual({ start: 0, count: 4 });
    expect(claimTxs(c, 20, 6, () => 4)).toEqual({ start: 4, count: 2 }); // only 6 txs received
    expect(claimTxs(c, 20, 6, () => 4)).toBe('wait');
    expect(claimTxs(c, 20, 20, () => 8)).toEqual({ start: 6, count: 4 }); // the limit, 10
    expect(claimTxs(c, 20, 20, () => 8)).toBe('wait');
    Atomics.store(c, 1, 20);
    expect(claimTxs(c, 20, 20, () => 100)).toEqual({ start: 10, count: 10 });
    expect(claimTxs(c, 20, 20, () => 1)).toBe('drained');
    expect(Array.from(c)).toEqual([20, 20]);
  });
});
