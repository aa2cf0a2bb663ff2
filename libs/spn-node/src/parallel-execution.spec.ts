import { describe, expect, it } from 'vitest';
import { describeReport } from './parallel-execution';

describe('describeReport (the block log line)', () => {
  it('says how a block ran: serially and why, or in parallel with its re-executions and split pieces', () => {
    expect(describeReport({ mode: 'serial', reason: 'small block (3 txs < 64)' })).toBe('serial (small block (3 txs < 64))');
    expect(describeReport({ mode: 'parallel', stats: { txs: 9, executions: 10, reexecutions: 1, mode: 'parallel' } })).toBe(
      'parallel, 1 re-execution',
    );
    expect(
      describeReport({
        mode: 'parallel',
        stats: { txs: 200, executions: 200, reexecutions: 0, mode: 'parallel', split: { pieces: 4, slowestPieceMs: 2.26, workerMs: [2.26], workerTxs: [89], stolen: 31 } },
      }),
    ).toBe('parallel, 0 re-executions, split in 4 pieces (slowest 2.3 ms, 31 txs taken from the workers)');
    expect(
      describeReport({
        mode: 'parallel+serial-tail',
        stats: {
          txs: 200,
          executions: 300,
          reexecutions: 100,
          mode: 'parallel+serial-tail',
          split: { pieces: 2, slowestPieceMs: 1, workerMs: [1, 0.9], workerTxs: [100, 100], conflictAt: 100 },
        },
      }),
    ).toBe('parallel+serial-tail, 100 re-executions, split in 2 pieces (slowest 1.0 ms)');
  });
});
