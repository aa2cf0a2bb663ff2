/**
 * The split first pass of a block (ParallelExecutorOptions.splitFirst): the block is cut into one
 * contiguous piece per worker; each worker runs its piece straight through against committed
 * state (a tx reads the piece's earlier writes, else committed state: no multi-version memory, no
 * per-tx report: the piece comes back in a few parts, see splitPieceReports). The pieces (and
 * parts) are then checked in block order: a piece that read from committed state a key an
 * earlier piece wrote saw a state serial execution would not have shown it, so it and every
 * later piece run again, in this thread, over the earlier pieces' writes (a serial tail). An
 * execution is a function of the values it read (the TxEngine contract), so the results are
 * those of serial execution; data a tx shares (deployed code) is reached through keys too (the
 * account's code hash), and the tail's engine receives the earlier pieces' before it runs. A
 * block without a conflict costs each worker one message in and a few out.
 */
import { serialize } from 'node:v8';
import type { TxEngine, TxOutputCodec, TxResult } from './engine';
import { runInOrder, runRange, SerialNeeded } from './in-order';
import type { ParallelExecutor, RunOutcome, RunStats, SnapshotState } from './parallel-executor';
import { MAX_PIECE_TX, mostLeft, PieceCell, STEAL_FRACTION } from './piece-cell';
import { decodeExecuted, type FromWorker, type ToWorker } from './protocol';
import { watchCounter } from './watch';
import type { ExecWorker } from './worker-pool';

type Done = Extract<FromWorker, { type: 'done' }>;

/**
 * Runs a block as a split first pass. `coordinatorShare`: the share this thread runs itself
 * first (then it takes tails of the workers' pieces, each `stealFraction` of what is left);
 * `workersSteal`: a worker that finishes its piece takes tails of the others' (both through
 * PieceCells, so every tx runs exactly once).
 */
export async function runSplitBlock(
  exec: ParallelExecutor,
  blockId: number,
  block: unknown,
  txs: readonly unknown[],
  state: SnapshotState,
  workers: readonly ExecWorker[],
  coordinatorShare = 0,
  workersSteal = false,
  reportsPerPiece = 1,
  stealFraction = STEAL_FRACTION,
): Promise<RunOutcome> {
  const n = txs.length;
  // This thread's piece is txs 0 .. own - 1 (none by default); the workers' pieces follow, equal in size.
  const own = Math.floor(n * coordinatorShare);
  const per = Math.ceil((n - own) / workers.length);
  const ranges = workers
    .map((w, j) => ({ w, start: Math.min(n, own + j * per), end: Math.min(n, own + (j + 1) * per) }))
    .filter((b) => b.start < b.end);
  // Tails are taken when this thread runs a share (once its own piece is done), and when workers
  // finish their piece before the others: all threads then finish about together whatever their
  // speed (a worker started late, descheduled, or with a slower core).
  const coordinatorTakes = own > 0 && n <= MAX_PIECE_TX;
  const workersTake = workersSteal && ranges.length > 1 && n <= MAX_PIECE_TX;
  const busy = ranges.map((b) => ({ ...b, cell: coordinatorTakes || workersTake ? PieceCell.create(b.start, b.end) : undefined }));
  const received: { from: ExecWorker; done: Done }[] = [];
  /** Every piece, checked and merged in block order as soon as the pieces before it are in (see InOrderCheck). */
  const check = new InOrderCheck();
  let workerFailure: string | undefined;
  let internalError: unknown;
  const local: SplitPiece[] = [];
  let ownMs = 0;
  /** Per worker: its time on its pieces (their loops alone) and the txs they ran. */
  const byWorker = new Map<ExecWorker, { ms: number; txs: number }>();
  const stats = (executions = 0, serialFrom?: number): RunStats => {
    const reports = received.flatMap((r) => r.done.pieces ?? []);
    const takenByWorkers = reports.reduce((sum, p) => sum + (p.taken ? p.end - p.start : 0), 0);
    return {
      txs: n,
      executions,
      reexecutions: Math.max(0, executions - n),
      mode: serialFrom === undefined ? 'parallel' : 'parallel+serial-tail',
      ...(serialFrom === undefined ? {} : { serialFrom }),
      split: {
        pieces: local.length + reports.filter((p) => p.end > p.start).length,
        slowestPieceMs: Math.max(ownMs, ...[...byWorker.values()].map((b) => b.ms)),
        workerMs: [...byWorker.values()].map((b) => b.ms),
        workerTxs: [...byWorker.values()].map((b) => b.txs),
        ...(coordinatorTakes ? { stolen: local.reduce((sum, p) => sum + (p.start >= own ? p.end - p.start : 0), 0) } : {}),
        ...(workersTake ? { takenByWorkers } : {}),
        ...(serialFrom === undefined ? {} : { conflictAt: serialFrom }),
      },
    };
  };
  // Done when every tx's result is here (txs run exactly once: the pieces and tails cover the
  // block), or at once when a worker failed, met a serial-only tx, or crashed.
  let covered = 0;
  let settle!: (crashed: string | undefined) => void;
  const settled = new Promise<string | undefined>((resolve) => (settle = resolve));
  const cover = (txCount: number) => {
    covered += txCount;
    if (covered >= n) settle(undefined);
  };
  exec.listen(
    (w, msg) => {
      if (msg.type !== 'done' || msg.blockId !== blockId || msg.pieces === undefined) return;
      received.push({ from: w, done: msg });
      for (const p of msg.pieces) {
        const b = byWorker.get(w) ?? { ms: 0, txs: 0 };
        b.ms += p.loopMs;
        b.txs += p.end - p.start;
        byWorker.set(w, b);
      }
      if (msg.failed !== undefined) workerFailure ??= `engine failure in a worker: ${msg.failed}`;
      let ran: SplitPiece[] | string;
      try {
        ran = workerFailure ?? workerPieces(msg, exec.outputCodec);
      } catch (err) {
        internalError = err; // a report that does not add up: thrown below, not in this event
        ran = 'bad report';
      }
      if (typeof ran === 'string') {
        workerFailure ??= ran;
        return settle(undefined);
      }
      for (const piece of ran) check.add(piece);
      cover(ran.reduce((sum, p) => sum + (p.end - p.start), 0));
    },
    (_w, reason) => {
      exec.dropDead();
      settle(`execution worker crashed mid-block (${reason}); block re-run serially`);
    },
  );
  // Each worker gets its own piece's txs only (cloned for it alone: no worker deserialises the
  // others'). When workers take tails, each piece's 'begin' is serialised once, and the other
  // workers get those bytes: a worker deserialises them only if it takes from that piece.
  // A worker's messages go out before the next worker's txs are serialised: it starts that much sooner.
  // Each worker raises this counter after each report (see PieceReporter in worker-main.ts).
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const crashPlan = exec.takeCrashPlan();
  // With a lead (splitLeadTxs), a piece's first txs go with its 'begin' and the rest follow in a
  // 'more' once every worker has its 'begin' and 'piece': the workers start that much sooner.
  const lead = workersTake || exec.splitLeadTxs === 0 ? MAX_PIECE_TX : exec.splitLeadTxs;
  const begins = busy.map(({ w, start, end, cell }) => {
    const begin = {
      type: 'begin',
      blockId,
      block,
      txs: exec.wire(txs.slice(start, Math.min(end, start + lead))),
      total: n,
      offset: start,
    } satisfies ToWorker;
    const bytes = workersTake ? serialize(begin) : undefined;
    w.post(bytes ? { type: 'encoded', bytes } : begin);
    if (crashPlan !== undefined) w.post(crashPlan);
    w.tasks++;
    w.post({ type: 'piece', blockId, start, end, ...(cell ? { cell: cell.buffer } : {}), reports: reportsPerPiece, signal: signal.buffer });
    return bytes;
  });
  for (const { w, start, end } of busy)
    if (start + lead < end) w.post({ type: 'more', blockId, txs: exec.wire(txs.slice(start + lead, end)) });
  if (workersTake)
    busy.forEach(({ w }, j) => {
      w.tasks++;
      const from = busy.flatMap((b, k) => (k === j ? [] : [{ cell: b.cell!.buffer, begin: begins[k]! }]));
      w.post({ type: 'steal', blockId, from, reports: reportsPerPiece, signal: signal.buffer });
    });
  // This thread's piece and what it takes from the workers' pieces, while the workers run theirs:
  // its results need no message.
  let ownFailure: string | undefined;
  if (own > 0) {
    const began = performance.now();
    try {
      const engine = await exec.localEngine();
      await engine.beginBlock(block, txs);
      const ownPiece = await runSplitPiece(engine, state, 0, own);
      local.push(ownPiece);
      check.add(ownPiece);
      for (;;) {
        // The workers' reports so far, decoded (and checked) now: what is left of the block once they finish is less.
        for (const b of busy) b.w.receiveResults();
        const tail = coordinatorTakes ? mostLeft(busy.map((b) => b.cell!))?.stealTail(stealFraction) : undefined;
        if (tail === undefined) break;
        const taken = await runSplitPiece(engine, state, tail.start, tail.end);
        local.push(taken);
        check.add(taken);
      }
    } catch (err) {
      ownFailure = err instanceof SerialNeeded ? err.message : `engine failure: ${(err as Error)?.message ?? String(err)}`;
    }
    ownMs = performance.now() - began;
  }
  cover(local.reduce((sum, p) => sum + (p.end - p.start), 0));
  if (ownFailure !== undefined) settle(undefined);
  // The workers are finishing the last txs: take their reports here as they come (no event loop
  // turn in between), for at most as long as this thread executed; then as events.
  else if (own > 0)
    awaitReportsHere(
      busy.map((b) => b.w),
      signal,
      () => covered >= n || workerFailure !== undefined,
      ownMs,
    );
  const crashed = await settled;
  exec.listen(
    () => undefined,
    () => undefined,
  );
  if (internalError !== undefined) throw internalError;
  if (crashed !== undefined) return { kind: 'serial', reason: crashed, stats: stats() };
  if (ownFailure !== undefined) return { kind: 'serial', reason: ownFailure, stats: stats() };
  if (workerFailure !== undefined) return { kind: 'serial', reason: workerFailure, stats: stats() };
  const { results, written, conflictAt } = check;
  if (conflictAt !== undefined) return serialTail(exec, block, txs, state, conflictAt, results, stats);
  if (check.waiting() > 0) throw new Error(`split block ${blockId}: pieces leave txs ${results.length}..${check.firstWaiting() - 1} out`);
  if (results.length !== n) throw new Error(`split block ${blockId}: pieces end at tx ${results.length} of ${n}`);
  return { kind: 'parallel', results, writes: written, stats: stats(n) };
}

/**
 * The pieces of a split block checked in block order as they come in: a piece whose
 * committed-state reads an earlier piece wrote saw a state serial execution would not have shown
 * it (`conflictAt`: it and every later piece run again, as a serial tail); the others' results
 * follow each other, and their writes are merged as serial execution leaves them. A piece waits
 * until every earlier one is in: the workers' parts come in order, this thread's tails from the
 * last down. Checking as they come leaves, once the last piece is in, only that one to check.
 */
class InOrderCheck {
  readonly results: TxResult[] = [];
  readonly written = new Map<bigint, bigint>();
  /** The first tx of the first piece that read what an earlier one wrote (checking stopped there). */
  conflictAt: number | undefined;
  /** Pieces that came in before an earlier one: each waits until the txs before it are checked. */
  private readonly ahead: SplitPiece[] = [];

  add(piece: SplitPiece): void {
    if (piece.end === piece.start) return; // a worker piece whose txs were all taken
    this.ahead.push(piece);
    this.advance();
  }

  waiting(): number {
    return this.ahead.length;
  }

  firstWaiting(): number {
    return Math.min(...this.ahead.map((p) => p.start));
  }

  private advance(): void {
    while (this.conflictAt === undefined) {
      const at = this.ahead.findIndex((p) => p.start === this.results.length);
      if (at < 0) return;
      const [piece] = this.ahead.splice(at, 1);
      if (piece.committedReads.some((key) => this.written.has(key))) {
        this.conflictAt = piece.start;
        return;
      }
      for (const r of piece.results) {
        this.results.push(r);
        for (const [key, value] of r.writes) this.written.set(key, value);
      }
    }
  }
}

/**
 * How long this thread watches the report counter before it sleeps on it (`Atomics.wait`): the
 * workers' last reports come within ~20-70 µs of this thread's last tail, and a sleeping thread
 * took ~40-90 µs more to wake on this kind of machine (its core idling meanwhile).
 */
const REPORT_WATCH_MS = 0.3;

/**
 * Blocks this thread until `done()` (checked whenever a worker's report arrives, taken at once) or
 * for `budgetMs` at most: a worker that crashed or stalls is then waited for on the event loop.
 * It watches the report counter for REPORT_WATCH_MS at a time, then sleeps on it.
 */
function awaitReportsHere(workers: readonly ExecWorker[], signal: Int32Array, done: () => boolean, budgetMs: number): void {
  const deadline = performance.now() + budgetMs;
  for (;;) {
    const seen = Atomics.load(signal, 0);
    for (const w of workers) w.receiveResults();
    if (done()) return;
    const left = deadline - performance.now();
    if (left <= 0) return;
    if (!watchCounter(signal, seen, Math.min(left, REPORT_WATCH_MS))) Atomics.wait(signal, 0, seen, deadline - performance.now());
  }
}

/** A worker's pieces with their results (its executions, one piece after another), or why the block must run serially. */
function workerPieces(done: Done, codec: TxOutputCodec | undefined): SplitPiece[] | string {
  const executed = decodeExecuted(done.executed, codec);
  const out: SplitPiece[] = [];
  let at = 0;
  for (const p of done.pieces ?? []) {
    const results: TxResult[] = [];
    for (let tx = p.start; tx < p.end; tx++, at++) {
      const e = executed[at];
      if (e === undefined || e.tx !== tx) throw new Error(`split piece ${p.start}..${p.end - 1}: no execution of tx ${tx}`);
      if (e.serialOnly !== undefined) return `tx ${e.tx}: ${e.serialOnly}`;
      results.push({ writes: e.writes, output: e.output, ...(e.shared === undefined ? {} : { shared: e.shared }) });
    }
    out.push({ start: p.start, end: p.end, committedReads: p.committedReads, results });
  }
  return out;
}

/** A piece as the pieces are checked, run here or in a worker. */
interface SplitPiece {
  start: number;
  end: number;
  /** Keys the piece read from committed state (not written earlier in the piece). */
  committedReads: readonly bigint[];
  results: TxResult[];
}

/** Txs start..end-1 run here, straight through over committed state and the piece's own earlier writes. */
async function runSplitPiece(engine: TxEngine, state: SnapshotState, start: number, end: number): Promise<SplitPiece> {
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
