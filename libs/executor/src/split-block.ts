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
import type { TxEngine, TxResult } from './engine';
import { runInOrder, runRange, SerialNeeded } from './in-order';
import type { ParallelExecutor, RunOutcome, RunStats, SnapshotState } from './parallel-executor';
import { MAX_PIECE_TX, PieceCell } from './piece-cell';
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
  coordinatorShare = 0,
): Promise<RunOutcome> {
  const n = txs.length;
  // This thread's piece is txs 0 .. own - 1 (none by default); the workers' pieces follow, equal in size.
  const own = Math.floor(n * coordinatorShare);
  const per = Math.ceil((n - own) / workers.length);
  // When this thread runs a share, it then takes the tails of the workers' pieces that are not
  // started yet (PieceCell), so all threads finish about together whatever their speed.
  const stealing = own > 0 && n <= MAX_PIECE_TX;
  const busy = workers
    .map((w, j) => {
      const start = Math.min(n, own + j * per);
      const end = Math.min(n, start + per);
      return { w, start, end, cell: stealing ? PieceCell.create(start, end) : undefined };
    })
    .filter((b) => b.start < b.end);
  const fromWorkers: Done[] = [];
  const local: LocalPiece[] = [];
  let ownMs = 0;
  const stats = (executions = 0, serialFrom?: number): RunStats => ({
    txs: n,
    executions,
    reexecutions: Math.max(0, executions - n),
    mode: serialFrom === undefined ? 'parallel' : 'parallel+serial-tail',
    ...(serialFrom === undefined ? {} : { serialFrom }),
    split: {
      pieces: fromWorkers.length + local.length,
      slowestPieceMs: Math.max(ownMs, ...fromWorkers.map((p) => p.piece?.loopMs ?? 0)),
      ...(stealing ? { stolen: local.reduce((sum, p) => sum + (p.start >= own ? p.end - p.start : 0), 0) } : {}),
      ...(serialFrom === undefined ? {} : { conflictAt: serialFrom }),
    },
  });
  const arriving = new Promise<string | undefined>((resolve) => {
    let waiting = busy.length;
    exec.listen(
      (_w, msg) => {
        if (msg.type !== 'done' || msg.blockId !== blockId || msg.piece === undefined) return;
        fromWorkers.push(msg);
        if (--waiting === 0) resolve(undefined);
      },
      (_w, reason) => {
        exec.dropDead();
        resolve(`execution worker crashed mid-block (${reason}); block re-run serially`);
      },
    );
    // Each worker gets its own piece's txs only (cloned for it alone: no worker deserialises the others').
    for (const { w, start, end } of busy) w.post({ type: 'begin', blockId, block, txs: txs.slice(start, end), total: n, offset: start });
    exec.postCrashPlan();
    for (const { w, start, end, cell } of busy) {
      w.tasks++;
      w.post({ type: 'piece', blockId, start, end, ...(cell ? { cell: cell.buffer } : {}) });
    }
  });
  // This thread's piece and what it takes from the workers' pieces, while the workers run theirs:
  // its results need no message.
  let ownFailure: string | undefined;
  if (own > 0) {
    const began = performance.now();
    try {
      const engine = await exec.localEngine();
      await engine.beginBlock(block, txs);
      local.push(await runLocalPiece(engine, state, 0, own));
      for (;;) {
        const tail = mostLeft(busy.map((b) => b.cell!))?.stealTail(STEAL_FRACTION);
        if (tail === undefined) break;
        local.push(await runLocalPiece(engine, state, tail.start, tail.end));
      }
    } catch (err) {
      ownFailure = err instanceof SerialNeeded ? err.message : `engine failure: ${(err as Error)?.message ?? String(err)}`;
    }
    ownMs = performance.now() - began;
  }
  const crashed = await arriving;
  exec.listen(
    () => undefined,
    () => undefined,
  );
  if (crashed !== undefined) return { kind: 'serial', reason: crashed, stats: stats() };
  if (ownFailure !== undefined) return { kind: 'serial', reason: ownFailure, stats: stats() };

  // Every piece in block order: a piece whose committed-state reads an earlier piece wrote runs again (serial tail).
  const pieces: SplitPiece[] = [
    ...local,
    ...fromWorkers.map((d): SplitPiece => ({ start: d.piece!.start, end: d.piece!.end, committedReads: d.piece!.committedReads, done: d })),
  ].sort((a, b) => a.start - b.start || a.end - b.end); // a worker piece whose txs were all taken is empty
  const results: TxResult[] = [];
  const written = new Set<bigint>();
  for (const piece of pieces) {
    if (piece.done?.failed !== undefined)
      return { kind: 'serial', reason: `engine failure in a worker: ${piece.done.failed}`, stats: stats() };
    if (piece.start !== results.length)
      throw new Error(`split block ${blockId}: pieces leave txs ${results.length}..${piece.start - 1} out`);
    if (piece.committedReads.some((key) => written.has(key))) return serialTail(exec, block, txs, state, piece.start, results, stats);
    const ran = piece.results ?? workerResults(piece.done!);
    if (typeof ran === 'string') return { kind: 'serial', reason: ran, stats: stats() };
    for (const r of ran) {
      results.push(r);
      for (const key of r.writes.keys()) written.add(key);
    }
  }
  if (results.length !== n) throw new Error(`split block ${blockId}: pieces end at tx ${results.length} of ${n}`);
  return { kind: 'parallel', results, stats: stats(n) };
}

/** A worker piece's results, or why the block must run serially. */
function workerResults(done: Done): TxResult[] | string {
  const out: TxResult[] = [];
  for (const e of decodeExecuted(done.executed)) {
    if (e.serialOnly !== undefined) return `tx ${e.tx}: ${e.serialOnly}`;
    out.push({ writes: e.writes, output: e.output, ...(e.shared === undefined ? {} : { shared: e.shared }) });
  }
  return out;
}

/** The cell with the most txs not taken yet (undefined: none). */
function mostLeft(cells: readonly PieceCell[]): PieceCell | undefined {
  let best: PieceCell | undefined;
  for (const cell of cells) if (best === undefined || cell.remaining() > best.remaining()) best = cell;
  return best;
}

/** Each steal takes this share of what the worker has not started yet (its next ones are under way meanwhile). */
const STEAL_FRACTION = 0.5;

/** A piece as the pieces are checked: run here (`results`) or in a worker (`done`). */
interface SplitPiece {
  start: number;
  end: number;
  /** Keys the piece read from committed state (not written earlier in the piece). */
  committedReads: readonly bigint[];
  results?: TxResult[];
  done?: Done;
}

interface LocalPiece extends SplitPiece {
  results: TxResult[];
}

/** Txs start..end-1 run here, straight through over committed state and the piece's own earlier writes. */
async function runLocalPiece(engine: TxEngine, state: SnapshotState, start: number, end: number): Promise<LocalPiece> {
  const committedReads: bigint[] = [];
  const results = await runRange(engine, start, end, new Map(), (key) => {
    committedReads.push(key);
    return state.get(key);
  });
  return { start, end, committedReads, results };
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
