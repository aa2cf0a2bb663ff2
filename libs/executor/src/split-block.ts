/**
 * The split first pass of a block (ParallelExecutorOptions.splitFirst): the block is cut into one
 * contiguous piece per worker; each worker runs its piece straight through against committed
 * state (a tx reads the piece's earlier writes, else committed state: no multi-version memory, no
 * per-tx report, one message per piece). The pieces are then checked in block order: a piece that
 * read from committed state a key an earlier piece wrote saw a state serial execution would not
 * have shown it, so it and every later piece run again, in this thread, over the earlier pieces'
 * writes (a serial tail). An execution is a function of the values it read (the TxEngine
 * contract), so the results are those of serial execution; data a tx shares (deployed code) is
 * reached through keys too (the account's code hash), and the tail's engine receives the earlier
 * pieces' before it runs. A block without a conflict costs the workers one message each way.
 */
import type { TxResult } from './engine';
import { runInOrder, SerialNeeded } from './in-order';
import type { ParallelExecutor, RunOutcome, RunStats, SnapshotState } from './parallel-executor';
import { decodeExecuted, type FromWorker } from './protocol';
import type { ExecWorker } from './worker-pool';

type Done = Extract<FromWorker, { type: 'done' }>;

export async function runSplitBlock(
  exec: ParallelExecutor,
  blockId: number,
  block: unknown,
  txs: readonly unknown[],
  state: SnapshotState,
  workers: readonly ExecWorker[],
): Promise<RunOutcome> {
  const n = txs.length;
  const per = Math.ceil(n / workers.length);
  const pieces: (Done | undefined)[] = new Array(workers.length);
  const stats = (executions = 0, serialFrom?: number): RunStats => ({
    txs: n,
    executions,
    reexecutions: Math.max(0, executions - n),
    mode: serialFrom === undefined ? 'parallel' : 'parallel+serial-tail',
    ...(serialFrom === undefined ? {} : { serialFrom }),
    split: {
      pieces: workers.length,
      slowestPieceMs: Math.max(0, ...pieces.map((p) => p?.piece?.loopMs ?? 0)),
      ...(serialFrom === undefined ? {} : { conflictAt: serialFrom }),
    },
  });
  const arrived = await new Promise<Done[] | string>((resolve) => {
    let waiting = 0;
    exec.listen(
      (_w, msg) => {
        if (msg.type !== 'done' || msg.blockId !== blockId || msg.piece === undefined) return;
        pieces[Math.floor(msg.piece.start / per)] = msg;
        if (--waiting === 0) resolve(pieces.filter((p): p is Done => p !== undefined));
      },
      (_w, reason) => {
        exec.dropDead();
        resolve(`execution worker crashed mid-block (${reason}); block re-run serially`);
      },
    );
    workers.forEach((w, j) => {
      const start = Math.min(n, j * per);
      const end = Math.min(n, start + per);
      if (start >= end) return;
      waiting++;
      w.tasks++;
      w.post({ type: 'piece', blockId, start, end });
    });
  });
  exec.listen(
    () => undefined,
    () => undefined,
  );
  if (typeof arrived === 'string') return { kind: 'serial', reason: arrived, stats: stats() };

  const results: TxResult[] = [];
  const written = new Set<bigint>();
  for (const piece of arrived) {
    if (piece.failed !== undefined) return { kind: 'serial', reason: `engine failure in a worker: ${piece.failed}`, stats: stats() };
    const { start, committedReads } = piece.piece!;
    if (committedReads.some((key) => written.has(key))) return serialTail(exec, block, txs, state, start, results, stats);
    for (const e of decodeExecuted(piece.executed)) {
      if (e.serialOnly !== undefined) return { kind: 'serial', reason: `tx ${e.tx}: ${e.serialOnly}`, stats: stats() };
      results.push({ writes: e.writes, output: e.output, ...(e.shared === undefined ? {} : { shared: e.shared }) });
      for (const key of e.writes.keys()) written.add(key);
    }
  }
  return { kind: 'parallel', results, stats: stats(n) };
}

/** Txs `from`..n-1 run again in this thread over the earlier pieces' results. */
async function serialTail(
  exec: ParallelExecutor,
  block: unknown,
  txs: readonly unknown[],
  state: SnapshotState,
  from: number,
  prefix: TxResult[],
  stats: (executions: number, serialFrom?: number) => RunStats,
): Promise<RunOutcome> {
  const n = txs.length;
  try {
    const engine = await exec.localEngine();
    await engine.beginBlock(block, txs);
    const tail = await runInOrder(engine, state, n, from, prefix);
    return { kind: 'parallel', results: [...prefix, ...tail], stats: stats(n + (n - from), from) };
  } catch (err) {
    const reason = err instanceof SerialNeeded ? err.message : `engine failure: ${(err as Error)?.message ?? String(err)}`;
    return { kind: 'serial', reason, stats: stats(n) };
  }
}
