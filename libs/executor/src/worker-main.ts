/**
 * Entry of an execution worker thread. Loads the VM's TxEngine module (workerData.engineModule),
 * keeps committed state and the current block's multi-version memory as replicas, and executes
 * the tasks the coordinator sends, strictly in message order (a task sees the replica as of the
 * moment it starts; updates arriving meanwhile apply after it).
 */
import { deserialize } from 'node:v8';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import {
  isDependencyAbort,
  type EngineHost,
  type TxEngine,
  type TxEngineFactory,
  type TxOutputCodec,
  type TxPayloadCodec,
  type TxStateView,
} from './engine';
import { claimTxs } from './claims';
import { isPromise } from './in-order';
import { MVMemory, RecordingView } from './mv-memory';
import { mostLeft, PieceCell, STEAL_FRACTION } from './piece-cell';
import { watchCounter } from './watch';
import { encodeExecuted, executedTx, txsFromWire, type ExecutedTx, type FromWorker, type PieceReport, type ToWorker } from './protocol';

interface WorkerInit {
  engineModule: string;
  engineOptions: unknown;
  /** Where split pieces' reports go (ExecWorker.receiveResults); other messages go to the parent port. */
  results?: MessagePort;
  /** Counts the messages posted to this worker (ExecWorker.doorbell): see watchDoorbell. */
  doorbell?: SharedArrayBuffer;
  /** How long it watches the doorbell (ParallelExecutorOptions.workerWatchMs; 0: never). */
  watchMs?: number;
}

const port = parentPort!;
const init = workerData as WorkerInit;
const doorbell = init.doorbell === undefined || !init.watchMs ? undefined : new Int32Array(init.doorbell);
/** Set when a split piece (or the tails taken) is done: the next message is likely the next block's, soon (see watchDoorbell). */
let watchNext = false;
const send = (msg: FromWorker) => port.postMessage(msg);

const committed = new Map<bigint, bigint>();
const mv = new MVMemory();
let blockId = -1;
/** The current block's txs received so far (the engine holds the same array), and how many it has. */
let blockTxs: unknown[] = [];
let txCount = 0;
let crashPlan: { atTx: number; token: Int32Array } | undefined;
let engine: TxEngine;
/** The engine module's TxOutputCodec, if it has one: every message's outputs go encoded. */
let outputCodec: TxOutputCodec | undefined;
/** The engine module's TxPayloadCodec, if it has one: the txs of 'begin' / 'more' messages may come encoded with it. */
let payloadCodec: TxPayloadCodec | undefined;

const pendingReplies = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextRequest = 0;
const host: EngineHost = {
  request(kind, arg) {
    const id = nextRequest++;
    return new Promise((resolve, reject) => {
      pendingReplies.set(id, { resolve, reject });
      send({ type: 'host-request', id, kind, arg });
    });
  },
};

const committedValue = (key: bigint): bigint => committed.get(key) ?? 0n;

type Done = Extract<FromWorker, { type: 'done' }>;

/**
 * Runs txs start, start + 1, ... (or those listed in `txs`) in order, each as the given incarnation, and reports what ran
 * (stopping early at a tx that read an ESTIMATE, or that must run serially).
 */
async function runTxs(
  taskBlock: number,
  taskId: number,
  start: number,
  incarnations: ArrayLike<number>,
  claimed?: Done['claimed'],
  txs?: readonly number[],
): Promise<void> {
  const executed: ExecutedTx[] = [];
  const done = (extra: Partial<Done> = {}) =>
    send({
      type: 'done',
      blockId: taskBlock,
      taskId,
      executed: encodeExecuted(executed, outputCodec),
      ...(claimed ? { claimed } : {}),
      ...extra,
    });
  if (taskBlock !== blockId) return done({ failed: `task for block ${taskBlock}, worker is on ${blockId}` });
  for (let j = 0; j < incarnations.length; j++) {
    const tx = txs ? txs[j] : start + j;
    const incarnation = incarnations[j];
    crashIfPlanned(tx);
    const view = new RecordingView(tx, mv, committedValue);
    try {
      const ran = engine.executeTx(tx, view);
      const r = isPromise(ran) ? await ran : ran;
      executed.push(executedTx(tx, incarnation, view.reads, r));
      // Later txs of this task see this one's writes.
      mv.record(tx, incarnation, r.writes);
      if (r.shared !== undefined) engine.receive?.(r.shared);
      if (r.serialOnly !== undefined) break;
    } catch (err) {
      if (isDependencyAbort(err)) return done({ aborted: { tx, incarnation, blocking: err.blocking } });
      return done({ failed: (err as Error)?.stack ?? String(err) });
    }
  }
  done();
}

/** Test hook: a worker dying mid-block (one worker: the first to take the token). */
function crashIfPlanned(tx: number): void {
  if (crashPlan !== undefined && tx >= crashPlan.atTx && Atomics.compareExchange(crashPlan.token, 0, 0, 1) === 0) process.exit(70);
}

/**
 * A piece of the split first pass (ToWorker 'piece'): txs start .. end - 1 in order, each over the
 * piece's earlier writes, else committed state (not the multi-version memory); reported with the
 * keys read from committed state, in `reports` messages as it goes (the last one final). Stops at a
 * tx that must run serially (the coordinator then gives up the block).
 */
async function runPiece(msg: Extract<ToWorker, { type: 'piece' }>): Promise<void> {
  const reporter = new PieceReporter(msg.blockId, msg.signal);
  if (msg.blockId !== blockId) return reporter.flush(false, `piece of block ${msg.blockId}, worker is on ${blockId}`);
  // With a cell, the coordinator or another worker may take the piece's tail: each tx is taken from it first.
  const cell = msg.cell === undefined ? undefined : new PieceCell(msg.cell);
  const ran = await runStraight(msg.start, msg.end, reporter, cell, msg.reports);
  reporter.flush(false, ran.failed);
  watchNext = true;
}

/**
 * The tails of other workers' pieces (ToWorker 'steal'): while one of them has txs not started,
 * take half of what is left of the one with the most, and run it as a piece of its own.
 */
async function stealTails(msg: Extract<ToWorker, { type: 'steal' }>): Promise<void> {
  const reporter = new PieceReporter(msg.blockId, msg.signal);
  if (msg.blockId !== blockId) return reporter.flush(false);
  const victims = msg.from.map((v) => ({ cell: new PieceCell(v.cell), begin: v.begin, loaded: false }));
  for (;;) {
    const cell = mostLeft(victims.map((v) => v.cell));
    const victim = victims.find((v) => v.cell === cell);
    if (victim === undefined) break;
    if (!victim.loaded) {
      // The piece's txs, as its own worker got them (this worker has its own piece's only).
      const begin = deserialize(victim.begin) as Extract<ToWorker, { type: 'begin' }>;
      txsFromWire(begin.txs, payloadCodec).forEach((tx, j) => (blockTxs[(begin.offset ?? 0) + j] = tx));
      victim.loaded = true;
      continue; // loading took time: look again at what is left
    }
    const tail = victim.cell.stealTail(STEAL_FRACTION);
    if (tail === undefined) continue;
    const ran = await runStraight(tail.start, tail.end, reporter, undefined, msg.reports, true);
    if (ran.failed !== undefined || ran.end < tail.end) return reporter.flush(false, ran.failed);
  }
  reporter.flush(false);
  watchNext = true;
}

/**
 * A split piece's (or the taken tails') executions and reports, sent as 'done' messages: partial
 * ones (`more`) while the worker goes on, so that the coordinator decodes them meanwhile, then the
 * final one. After each message the `signal` counter (if any) goes up, for a coordinator that
 * waits on it instead of its event loop.
 */
class PieceReporter {
  executed: ExecutedTx[] = [];
  reports: PieceReport[] = [];
  private readonly signal: Int32Array | undefined;

  constructor(
    private readonly pieceBlock: number,
    signal: SharedArrayBuffer | undefined,
  ) {
    this.signal = signal && new Int32Array(signal);
  }

  add(e: ExecutedTx): void {
    this.executed.push(e);
  }

  flush(more: boolean, failed?: string): void {
    (init.results ?? port).postMessage({
      type: 'done',
      blockId: this.pieceBlock,
      taskId: -1,
      executed: encodeExecuted(this.executed, outputCodec),
      pieces: this.reports,
      ...(more ? { more: true as const } : {}),
      ...(failed === undefined ? {} : { failed }),
    } satisfies FromWorker);
    this.executed = [];
    this.reports = [];
    if (this.signal !== undefined) {
      Atomics.add(this.signal, 0, 1);
      Atomics.notify(this.signal, 0);
    }
  }
}

/**
 * Txs start .. end - 1 straight through (see runPiece) into `reporter`; with a cell, each tx is
 * taken from it first and the run stops where someone else took the rest. With `reports` > 1, a
 * partial report goes out every (end - start) / reports txs. Where it stopped, and the engine's
 * failure if one ended it.
 */
async function runStraight(
  start: number,
  end: number,
  reporter: PieceReporter,
  cell: PieceCell | undefined,
  reports = 1,
  taken = false,
): Promise<{ end: number; failed?: string }> {
  const written = new Map<bigint, bigint>();
  let committedReads: bigint[] = [];
  const view: TxStateView = {
    get(key) {
      const own = written.get(key);
      if (own !== undefined) return own;
      committedReads.push(key);
      return committed.get(key) ?? 0n;
    },
  };
  const every = Math.max(1, Math.ceil((end - start) / Math.max(1, reports)));
  let began = performance.now();
  let partStart = start;
  // Reads of an earlier part's writes are not committed reads: the parts are adjacent, in block order.
  const close = (at: number) => {
    const now = performance.now();
    reporter.reports.push({ start: partStart, end: at, committedReads, loopMs: now - began, ...(taken ? { taken: true as const } : {}) });
    partStart = at;
    committedReads = [];
    began = now;
  };
  let tx = start;
  let failed: string | undefined;
  for (; tx < end; tx++) {
    if (cell !== undefined && cell.take() !== tx) break;
    if (tx - partStart >= every) {
      close(tx);
      reporter.flush(true);
    }
    if (tx >= blockTxs.length && !takeMoreTxs(tx)) {
      failed = `tx ${tx} of block ${blockId} never arrived (its 'more' message)`;
      break;
    }
    crashIfPlanned(tx);
    try {
      const ran = engine.executeTx(tx, view);
      const r = isPromise(ran) ? await ran : ran;
      reporter.add(executedTx(tx, 0, NO_READS, r));
      for (const [k, v] of r.writes) written.set(k, v);
      if (r.shared !== undefined) engine.receive?.(r.shared);
      if (r.serialOnly !== undefined) {
        tx++; // it ran: its result says why the block runs serially
        break;
      }
    } catch (err) {
      failed = (err as Error)?.stack ?? String(err);
      break;
    }
  }
  close(tx);
  return failed === undefined ? { end: tx } : { end: tx, failed };
}
const NO_READS: bigint[] = [];

/** How long a piece waits for the 'more' holding its next txs (the coordinator posts it right after the piece). */
const MORE_WAIT_MS = 10_000;
/** Never notified: `Atomics.wait` on it is a short sleep. */
const NAP = new Int32Array(new SharedArrayBuffer(4));

/**
 * The block's txs up to `tx`, taken off the port now (a split piece's 'more', see
 * ParallelExecutorOptions.splitLeadTxs): other messages that come first are handled or queued as
 * they would be. False when they did not arrive in time.
 */
function takeMoreTxs(tx: number): boolean {
  const started = performance.now();
  while (tx >= blockTxs.length) {
    // Already taken off the port as an event (the engine awaited something that let the event loop run).
    const queued = queue.findIndex((m) => m.type === 'more' && m.blockId === blockId);
    if (queued >= 0) {
      const [more] = queue.splice(queued, 1) as Extract<ToWorker, { type: 'more' }>[];
      for (const t of txsFromWire(more.txs, payloadCodec)) blockTxs.push(t);
      continue;
    }
    const got = receiveMessageOnPort(port);
    if (got === undefined) {
      const waited = performance.now() - started;
      if (waited > MORE_WAIT_MS) return false;
      // It normally is there already; past the first millisecond, look again every 0.2 ms without spinning.
      if (waited > 1) Atomics.wait(NAP, 0, 0, 0.2);
      continue;
    }
    let msg = got.message as ToWorker;
    if (msg.type === 'encoded') msg = deserialize(msg.bytes) as ToWorker;
    if (msg.type === 'more' && msg.blockId === blockId) for (const t of txsFromWire(msg.txs, payloadCodec)) blockTxs.push(t);
    else accept(msg);
  }
  return true;
}

/** `txs` as the block's txs from index `offset` on (the array has holes below it). */
function placedAt(offset: number, txs: readonly unknown[]): unknown[] {
  const placed: unknown[] = new Array(offset);
  for (const tx of txs) placed.push(tx);
  return placed;
}

/** The block's first executions this worker claims from the shared counter (see ToWorker 'claim'). */
interface Claiming {
  blockId: number;
  counter: Int32Array;
  workers: number;
  /** A claim's target duration (ms). */
  claimMs: number;
}
let claiming: Claiming | undefined;
/** Moving average of one tx's execution time here (ms): sizes the claims. */
let msPerTx: number | undefined;
/** Most txs in one claim. */
const MAX_CLAIM = 32;
const ZEROS = new Uint32Array(MAX_CLAIM);

/**
 * Claims and runs the next few txs of the block: 'drained' once the counter passed the block's
 * end, 'wait' when the next unclaimed tx has not arrived here yet, or is beyond the claim limit
 * (a 'more' message is on its way).
 */
async function claimNext(c: Claiming): Promise<'ran' | 'wait' | 'drained'> {
  if (c.blockId !== blockId) return 'drained';
  // Sized to take about claimMs, and small towards the end of the block so the workers finish together.
  const bySpeed = msPerTx === undefined ? 4 : Math.round(c.claimMs / msPerTx);
  // Towards the end of what may be claimed now: the block's end, or a probe block's first part
  // (one worker taking that part whole would find no conflict in a contended load).
  const claim = claimTxs(c.counter, txCount, blockTxs.length, (start) => {
    const end = Math.min(txCount, Atomics.load(c.counter, 1));
    return Math.max(1, Math.min(MAX_CLAIM, bySpeed, Math.ceil((end - start) / (2 * c.workers))));
  });
  if (typeof claim === 'string') return claim;
  const { start, count } = claim;
  const began = performance.now();
  await runTxs(c.blockId, -1, start, ZEROS.subarray(0, count), { start, count });
  const each = (performance.now() - began) / count;
  msPerTx = msPerTx === undefined ? each : msPerTx * 0.8 + each * 0.2;
  return 'ran';
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'snapshot':
      committed.clear();
      for (const [k, v] of msg.entries) committed.set(k, v);
      return;
    case 'commit':
      for (const [k, v] of msg.writes) {
        if (v === 0n) committed.delete(k);
        else committed.set(k, v);
      }
      if (msg.payload !== undefined) engine.committed?.(msg.payload);
      return;
    case 'begin': {
      blockId = msg.blockId;
      crashPlan = undefined; // a crash plan holds for one block
      const txs = txsFromWire(msg.txs, payloadCodec);
      blockTxs = msg.offset ? placedAt(msg.offset, txs) : txs;
      txCount = msg.total;
      mv.clear();
      await engine.beginBlock(msg.block, blockTxs);
      return;
    }
    case 'more':
      if (msg.blockId === blockId) for (const tx of txsFromWire(msg.txs, payloadCodec)) blockTxs.push(tx);
      return;
    case 'mv':
      if (msg.blockId !== blockId) return;
      for (const w of msg.writes) {
        mv.record(w.tx, w.incarnation, w.writes);
        if (w.shared !== undefined) engine.receive?.(w.shared);
      }
      for (const tx of msg.estimates) mv.markEstimate(tx);
      return;
    case 'exec':
      return runTxs(msg.blockId, msg.taskId, msg.start, msg.incarnations, undefined, msg.txs);
    case 'piece':
      return runPiece(msg);
    case 'steal':
      return stealTails(msg);
    case 'claim':
      if (claiming !== undefined) send({ type: 'drained', blockId: claiming.blockId });
      claiming = { blockId: msg.blockId, counter: new Int32Array(msg.counter), workers: msg.workers, claimMs: msg.claimMs };
      return;
    case 'crash-at':
      crashPlan = { atTx: msg.atTx, token: new Int32Array(msg.token) };
      return;
    default:
      return;
  }
}

// Messages run one after another; host replies bypass the queue (a task may be waiting for one).
// While a block's claim is open, the worker claims txs whenever no message waits.
const queue: ToWorker[] = [];
let draining = false;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  try {
    for (;;) {
      if (queue.length > 0) {
        await handle(queue.shift()!);
        continue;
      }
      if (claiming === undefined) {
        if (watchNext) {
          watchNext = false;
          if (watchDoorbell()) continue;
        }
        break;
      }
      const claimed = await claimNext(claiming);
      if (claimed === 'wait') break; // the 'more' message with the next txs wakes this loop again
      if (claimed === 'drained') {
        send({ type: 'drained', blockId: claiming.blockId });
        claiming = undefined;
        break;
      }
      await nextTurn(); // lets messages that arrived meanwhile in first (re-executions are lower txs)
    }
  } finally {
    draining = false;
  }
}

/**
 * Watches the doorbell (without touching the port: the coordinator posts meanwhile) for up to
 * `init.watchMs` (ParallelExecutorOptions.workerWatchMs); when it rings, or a message is already
 * there, takes every message off the port now, in order, as the event loop would have (`accept`).
 * True when it took any.
 */
function watchDoorbell(): boolean {
  if (doorbell === undefined) return false;
  // Read before looking at the port: a message posted after the look rings after this read.
  const seen = Atomics.load(doorbell, 0);
  if (takeFromPort()) return true;
  return watchCounter(doorbell, seen, init.watchMs!) && takeFromPort();
}

/** Every message waiting on the port, taken now (see `accept`); true when there was any. */
function takeFromPort(): boolean {
  let any = false;
  for (let got = receiveMessageOnPort(port); got !== undefined; got = receiveMessageOnPort(port)) {
    any = true;
    accept(got.message as ToWorker);
  }
  return any;
}

/** A message from the coordinator: a host reply is answered at once, the rest queued in order. */
function accept(msg: ToWorker): void {
  if (msg.type === 'host-reply') {
    const waiter = pendingReplies.get(msg.id);
    pendingReplies.delete(msg.id);
    if (msg.error !== undefined) waiter?.reject(new Error(msg.error));
    else waiter?.resolve(msg.value);
    return;
  }
  queue.push(msg.type === 'encoded' ? (deserialize(msg.bytes) as ToWorker) : msg);
}

port.on('message', (msg: ToWorker) => {
  accept(msg);
  if (msg.type === 'host-reply') return;
  void drain().catch((err: unknown) => {
    // A failure outside a task (beginBlock, committed) is fatal for this worker: the coordinator sees it exit.
    process.stderr.write(`execution worker: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(71);
  });
});

(async () => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(init.engineModule) as {
      createTxEngine?: TxEngineFactory;
      txOutputCodec?: TxOutputCodec;
      txPayloadCodec?: TxPayloadCodec;
    };
    if (typeof mod.createTxEngine !== 'function') throw new Error(`${init.engineModule} does not export createTxEngine`);
    outputCodec = mod.txOutputCodec;
    payloadCodec = mod.txPayloadCodec;
    engine = await mod.createTxEngine(init.engineOptions, host);
    send({ type: 'ready' });
  } catch (err) {
    send({ type: 'init-error', error: (err as Error)?.stack ?? String(err) });
  }
})();
