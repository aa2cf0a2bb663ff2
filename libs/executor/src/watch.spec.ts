import { describe, expect, it } from 'vitest';
import { watchCounter } from './watch';

describe('watchCounter', () => {
  it('says at once when the counter is no longer what was seen, and gives up after its time otherwise', () => {
    const counter = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(counter, 0, 3);
    expect(watchCounter(counter, 2, 1_000)).toBe(true);
    const began = performance.now();
    expect(watchCounter(counter, 3, 2)).toBe(false);
    expect(performance.now() - began).toBeGreaterThanOrEqual(2);
  });
});
