import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { MAX_PIECE_TX, PieceCell } from './piece-cell';

describe('PieceCell', () => {
  it('hands the worker its txs in order until the coordinator took the tail', () => {
    const cell = PieceCell.create(100, 110);
    expect([cell.take(), cell.take()]).toEqual([100, 101]);
    expect(cell.remaining()).toBe(8);
    expect(cell.stealTail(0.5)).toEqual({ start: 106, end: 110 });
    expect(cell.stealTail(0.5)).toEqual({ start: 104, end: 106 });
    expect([cell.take(), cell.take(), cell.take()]).toEqual([102, 103, -1]);
    expect(cell.stealTail(0.5)).toBeUndefined();
    expect(cell.remaining()).toBe(0);
  });

  it('steals at least one tx, and the worker takes none after the last one is stolen', () => {
    const cell = PieceCell.create(0, 3);
    expect(cell.stealTail(0)).toEqual({ start: 2, end: 3 });
    expect(cell.stealTail(1)).toEqual({ start: 0, end: 2 });
    expect(cell.take()).toBe(-1);
  });

  it('works across the 16-bit halves (txs above 32767)', () => {
    const cell = PieceCell.create(MAX_PIECE_TX - 4, MAX_PIECE_TX);
    expect(cell.take()).toBe(MAX_PIECE_TX - 4);
    expect(cell.stealTail(0.5)).toEqual({ start: MAX_PIECE_TX - 2, end: MAX_PIECE_TX });
    expect([cell.take(), cell.take(), cell.take()]).toEqual([MAX_PIECE_TX - 3, -1, -1]);
  });

  it('refuses ranges it cannot hold', () => {
    expect(() => PieceCell.create(0, MAX_PIECE_TX + 1)).toThrow(RangeError);
    expect(() => PieceCell.create(5, 4)).toThrow(RangeError);
  });

  it('every tx goes to exactly one side when a worker thread takes while this thread steals', async () => {
    const { Worker } = await import('node:worker_threads');
    let raced = 0;
    for (let round = 0; round < 20; round++) {
      const cell = PieceCell.create(0, 5_000);
      // The worker side runs the module itself (through tsx's require hook, as the executor's workers do from sources).
      const taker = new Worker(
        `require('tsx/cjs/api').register();
         const { parentPort, workerData } = require('node:worker_threads');
         const { PieceCell } = require(workerData.module);
         const cell = new PieceCell(workerData.buffer);
         const got = [];
         for (let t = cell.take(); t >= 0; t = cell.take()) {
           got.push(t);
           for (const until = performance.now() + 0.002; performance.now() < until; ); // ~2 µs of "work" per tx
         }
         parentPort.postMessage(got);`,
        { eval: true, workerData: { module: join(__dirname, 'piece-cell.ts'), buffer: cell.buffer } },
      );
      const stolen: number[] = [];
      // Steal only once the worker is taking, so both race for the same cell.
      for (const until = Date.now() + 10_000; cell.remaining() === 5_000 && Date.now() < until;);
      for (let r = cell.stealTail(0.01); r !== undefined; r = cell.stealTail(0.01)) for (let t = r.start; t < r.end; t++) stolen.push(t);
      const taken = await new Promise<number[]>((resolve) => taker.once('message', resolve));
      await taker.terminate();
      // The worker's part is contiguous from the start; together they cover every tx once.
      expect(taken).toEqual(Array.from({ length: taken.length }, (_, i) => i));
      expect([...taken, ...stolen].sort((a, b) => a - b)).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
      raced += taken.length > 0 && stolen.length > 0 ? 1 : 0;
    }
    expect(raced).toBeGreaterThan(0);
  });
});
