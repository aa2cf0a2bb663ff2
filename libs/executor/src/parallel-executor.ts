import { availableParallelism } from 'node:os';
import { serialize } from 'node:v8';
import { isDependencyAbort, type TxEngine, type TxOutputCodec, type TxPayloadCodec, type TxResult } from './engine';
import { claimTxs } from './claims';
import { declaredDependencies, type DeclaredKeys, type DependencyGraph } from './declared-keys';
import { MVMemory, RecordingView } from './mv-memory';
import {
  decodeExecuted,
  executedTx,
  wireTxs,
  type ExecutedTx,
  type FromWorker,
  type ReplicaWrite,
  type ToWorker,
  type WireTxs,
} from './protocol';
import { ExecWorker, type HostHandler } from './worker-pool';
import { isPromise, runInOrder, SerialNeeded } from './in-order';
import { STEAL_FRACTION } from './piece-cell';
import { runSplitBlock } from './split-block';
import { DEFAULT_WARMUP_TXS, SpeedChoice } from './speed-choice';

/** Committed state as the executor reads it: values, every entry (worker snapshots), and a version that moves on every commit. */
export interface SnapshotState {
  get(key: bigint): bigint;
  entries(): Iterable<[bigint, bigint]>;
  readonly version: number;
}

export interface ParallelExecutorOptions {
  /** Path of the module workers load; it exports `createTxEngine` (see engine.ts). */
  engineModule: string;
  /** Structured-cloneable options for createTxEngine. */
  engineOptions: unknown;
  /** The same engine, in this thread: runs the rest of a block when contention makes speculation useless. */
  localEngine: () => Promise<TxEngine> | TxEngine;
  /** Worker threads; default the number of cores. */
  workers?: number;
  /**
   * Each worker's young generation (MB; V8's new space: two semi-spaces of a third each, and
   * large new objects), default WORKER_YOUNG_GENERATION_MB (192: 64 MB semi-spaces; V8's own
   * default for a worker is 48). An engine allocates a lot per tx that dies young (an EVM
   * transfer: receipts, bigints, byte arrays); a small new space is scavenged often, and a
   * scavenge in a worker gets no help while both cores run workers (a serial run's scavenges use
   * V8's helper threads on the idle core). Measured on bench:parallel's EVM transfers: 1.06x-1.10x
   * with the defaults against 1.42x-1.56x in the same rounds; 128 and 256 MB semi-spaces did
   * worse (see libs/executor/DESIGN.md). Run the main thread with the same size (`node
   * --max-semi-space-size=64`: the node's scripts do) so the serial path gets it too.
   */
  workerYoungGenerationMb?: number;
  /** Blocks with fewer txs run serially (no worker round trips); default 64. */
  minParallelTxs?: number;
  /** Most txs in one re-execution task (or one claim of the coordinator's own); default 32. Workers size their claims themselves (`claimMs`). */
  maxTaskTxs?: number;
  /**
   * How long a worker's claim of first executions should take (ms; default 8): a worker takes as
   * many txs as it measured to run in that time (1 to 32, fewer near the block's end), runs them
   * and reports them in one message. Every report costs this thread a message (measured: some
   * 60 µs beyond the work of recording it, on a machine where an EVM transfer takes 1.3 ms
   * serially) and the worker a send. With claims of ~0.15 ms every EVM tx was a message of its
   * own; at 8 ms the main thread's time per EVM tx fell from ~240 to ~150-185 µs.
   */
  claimMs?: number;
  /**
   * Re-execution tasks queued on a worker at once; default 2: the next task is already there
   * when one ends, so a worker does not sit idle for the round trip to this thread.
   */
  tasksPerWorker?: number;
  /** Answers worker engines' host requests (code, plugins). */
  hostHandler?: HostHandler;
  /** The engine module's `txOutputCodec`, when it exports one (the workers then encode outputs with it; see TxOutputCodec). */
  outputCodec?: TxOutputCodec;
  /** The engine module's `txPayloadCodec`, when it exports one (this thread then encodes the txs it sends with it; see TxPayloadCodec). */
  payloadCodec?: TxPayloadCodec;
  /**
   * What a block's tx (as `run` gets it) becomes on its way to a worker, when the VM has no
   * `payloadCodec` (the worker gets its structured clone): applied only to the txs sent to
   * workers, so the coordinator's own engine gets the txs as they are, and its share of a split
   * block costs no payloads at all (EVM: a decoded tx's fields, ~2.6 µs a tx). Default: the tx itself.
   */
  workerPayload?: (tx: unknown) => unknown;
  /**
   * The coordinator (this thread) also executes tasks, with `localEngine`, between handling the
   * workers' reports: its own executions need no messages at all. Default false: on this 2-core
   * machine, 2 workers with an idle coordinator did better for EVM blocks (bench:parallel, medians
   * of 7 runs: 1.48x against 1.22x for 1 worker + the coordinator), and 2 workers + the
   * coordinator oversubscribe 2 cores.
   */
  coordinatorExecutes?: boolean;
  /**
   * Measure whether the workers pay (default true): the VM reports how long each block took
   * (`noteBlock`), in the workers or serially; once the workers are warm (`warmupTxs`), blocks
   * run the faster way, the other being tried again every `probeEvery` blocks. When serial
   * execution is faster (e.g. cheap Wasm calls, whose coordination costs as much as the call),
   * `run` says `serial` and the VM runs its serial executor. Results are the same either way.
   */
  adaptive?: boolean;
  /** Blocks between two probes of the way not in use; default 16 (more when that way measured slower: see SpeedChoice). */
  probeEvery?: number;
  /**
   * Txs the workers run before their speed is judged (default DEFAULT_WARMUP_TXS, 40,000): each
   * worker compiles the VM anew, and a cold worker is several times slower than a warm one.
   */
  warmupTxs?: number;
  /** After a contended block, run the next ones serially for a while (default true; tests turn it off to exercise every block). */
  contentionBackoff?: boolean;
  /**
   * Split first pass (default false): when the last block run in the workers had no conflict (and
   * this one is no probe, has no declared dependencies, and the coordinator does not execute),
   * the block is cut into one contiguous piece per worker, each run straight through against
   * committed state, one message out and a few back (split-block.ts); a piece that read what an earlier
   * piece wrote runs again in this thread, with the rest of the block, and the next block takes
   * the Block-STM path. It pays where per-tx messages and bookkeeping cost much against a tx
   * (Wasm transfers of ~20 µs: the Wasm SPN turns it on); where txs are long and uneven (EVM, ~1
   * ms) the claims balance the workers better (a piece's block waits for its slowest piece).
   */
  splitFirst?: boolean;
  /**
   * Share of a split block (see `splitFirst`) this thread runs itself, as the first piece, with
   * `localEngine`, while the workers run the rest (default 0: the workers run every piece). Its
   * piece needs no messages at all: the txs are not serialised for it and its results are not
   * sent back. With it, one worker fewer keeps the cores as busy (this thread also sends the
   * workers their pieces and takes their results, so its share is best a bit under 1 / (workers + 1)).
   */
  splitCoordinatorShare?: number;
  /**
   * With a coordinator's share: each tail this thread takes from a worker's piece is this share of
   * what the piece has not started (at least one tx; default 0.5, STEAL_FRACTION). The piece's
   * worker runs the rest meanwhile, so the two finish about together when they run a tx equally
   * fast; a smaller share takes more, smaller tails and leaves less to chance where txs are long
   * (a tail of half of 40 EVM transfers is ~5 ms, and a thread 10 % slower ends ~0.5 ms late).
   */
  splitStealFraction?: number;
  /**
   * Most threads that execute a split block at once (default the number of cores): with a
   * coordinator's share, this thread counts as one, so the block's pieces go to at most
   * `maxSplitThreads - 1` workers and the others sit that block out (they take Block-STM blocks
   * as usual). A third thread on two cores has to wait for a core: a split Wasm block takes 2-4
   * ms, under the OS scheduler's time slice. Measured (200-tx Wasm transfer blocks, share 0.4,
   * adaptive choice off, side by side in one process): 1 worker and this thread 1.04x and 1.11x
   * as fast as 2 workers and this thread.
   */
  maxSplitThreads?: number;
  /**
   * In a split block, a worker that finishes its piece takes the tail of the piece with the most
   * txs not started (half of what is left, again and again, through the pieces' PieceCells), as
   * the coordinator does with its share (default true). The threads then finish about together
   * even when one runs slower than the other: measured on this 2-core machine (EVM transfers,
   * 2 workers, 100 txs each), the two pieces of a block took 60 and 97 ms, 59 and 100 ms, and
   * 5-40 % apart in most blocks, either way round. A worker gets the other pieces' txs as bytes
   * and deserialises a piece's only when it takes from it.
   */
  splitWorkersSteal?: boolean;
  /**
   * A worker reports its split piece in this many messages as it goes (default 4; 1: one message
   * at the end). This thread decodes the first ones while the worker runs the rest, between its
   * own txs when it runs a share (taking them off the worker's port at once,
   * `receiveMessageOnPort`), else on its event loop; so once the last txs ran, only the last
   * part is left to encode, send and decode.
   */
  splitPieceReports?: number;
  /**
   * A worker's split piece goes out in two messages: its first `splitLeadTxs` txs with its
   * 'begin', the rest in a 'more' posted right after, which the worker takes off its port when
   * it gets to them (default 0: the whole piece in 'begin'). The worker then starts once those
   * few txs are serialised and deserialised, not its whole piece: pays where a tx's payload costs
   * much to clone and the tx takes longer than the rest's cloning (EVM txs; see the EVM SPN's
   * setting). Not used when workers take each other's tails (they load a piece from its 'begin').
   */
  splitLeadTxs?: number;
  /**
   * A worker that finished its part of a split block watches its doorbell (a counter of the
   * messages posted to it) for this many ms before it sleeps in its event loop (default 1; 0:
   * never): the next block's messages then start it at once, not ~40-90 µs later when the event
   * loop has woken (its core idling meanwhile). Costs up to that much CPU per block when the next
   * block does not follow at once.
   */
  workerWatchMs?: number;
  /**
   * A block whose declared keys chain its txs so that on average fewer than this many could run
   * at once (txs / the longest chain of dependencies) runs serially (default 1.5; 0: never): e.g.
   * every tx declaring a write of one hot key. Speculating on such a block only re-executes, and
   * scheduling it from its dependencies runs it one task after another with a round trip each.
   */
  minDeclaredParallelism?: number;
}

/** The knobs a VM's executor passes through from the node's configuration. */
export type ParallelTuning = Pick<
  ParallelExecutorOptions,
  | 'workers'
  | 'workerYoungGenerationMb'
  | 'minParallelTxs'
  | 'maxTaskTxs'
  | 'claimMs'
  | 'tasksPerWorker'
  | 'coordinatorExecutes'
  | 'contentionBackoff'
  | 'splitFirst'
  | 'splitCoordinatorShare'
  | 'splitStealFraction'
  | 'splitWorkersSteal'
  | 'splitPieceReports'
  | 'splitLeadTxs'
  | 'workerWatchMs'
  | 'maxSplitThreads'
  | 'adaptive'
  | 'probeEvery'
  | 'warmupTxs'
  | 'minDeclaredParallelism'
>;

export interface RunStats {
  txs: number;
  /** Tx executions started (first runs, re-executions, runs abandoned on a dependency). */
  executions: number;
  /** Executions beyond one per tx. */
  reexecutions: number;
  /** How the block ran: all in workers, or the tail in this thread after contention was detected. */
  mode: 'parallel' | 'parallel+serial-tail';
  /** First tx run in this thread (mode parallel+serial-tail). */
  serialFrom?: number;
  /** Dependencies between txs from their declared keys, when the block was scheduled from them (see `run`). */
  declaredDependencies?: number;
  /**
   * The block ran as a split first pass (see `splitFirst`): its pieces (a worker's piece counts
   * once per part it reported, see `splitPieceReports`: each part is checked on its own), the slowest piece's time
   * in its worker (ms, set-up and messages not included; a worker that took tails: its piece's
   * and its tails' together), and the first tx run again in this thread after a conflict;
   * `stolen`: txs of the workers' pieces this thread took (see `splitCoordinatorShare`);
   * `takenByWorkers`: txs workers took from each other's pieces (see `splitWorkersSteal`);
   * `workerMs`: each worker's time on its pieces alone (as slowestPieceMs), and `workerTxs` the
   * txs each ran, in the same order (bench:parallel's workload scaling).
   */
  split?: {
    pieces: number;
    slowestPieceMs: number;
    workerMs: number[];
    workerTxs: number[];
    stolen?: number;
    takenByWorkers?: number;
    conflictAt?: number;
  };
}

export type RunOutcome =
  /**
   * `writes`: the block's writes merged in block order (last writer wins), when the run merged
   * them anyway (the split first pass does, as it checks its pieces): a VM's assembly can take
   * them instead of merging the results' writes again.
   */
  | { kind: 'parallel'; results: TxResult[]; writes?: Map<bigint, bigint>; stats: RunStats }
  /** The block must be executed by the VM's serial executor (small block, serialOnly tx, crash, host failure). */
  | { kind: 'serial'; reason: string; stats?: RunStats };

const READY = 0;
const EXECUTING = 1;
const EXECUTED = 2;
const WAITING = 3;
const COMMITTED = 4;
/** Not claimed from the block's counter yet, or claimed and not reported (first executions). */
const NEW = 5;

/**
 * Whether a block run in the workers leaves the load contended (ParallelExecutor.learnContention):
 * its speculation collapsed into a serial tail, or it was a probe (the first block after contended
 * ones) that went on past its first quarter and still re-executed more than a quarter of its txs.
 * Such a probe finishes in parallel when one worker happens to claim most of a hot block (its own
 * txs see each other's writes); counted as over, the load's back-off started again from 1 serial
 * block, and `bench:parallel` measured Wasm transfers on one hot account at 0.86x (0.52x-0.86x in
 * six of 15 runs; 0.93x-0.99x in the runs without such a probe).
 */
export function stillContended(stats: Pick<RunStats, 'mode' | 'reexecutions' | 'txs'>, probe: boolean): boolean {
  if (stats.mode === 'parallel+serial-tail') return true;
  return probe && stats.reexecutions * 4 > stats.txs;
}

/** Txs a probe block (the first after contended ones) speculates on at least before it decides (see BlockRun.checkProbe). */
const PROBE_MIN_TXS = 32;

/**
 * Most blocks run serially after contended ones before a probe (see learnContention). A probe of
 * a load still on a hot key costs one to two serial blocks' time (measured: Wasm blocks of 200
 * transfers, 8.5-13 ms against ~4 ms serially, once 39 ms): at 64 blocks 1.5-3 % of the time (at 32,
 * probes showed in most 20-block bench runs and took the Wasm hot-key ratio to 0.81-0.84). The
 * price: a load that stops being contended runs serially (correctly) for up to 64 blocks more.
 */
export const MAX_CONTENTION_BACKOFF = 64;

/** Semi-space size (MB) of the workers (by default) and of the node's main thread. */
export const SEMI_SPACE_MB = 64;

/**
 * Default `workerWatchMs`. Blocks that follow each other at once (a backlog, the benchmark) come
 * within ~0.2-0.3 ms of the last one's end on a 2-core machine: 200-tx Wasm token transfer blocks
 * took 0.91x-0.975x as long with the watches (the coordinator's for the last reports, see
 * split-block.ts, and the workers'), medians of 40 alternating rounds in 3 processes (DESIGN.md).
 */
export const WORKER_WATCH_MS = 1;

/** Default `workerYoungGenerationMb`: two semi-spaces and as much for large new objects. */
export const WORKER_YOUNG_GENERATION_MB = 3 * SEMI_SPACE_MB;

/** Node flags for a process that runs blocks serially beside the workers: the same semi-spaces. */
export const MAIN_THREAD_NODE_FLAGS: readonly string[] = [`--max-semi-space-size=${SEMI_SPACE_MB}`];

/** See ParallelExecutorOptions.claimMs. */
const DEFAULT_CLAIM_MS = 8;
/** See ParallelExecutorOptions.splitPieceReports. */
const DEFAULT_SPLIT_PIECE_REPORTS = 4;

/** Txs per worker in a block's first message to the workers (the rest follows in pieces twice as big each time). */
const FIRST_PIECE_PER_WORKER = 8;

/** A tx's last execution as the coordinator keeps it. */
interface TxRecord {
  /** Key, value, key, value, ... */
  reads: bigint[];
  result: TxResult;
}

/**
 * The engine-agnostic parallel executor (Block-STM style). Txs of a block run optimistically in
 * worker threads against a multi-version memory; every read is recorded with the value it saw.
 * Workers claim the txs' first executions themselves from a shared counter (no round trip per
 * task); the coordinator (this class, main thread) records each execution's writes, re-validates the
 * later txs that read a key whose value changed, re-executes invalidated txs (their writes
 * become ESTIMATEs, so readers wait instead of cascading), and commits in block order: tx i is
 * final once all txs below it are and its reads still hold. The outcome is therefore exactly
 * that of serial execution in block order, whatever the worker count and timing.
 *
 * When re-executions pile up (one hot key), the rest of the block from the commit frontier runs
 * in this thread on `localEngine`, so high contention costs about what serial execution does.
 */
export class ParallelExecutor {
  readonly workerCount: number;
  /** @internal See ParallelExecutorOptions.outputCodec. */
  readonly outputCodec: TxOutputCodec | undefined;
  /** @internal See ParallelExecutorOptions.payloadCodec. */
  readonly payloadCodec: TxPayloadCodec | undefined;
  private readonly workerPayload: ((tx: unknown) => unknown) | undefined;
  private readonly minParallelTxs: number;
  private readonly maxTaskTxs: number;
  private readonly tasksPerWorker: number;
  private readonly claimMs: number;
  private readonly minDeclaredParallelism: number;
  private readonly youngGenerationMb: number;
  private readonly splitCoordinatorShare: number;
  private readonly splitStealFraction: number;
  private readonly maxSplitThreads: number;
  private readonly splitPieceReports: number;
  /** @internal See ParallelExecutorOptions.splitLeadTxs. */
  readonly splitLeadTxs: number;
  private readonly workerWatchMs: number;
  private workers: ExecWorker[] = [];
  private nextWorkerId = 0;
  private blockId = 0;
  private commits: { from: number; to: number; writes: Map<bigint, bigint>; payload?: unknown }[] = [];
  private local: TxEngine | undefined;
  private onMessage: ((w: ExecWorker, msg: FromWorker) => void) | undefined;
  private onExit: ((w: ExecWorker, reason: string) => void) | undefined;
  private crashPlan: number | undefined;
  private closed = false;
  /** The last block run in the workers re-executed something: the next one forwards writes to the replicas from its start. */
  private lastBlockConflicted = false;
  /** Resolved when a worker becomes idle (see waitIdle). */
  private idleWaiters: (() => void)[] = [];
  /** Contention memory: blocks in a row that speculation did not pay for, and blocks left to run serially before trying again. */
  private contendedBlocks = 0;
  private serialBlocksLeft = 0;
  /** Which pays for these blocks: the workers, or the VM's serial executor. */
  private readonly speed: SpeedChoice;

  constructor(private readonly options: ParallelExecutorOptions) {
    this.outputCodec = options.outputCodec;
    this.payloadCodec = options.payloadCodec;
    this.workerPayload = options.workerPayload;
    this.workerCount = options.workers ?? availableParallelism();
    if (!Number.isInteger(this.workerCount) || this.workerCount < 1)
      throw new Error(`workers must be a positive integer, got ${options.workers}`);
    this.youngGenerationMb = options.workerYoungGenerationMb ?? WORKER_YOUNG_GENERATION_MB;
    if (!Number.isInteger(this.youngGenerationMb) || this.youngGenerationMb < 3 || this.youngGenerationMb > 3_072)
      throw new Error(`workerYoungGenerationMb must be an integer from 3 to 3072, got ${options.workerYoungGenerationMb}`);
    this.minParallelTxs = options.minParallelTxs ?? 64;
    this.splitCoordinatorShare = options.splitCoordinatorShare ?? 0;
    if (!(this.splitCoordinatorShare >= 0 && this.splitCoordinatorShare < 1))
      throw new Error(`splitCoordinatorShare must be a number from 0 up to (not including) 1, got ${options.splitCoordinatorShare}`);
    this.splitStealFraction = options.splitStealFraction ?? STEAL_FRACTION;
    if (!(this.splitStealFraction > 0 && this.splitStealFraction <= 1))
      throw new Error(`splitStealFraction must be a number above 0 and at most 1, got ${options.splitStealFraction}`);
    this.maxSplitThreads = options.maxSplitThreads ?? Math.max(2, availableParallelism());
    if (!Number.isInteger(this.maxSplitThreads) || this.maxSplitThreads < 2)
      throw new Error(`maxSplitThreads must be an integer >= 2, got ${options.maxSplitThreads}`);
    this.splitPieceReports = options.splitPieceReports ?? DEFAULT_SPLIT_PIECE_REPORTS;
    this.splitLeadTxs = options.splitLeadTxs ?? 0;
    if (!Number.isInteger(this.splitLeadTxs) || this.splitLeadTxs < 0)
      throw new Error(`splitLeadTxs must be a non-negative integer, got ${options.splitLeadTxs}`);
    this.workerWatchMs = options.workerWatchMs ?? WORKER_WATCH_MS;
    if (!(Number.isFinite(this.workerWatchMs) && this.workerWatchMs >= 0 && this.workerWatchMs <= 1_000))
      throw new Error(`workerWatchMs must be a number of ms from 0 to 1000, got ${options.workerWatchMs}`);
    if (!Number.isInteger(this.splitPieceReports) || this.splitPieceReports < 1 || this.splitPieceReports > 1_000)
      throw new Error(`splitPieceReports must be an integer from 1 to 1000, got ${options.splitPieceReports}`);
    this.maxTaskTxs = options.maxTaskTxs ?? 32;
    this.tasksPerWorker = options.tasksPerWorker ?? 2;
    this.claimMs = options.claimMs ?? DEFAULT_CLAIM_MS;
    this.minDeclaredParallelism = options.minDeclaredParallelism ?? 1.5;
    if (!(this.minDeclaredParallelism >= 0))
      throw new Error(`minDeclaredParallelism must be a number >= 0, got ${options.minDeclaredParallelism}`);
    if (!(this.claimMs > 0 && this.claimMs <= 1_000)) throw new Error(`claimMs must be in (0, 1000], got ${options.claimMs}`);
    this.speed = new SpeedChoice(options.adaptive !== false, options.probeEvery ?? 16, options.warmupTxs ?? DEFAULT_WARMUP_TXS);
    if (!Number.isInteger(this.tasksPerWorker) || this.tasksPerWorker < 1)
      throw new Error(`tasksPerWorker must be a positive integer, got ${options.tasksPerWorker}`);
  }

  /** Starts the worker threads now (otherwise on the first block). */
  async start(): Promise<void> {
    this.spawnMissing();
    await Promise.all(this.workers.map((w) => w.ready));
  }

  /**
   * Tells the executor a block committed: its writes moved the state from version `from` to
   * `to`. Workers' copies catch up before the next block (or get a snapshot if they missed one).
   */
  committed(from: number, to: number, writes: Map<bigint, bigint>, payload?: unknown): void {
    this.commits.push({ from, to, writes, payload });
    if (this.local && payload !== undefined) this.local.committed?.(payload);
    if (this.commits.length > 64) this.commits = this.commits.slice(-64);
  }

  /** Test hook: in the next block, the first worker to start tx `atTx` or a later one exits as if it crashed. */
  crashWorkerAt(atTx: number): void {
    this.crashPlan = atTx;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate().catch(() => undefined)));
    this.workers = [];
  }

  /**
   * Runs a block's txs. `declared` (optional, per tx): the keys txs declare (EIP-2930 access
   * lists, ...). When they make some txs depend on earlier ones, the block is scheduled from that
   * dependency graph (see BlockRun) instead of letting the workers claim every tx at once. May be
   * a function: it is called only when the block is not run serially for another reason.
   */
  async run(
    block: unknown,
    txs: readonly unknown[],
    state: SnapshotState,
    declaredKeys?: DeclaredList | (() => DeclaredList | undefined),
  ): Promise<RunOutcome> {
    if (this.closed) throw new Error('parallel executor is closed');
    const n = txs.length;
    if (n < this.minParallelTxs) return { kind: 'serial', reason: `small block (${n} txs < ${this.minParallelTxs})` };
    if (this.serialBlocksLeft > 0) {
      this.serialBlocksLeft--;
      return {
        kind: 'serial',
        reason: `recent blocks were contended (${this.contendedBlocks} in a row); parallel again in ${this.serialBlocksLeft + 1} block(s)`,
      };
    }
    if (this.speed.chooseSerial()) return { kind: 'serial', reason: this.speed.describe() };
    const declared = typeof declaredKeys === 'function' ? declaredKeys() : declaredKeys;
    if (declared !== undefined && declared.length !== n)
      throw new Error(`declared keys for ${declared.length} txs, but the block has ${n}`);
    const graph = declared === undefined ? undefined : declaredDependencies(declared);
    if (graph !== undefined && graph.longestChain > 0 && n / graph.longestChain < this.minDeclaredParallelism) {
      // As after a contended block: the next blocks run serially without mapping their keys again
      // (on a 20 µs Wasm call, mapping the keys and building the graph cost ~10-15 %).
      this.backOff();
      return {
        kind: 'serial',
        reason: `declared keys chain ${graph.longestChain} of the ${n} txs one after another (parallelism ${(n / graph.longestChain).toFixed(2)} < ${this.minDeclaredParallelism})`,
      };
    }
    this.spawnMissing();
    try {
      await Promise.all(this.workers.map((w) => w.ready));
    } catch (err) {
      this.dropDead();
      return { kind: 'serial', reason: `execution workers unavailable: ${(err as Error).message}` };
    }
    await this.waitIdle();
    if (this.workers.some((w) => !w.alive)) {
      this.dropDead();
      return { kind: 'serial', reason: 'an execution worker died between blocks' };
    }
    this.sync(state);
    const blockId = ++this.blockId;
    // After contended blocks, a block first speculates on its first quarter only (see
    // BlockRun.checkProbe). A block whose declared keys make txs depend on others is scheduled
    // from that graph instead: nothing is claimed, every tx is handed out as a task.
    const scheduled = graph !== undefined && graph.edges > 0 ? graph : undefined;
    const probing = this.contendedBlocks > 0 && this.options.contentionBackoff !== false && scheduled === undefined;
    const split =
      this.options.splitFirst === true &&
      !this.lastBlockConflicted &&
      !probing &&
      scheduled === undefined &&
      this.options.coordinatorExecutes !== true;
    if (split)
      return this.finishBlock(
        await runSplitBlock(
          this,
          blockId,
          block,
          txs,
          state,
          // With a share, this thread executes too: at most maxSplitThreads threads run the block.
          this.splitCoordinatorShare > 0 ? this.workers.slice(0, Math.max(1, this.maxSplitThreads - 1)) : this.workers,
          this.splitCoordinatorShare,
          this.options.splitWorkersSteal !== false,
          this.splitPieceReports,
          this.splitStealFraction,
        ),
      );
    // The txs go out in growing pieces (each serialised once for all workers): the workers start
    // on the first ones while this thread still serialises the rest.
    const first = Math.min(n, FIRST_PIECE_PER_WORKER * this.workers.length);
    const begin = serialize({
      type: 'begin',
      blockId,
      block,
      txs: this.wire(txs.slice(0, first)),
      total: n,
    } satisfies ToWorker);
    for (const w of this.workers) w.post({ type: 'encoded', bytes: begin });
    this.postCrashPlan();
    // The first executions: every thread claims txs from counter[0] (the lowest unclaimed tx), up
    // to counter[1].
    const counter = new Int32Array(new SharedArrayBuffer(8));
    counter[1] = probing ? Math.max(Math.min(n, PROBE_MIN_TXS), Math.ceil(n / 4)) : n;
    if (scheduled !== undefined) counter[0] = n;
    else
      for (const w of this.workers) {
        w.claimingBlock = blockId;
        w.post({
          type: 'claim',
          blockId,
          counter: counter.buffer as SharedArrayBuffer,
          workers: this.workers.length,
          claimMs: this.claimMs,
        });
      }
    this.sendRest(blockId, txs, first);
    const local = this.options.coordinatorExecutes === true ? await this.localEngine() : undefined;
    if (local) await local.beginBlock(block, txs);
    const outcome = await new BlockRun(
      this,
      blockId,
      block,
      txs,
      state,
      this.workers,
      counter,
      this.maxTaskTxs,
      this.tasksPerWorker,
      local,
      this.lastBlockConflicted,
      scheduled,
    ).execute();
    return this.finishBlock(outcome, probing);
  }

  /** @internal Some of a block's txs as a 'begin' / 'more' message carries them to workers (see payloadCodec, workerPayload). */
  wire(txs: unknown[]): WireTxs {
    return wireTxs(this.payloadCodec === undefined && this.workerPayload ? txs.map(this.workerPayload) : txs, this.payloadCodec);
  }

  /** @internal The crash test hook's plan, to the workers (after the block's 'begin'). */
  postCrashPlan(): void {
    const plan = this.takeCrashPlan();
    if (plan !== undefined) for (const w of this.workers) w.post(plan);
  }

  /** @internal The crash test hook's plan for this block, as the message for the workers (post it after their 'begin'), once. */
  takeCrashPlan(): Extract<ToWorker, { type: 'crash-at' }> | undefined {
    if (this.crashPlan === undefined) return undefined;
    const plan = { type: 'crash-at' as const, atTx: this.crashPlan, token: new SharedArrayBuffer(4) };
    this.crashPlan = undefined;
    return plan;
  }

  /** The block's txs from `first` on, to every worker, in pieces twice as big each time (each serialised once for all). */
  private sendRest(blockId: number, txs: readonly unknown[], first: number): void {
    for (let at = first, size = 2 * first; at < txs.length; at += size, size *= 2) {
      const more = serialize({ type: 'more', blockId, txs: this.wire(txs.slice(at, at + size)) } satisfies ToWorker);
      for (const w of this.workers) w.post({ type: 'encoded', bytes: more });
    }
  }

  /** What the next blocks learn from this one: whether it had conflicts, and whether speculation collapsed. */
  private finishBlock(outcome: RunOutcome, probe = false): RunOutcome {
    this.lastBlockConflicted = (outcome.stats?.reexecutions ?? 0) > 0;
    this.learnContention(outcome, probe);
    return outcome;
  }

  /**
   * The VM's report of how long a block of `txs` took, end to end (execution and assembly), and
   * how it ran: in the workers (a block `run` returned as parallel without a serial tail) or
   * serially (by the VM's serial executor). Feeds the adaptive choice; blocks below
   * `minParallelTxs` are ignored.
   */
  noteBlock(how: 'workers' | 'serial', txs: number, ms: number): void {
    if (txs >= this.minParallelTxs && txs > 0) this.speed.note(how, ms / txs, txs);
  }

  /**
   * After a block whose speculation collapsed (it ended with a serial tail), the next blocks are
   * run serially by the VM (no worker round trips at all): 1, 2, 4, ... up to
   * MAX_CONTENTION_BACKOFF blocks, then parallel is tried again. A block that runs in parallel to
   * the end resets this, unless it was a probe that wasted much (see stillContended).
   */
  private learnContention(outcome: RunOutcome, probe: boolean): void {
    // A split pass that met a conflict says nothing about Block-STM's speculation: the next block takes that path.
    if (outcome.stats?.split !== undefined || outcome.kind !== 'parallel') return;
    if (stillContended(outcome.stats, probe)) this.backOff();
    else this.contendedBlocks = 0;
  }

  /** One more contended block in a row: the next 1, 2, 4, ... (at most MAX_CONTENTION_BACKOFF) blocks run serially. */
  private backOff(): void {
    if (this.options.contentionBackoff === false) return;
    this.contendedBlocks++;
    this.serialBlocksLeft = Math.min(MAX_CONTENTION_BACKOFF, 2 ** (this.contendedBlocks - 1));
  }

  /** @internal */
  listen(onMessage: (w: ExecWorker, msg: FromWorker) => void, onExit: (w: ExecWorker, reason: string) => void): void {
    this.onMessage = onMessage;
    this.onExit = onExit;
  }

  /** @internal */
  async localEngine(): Promise<TxEngine> {
    this.local ??= await this.options.localEngine();
    return this.local;
  }

  /** @internal Resets worker crash state after a run that lost a worker. */
  dropDead(): void {
    const dead = this.workers.filter((w) => !w.alive);
    for (const w of dead) void w.terminate().catch(() => undefined);
    this.workers = this.workers.filter((w) => w.alive);
  }

  private spawnMissing(): void {
    this.dropDead();
    while (this.workers.length < this.workerCount) {
      const w = new ExecWorker(
        this.nextWorkerId++,
        this.options.engineModule,
        this.options.engineOptions,
        {
          message: (worker, msg) => {
            if (msg.type === 'done' && msg.claimed === undefined && msg.more === undefined) worker.tasks--;
            if (msg.type === 'drained' && msg.blockId === worker.claimingBlock) worker.claimingBlock = undefined;
            if (!worker.busy) this.wakeIdleWaiters();
            this.onMessage?.(worker, msg);
          },
          exit: (worker, reason) => {
            worker.tasks = 0;
            worker.claimingBlock = undefined;
            this.wakeIdleWaiters();
            this.onExit?.(worker, reason);
          },
        },
        this.options.hostHandler,
        { maxYoungGenerationSizeMb: this.youngGenerationMb },
        this.workerWatchMs,
      );
      this.workers.push(w);
    }
  }

  /** Waits until no worker is still running a task or a claim of an earlier block. */
  private async waitIdle(): Promise<void> {
    while (this.workers.some((w) => w.alive && w.busy)) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private wakeIdleWaiters(): void {
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Brings every worker's committed-state replica to `state.version`: the commits it missed, in order, or a full snapshot. */
  private sync(state: SnapshotState): void {
    let snapshot: Map<bigint, bigint> | undefined;
    for (const w of this.workers) {
      if (w.stateVersion === state.version) continue;
      const path: typeof this.commits = [];
      let at = w.stateVersion;
      while (at !== state.version) {
        const next = this.commits.find((c) => c.from === at);
        if (next === undefined) break;
        path.push(next);
        at = next.to;
      }
      if (at === state.version && w.stateVersion >= 0) {
        for (const c of path) w.post({ type: 'commit', writes: c.writes, payload: c.payload });
      } else {
        snapshot ??= new Map(state.entries());
        w.post({ type: 'snapshot', entries: snapshot });
      }
      w.stateVersion = state.version;
    }
    const oldest = Math.min(...this.workers.map((w) => w.stateVersion));
    this.commits = this.commits.filter((c) => c.to > oldest);
  }
}

/** One block's execution: the scheduler, validation and commit logic of Block-STM. */
class BlockRun {
  private readonly n: number;
  private readonly status: Uint8Array;
  private readonly incarnation: Uint32Array;
  private readonly records: (TxRecord | undefined)[];
  private readonly mv = new MVMemory();
  /**
   * Scheduled from declared keys: per tx, how many of the txs it depends on have not executed yet
   * (0 once it was handed out), and per tx the txs that wait for it that way.
   */
  private readonly unmet: Int32Array | undefined;
  private readonly dependents: Map<number, number[]> | undefined;
  private readonly deps: (number[] | undefined)[] | undefined;
  /** Dependencies scheduled (RunStats.declaredDependencies). */
  private readonly declaredEdges: number | undefined;
  /** Executed txs that read a key: re-validated when the key's value changes below them. */
  private readonly readers = new Map<bigint, number[]>();
  /** Txs waiting for a tx to be re-executed (they read its ESTIMATE). */
  private readonly waiting = new Map<number, number[]>();
  private frontier = 0;
  private executions = 0;
  private aborts = 0;
  private completed = 0;
  private nextTaskId = 0;
  private readonly tasks = new Map<number, Task>();
  /** Writes not yet sent to the replicas, with the worker that produced them (it has them already). */
  private readonly outWrites: { from: ExecWorker | undefined; write: ReplicaWrite }[] = [];
  private readonly outEstimates: number[] = [];
  private finish!: (outcome: RunOutcome) => void;
  private done = false;
  /** Whether the replicas get the block's writes as they come (see flush). */
  private forwarding: boolean;
  private contention = false;

  constructor(
    private readonly exec: ParallelExecutor,
    private readonly blockId: number,
    private readonly block: unknown,
    private readonly txs: readonly unknown[],
    private readonly state: SnapshotState,
    private readonly workers: ExecWorker[],
    /** The lowest tx no thread has claimed for its first execution (shared with the workers). */
    private readonly counter: Int32Array,
    private readonly maxTaskTxs: number,
    private readonly tasksPerWorker: number,
    /** The coordinator's own engine, when it executes tasks too (its block already begun). */
    private readonly local: TxEngine | undefined,
    /** Forward writes to the replicas from the start (the last block had conflicts). */
    forwardFromStart: boolean,
    /**
     * The dependencies of txs that declared their keys, when there are some: no tx is claimed;
     * a tx is handed out once the txs it depends on executed (or in the same task, after them:
     * a task's txs run in order on one worker), so that with right declarations nothing runs on
     * a value about to change. A wrong declaration only costs what the optimistic path costs:
     * validation catches the read and the tx runs again.
     */
    scheduled?: DependencyGraph,
  ) {
    this.forwarding = forwardFromStart || scheduled !== undefined;
    this.n = txs.length;
    this.status = new Uint8Array(this.n).fill(scheduled ? READY : NEW);
    this.incarnation = new Uint32Array(this.n);
    this.records = new Array(this.n);
    if (scheduled) {
      this.deps = scheduled.deps;
      this.declaredEdges = scheduled.edges;
      this.unmet = new Int32Array(this.n);
      this.dependents = new Map();
      scheduled.deps.forEach((deps, i) => {
        if (deps === undefined) return;
        this.unmet![i] = deps.length;
        this.status[i] = WAITING;
        for (const d of deps) {
          const list = this.dependents!.get(d);
          if (list) list.push(i);
          else this.dependents!.set(d, [i]);
        }
      });
    }
  }

  execute(): Promise<RunOutcome> {
    return new Promise<RunOutcome>((resolve) => {
      this.finish = (outcome) => {
        if (this.done) return;
        this.done = true;
        this.stopClaims();
        this.exec.listen(
          () => undefined,
          () => undefined,
        );
        resolve(outcome);
      };
      this.exec.listen(
        (w, msg) => this.onMessage(w, msg),
        (_w, reason) => {
          this.exec.dropDead();
          this.finish({
            kind: 'serial',
            reason: `execution worker crashed mid-block (${reason}); block re-run serially`,
            stats: this.stats(),
          });
        },
      );
      this.dispatch();
      if (this.local) this.scheduleLocal();
    });
  }

  private localScheduled = false;
  private localRunning: Promise<void> | undefined;

  /** Runs a local task soon: after the workers' reports that are already waiting have been handled. */
  private scheduleLocal(): void {
    if (this.localScheduled || this.done || this.contention) return;
    this.localScheduled = true;
    setImmediate(() => {
      this.localScheduled = false;
      void this.localTask();
    });
  }

  /** The coordinator executes a task of the lowest ready txs itself, then goes back to the event loop. */
  private localTask(): Promise<void> {
    const running = this.runLocalTask().finally(() => {
      if (this.localRunning === running) this.localRunning = undefined;
    });
    this.localRunning = running;
    return running;
  }

  private async runLocalTask(): Promise<void> {
    if (this.done || this.contention) return;
    const task = this.claimTask() ?? this.claimFirst();
    if (task === undefined) return; // nothing ready: the next report wakes it up
    const engine = this.local!;
    let aborted: { tx: number; incarnation: number; blocking: number } | undefined;
    let failed: string | undefined;
    for (let j = 0; j < task.incarnations.length; j++) {
      const tx = taskTx(task, j);
      const incarnation = task.incarnations[j];
      const view = new RecordingView(tx, this.mv, this.committedValue);
      let r: TxResult;
      try {
        const ran = engine.executeTx(tx, view);
        r = isPromise(ran) ? await ran : ran;
      } catch (err) {
        if (isDependencyAbort(err)) aborted = { tx, incarnation, blocking: err.blocking };
        else failed = (err as Error)?.stack ?? String(err);
        break;
      }
      if (this.done || this.contention) return;
      // Recorded at once: the task's later txs read this one's writes from the multi-version memory.
      this.executions++;
      try {
        this.recordExecution(executedTx(tx, incarnation, view.reads, r), undefined);
      } catch (err) {
        if (err instanceof SerialNeeded) return this.finish({ kind: 'serial', reason: err.message, stats: this.stats() });
        throw err;
      }
      if (r.shared !== undefined) engine.receive?.(r.shared);
      // A tx recorded meanwhile may have invalidated one this task has not reached yet.
      if (this.status[tx] !== EXECUTED || r.serialOnly !== undefined) break;
    }
    this.report(undefined, { executed: [], aborted, failed }, task);
    this.scheduleLocal();
  }

  private stats(serialFrom?: number): RunStats {
    return {
      txs: this.n,
      executions: this.executions,
      reexecutions: Math.max(0, this.executions - this.n),
      mode: serialFrom === undefined ? 'parallel' : 'parallel+serial-tail',
      ...(serialFrom === undefined ? {} : { serialFrom }),
      ...(this.declaredEdges === undefined ? {} : { declaredDependencies: this.declaredEdges }),
    };
  }

  /** Txs per task: big enough to amortise the round trip, shrinking towards the end of the block so workers finish together. */
  private taskSize(remaining = this.n): number {
    return Math.max(
      1,
      Math.min(
        this.maxTaskTxs,
        Math.ceil(this.n / (this.workers.length * 4)),
        Math.max(4, Math.ceil(remaining / (this.workers.length * 2))),
      ),
    );
  }

  private dispatch(): void {
    if (this.done || this.contention) return;
    // Round by round, so that with several tasks per worker the lowest txs are spread over all
    // workers. A task queued behind another cannot move to a worker that runs dry, so queueing
    // stops towards the end of the block (fewer ready txs than a full task per worker per round).
    for (let round = 0; round < this.tasksPerWorker; round++) {
      if (round > 0 && this.readyCount() < this.workers.length * (round + 1) * this.taskSize()) return;
      for (const w of this.workers) {
        if (w.tasks > round || !w.alive) continue;
        if (!this.dispatchTo(w)) return;
      }
    }
  }

  /** Txs ready to be handed out (from the commit frontier on). */
  private readyCount(): number {
    let ready = 0;
    for (let i = this.frontier; i < this.n; i++) if (this.status[i] === READY) ready++;
    return ready;
  }

  /** Posts a task of the lowest ready txs to `w`; false when no tx is ready. */
  private dispatchTo(w: ExecWorker): boolean {
    const task = this.claimTask();
    if (task === undefined) return false;
    this.flush();
    w.tasks++;
    const taskId = this.nextTaskId++;
    this.tasks.set(taskId, task);
    w.post({
      type: 'exec',
      blockId: this.blockId,
      taskId,
      start: task.start,
      incarnations: task.incarnations,
      ...(task.txs ? { txs: task.txs } : {}),
    });
    return true;
  }

  /** Marks the lowest ready txs (up to a task's size, consecutive) executing; undefined when none is ready. */
  private claimTask(): Task | undefined {
    if (this.unmet !== undefined) return this.claimScheduled();
    let start = -1;
    for (let i = this.frontier; i < this.n; i++) {
      if (this.status[i] === READY) {
        start = i;
        break;
      }
    }
    if (start < 0) return undefined;
    const incarnations: number[] = [];
    const size = this.taskSize(this.n - start);
    for (let i = start; i < this.n && incarnations.length < size && this.status[i] === READY; i++) {
      this.status[i] = EXECUTING;
      incarnations.push(this.incarnation[i]);
    }
    return { start, incarnations };
  }

  /**
   * A task of a block scheduled from declared keys: from the lowest ready tx on, in block order,
   * ready txs (at most this worker's share of those ready now, so that independent chains go to
   * different workers) and the txs that wait only for txs already executed or in this task: the
   * worker runs a tx's dependencies before it and reads their writes. Not consecutive in general.
   */
  private claimScheduled(): Task | undefined {
    const unmet = this.unmet!;
    const ready = this.readyCount();
    if (ready === 0) return undefined;
    const quota = Math.max(1, Math.ceil(ready / this.workers.length));
    const size = this.taskSize();
    const txs: number[] = [];
    const inTask = new Set<number>();
    let readyTaken = 0;
    for (let i = this.frontier; i < this.n && txs.length < size; i++) {
      const st = this.status[i];
      let joins = false;
      if (st === READY) joins = readyTaken++ < quota;
      else if (st === WAITING && unmet[i] > 0) {
        joins = this.deps![i]!.every((d) => inTask.has(d) || this.status[d] === EXECUTED || this.status[d] === COMMITTED);
      }
      if (!joins) continue;
      this.status[i] = EXECUTING;
      unmet[i] = 0;
      txs.push(i);
      inTask.add(i);
    }
    const incarnations = txs.map((i) => this.incarnation[i]);
    const consecutive = txs[txs.length - 1] - txs[0] === txs.length - 1;
    return consecutive ? { start: txs[0], incarnations } : { start: txs[0], incarnations, txs };
  }

  /** Tx `tx` executed for the first time: the txs that declared a dependency on it may be ready. */
  private releaseDependents(tx: number): void {
    const list = this.dependents!.get(tx);
    if (list === undefined) return;
    this.dependents!.delete(tx);
    for (const t of list) if (this.unmet![t] > 0 && --this.unmet![t] === 0 && this.status[t] === WAITING) this.status[t] = READY;
  }

  /** Claims the next txs' first executions from the counter, as the workers do (the coordinator's own tasks). */
  private claimFirst(): Task | undefined {
    const claim = claimTxs(this.counter, this.n, this.n, (start) => this.taskSize(this.n - start));
    if (typeof claim === 'string') return undefined;
    const { start, count: size } = claim;
    const incarnations = new Array<number>(size).fill(0);
    incarnations.forEach((_, j) => (this.status[start + j] = EXECUTING));
    return { start, incarnations };
  }

  /** No thread claims more of this block's txs (it finished, or its tail runs in this thread). */
  private stopClaims(): void {
    Atomics.store(this.counter, 0, this.n);
    // Workers waiting at a probe's claim limit look again, and say 'drained'.
    if (Atomics.exchange(this.counter, 1, this.n) < this.n) this.wakeClaimers();
  }

  private wakeClaimers(): void {
    for (const w of this.workers) w.post({ type: 'more', blockId: this.blockId, txs: [] });
  }

  /**
   * A probe block (the first after contended blocks) lets the threads claim its first quarter
   * only. Once that part has committed, it goes on in parallel if few of its executions were
   * wasted (the load changed), and otherwise runs the rest in this thread: a probe of a load
   * that is still contended then costs a quarter block of speculation, not a whole one.
   */
  private checkProbe(): 'go on' | 'stop' | 'wait' {
    const limit = Atomics.load(this.counter, 1);
    if (limit >= this.n || this.frontier < limit) return 'wait';
    if (this.aborts * 4 > this.completed) return 'stop';
    Atomics.store(this.counter, 1, this.n);
    this.wakeClaimers();
    return 'go on';
  }

  /**
   * Sends pending multi-version updates to every worker, each its producer's writes excepted
   * (after a report, and before a task is dispatched). Until the block shows a conflict (or when
   * the last block had none), updates are held back: without a conflict no worker reads another's
   * writes, and a replica that lags only costs a re-execution, which turns forwarding on.
   */
  private flush(): void {
    if (!this.forwarding) return;
    if (this.outWrites.length === 0 && this.outEstimates.length === 0) return;
    const writes = this.outWrites.splice(0);
    const estimates = this.outEstimates.splice(0);
    for (const w of this.workers) {
      if (!w.alive) continue;
      const theirs = writes.filter((o) => o.from !== w).map((o) => o.write);
      if (theirs.length > 0 || estimates.length > 0) w.post({ type: 'mv', blockId: this.blockId, writes: theirs, estimates });
    }
  }

  private onMessage(from: ExecWorker, msg: FromWorker): void {
    if (this.done || msg.type !== 'done' || msg.blockId !== this.blockId) {
      if (!this.done && !this.contention) this.dispatch();
      return;
    }
    let task: Task | undefined;
    if (msg.claimed !== undefined) {
      // First executions the worker claimed: executing (as incarnation 0) since it claimed them.
      const { start, count } = msg.claimed;
      task = { start, incarnations: new Array<number>(count).fill(0) };
      for (let i = start; i < start + count; i++) if (this.status[i] === NEW) this.status[i] = EXECUTING;
    } else {
      task = this.tasks.get(msg.taskId);
      this.tasks.delete(msg.taskId);
    }
    this.report(from, { executed: decodeExecuted(msg.executed, this.exec.outputCodec), aborted: msg.aborted, failed: msg.failed }, task);
  }

  /** One finished task (a worker's or the coordinator's): record it, commit what can be, and hand out more work. */
  private report(
    from: ExecWorker | undefined,
    msg: { executed: ExecutedTx[]; aborted?: { tx: number; incarnation: number; blocking: number }; failed?: string },
    task: Task | undefined,
  ): void {
    if (this.done || this.contention) return; // the block has finished, or its tail runs in this thread
    try {
      if (msg.failed !== undefined) throw new SerialNeeded(`engine failure ${from ? 'in a worker' : 'in the coordinator'}: ${msg.failed}`);
      this.executions += msg.executed.length + (msg.aborted ? 1 : 0);
      for (const e of msg.executed) this.recordExecution(e, from);
      if (msg.aborted && this.status[msg.aborted.tx] === EXECUTING && this.incarnation[msg.aborted.tx] === msg.aborted.incarnation) {
        const { tx, blocking } = msg.aborted;
        this.aborts++;
        this.forwarding = true;
        const pending = this.status[blocking];
        if (pending === READY || pending === EXECUTING || pending === WAITING || pending === NEW) {
          this.status[tx] = WAITING;
          const list = this.waiting.get(blocking) ?? [];
          list.push(tx);
          this.waiting.set(blocking, list);
        } else {
          this.status[tx] = READY;
        }
      }
      // Txs of the task that did not run (it stopped early) are ready again.
      if (task) {
        task.incarnations.forEach((inc, j) => {
          const i = taskTx(task, j);
          if (this.status[i] === EXECUTING && this.incarnation[i] === inc) this.status[i] = READY;
        });
      }
      this.advance();
    } catch (err) {
      if (err instanceof SerialNeeded) return this.finish({ kind: 'serial', reason: err.message, stats: this.stats() });
      throw err;
    }
    if (this.frontier >= this.n) return this.complete();
    if (this.shouldStopSpeculating() || this.checkProbe() === 'stop') return void this.serialTail();
    this.dispatch();
    this.flush(); // the other workers' replicas get these writes before their next claims
    if (this.local) this.scheduleLocal();
  }

  private recordExecution(e: ExecutedTx, from: ExecWorker | undefined): void {
    if (e.incarnation !== this.incarnation[e.tx] || this.status[e.tx] !== EXECUTING) return; // superseded
    if (e.serialOnly !== undefined) throw new SerialNeeded(`tx ${e.tx}: ${e.serialOnly}`);
    // The coordinator's engine needs what workers share (e.g. code deployed) before it runs later txs.
    if (from !== undefined && e.shared !== undefined) this.local?.receive?.(e.shared);
    this.completed++;
    const changed = this.mv.record(e.tx, e.incarnation, e.writes) ?? [];
    this.records[e.tx] = {
      reads: e.reads,
      result: { writes: e.writes, output: e.output, shared: e.shared },
    };
    // Readers per key (an index may repeat or be stale: re-validation checks the current record).
    for (let r = 0; r < e.reads.length; r += 2) {
      const key = e.reads[r];
      const list = this.readers.get(key);
      if (list === undefined) this.readers.set(key, [e.tx]);
      else if (list[list.length - 1] !== e.tx) list.push(e.tx);
    }
    this.status[e.tx] = EXECUTED;
    this.outWrites.push({ from, write: { tx: e.tx, incarnation: e.incarnation, writes: e.writes, shared: e.shared } });
    if (this.dependents) this.releaseDependents(e.tx);
    const waiters = this.waiting.get(e.tx);
    if (waiters) {
      this.waiting.delete(e.tx);
      for (const t of waiters) if (this.status[t] === WAITING) this.status[t] = READY;
    }
    // It may have read what an execution recorded meanwhile had already changed.
    if (!this.validate(e.tx)) this.invalidate(e.tx);
    // Later txs that read a key whose value just changed: re-validate them now.
    for (const key of changed) {
      const list = this.readers.get(key);
      if (!list) continue;
      for (const j of list) if (j > e.tx && this.status[j] === EXECUTED && !this.validate(j)) this.invalidate(j);
    }
  }

  private validate(tx: number): boolean {
    const reads = this.records[tx]!.reads;
    for (let r = 0; r < reads.length; r += 2) {
      if (!this.mv.stillValid(reads[r], tx, reads[r + 1], this.committedValue)) return false;
    }
    return true;
  }

  /** A committed value (one function for every read and validation, not a closure per call). */
  private readonly committedValue = (key: bigint): bigint => this.state.get(key);

  /** Tx `tx` read something that changed: it runs again; its writes become ESTIMATEs meanwhile. */
  private invalidate(tx: number): void {
    this.aborts++;
    this.forwarding = true;
    this.status[tx] = READY;
    this.incarnation[tx]++;
    this.mv.markEstimate(tx);
    this.outEstimates.push(tx);
  }

  /**
   * Commits in block order: the frontier tx is final once it is executed, as every tx below it
   * is final. Its reads hold without checking them again here: an execution is validated when it
   * is recorded, and again whenever a key it read changes below it (`readers`; an ESTIMATE below
   * it is not final, so the frontier cannot pass it before its re-execution is recorded, which
   * re-validates the readers).
   */
  private advance(): void {
    while (this.frontier < this.n && this.status[this.frontier] === EXECUTED) {
      this.status[this.frontier] = COMMITTED;
      this.frontier++;
    }
  }

  /** Many re-executions: speculation is not paying for itself in this block. */
  private shouldStopSpeculating(): boolean {
    return this.completed >= 2 * this.taskSize() && this.aborts * 2 > this.completed;
  }

  private complete(): void {
    const results = this.records.map((r) => r!.result);
    this.finish({ kind: 'parallel', results, stats: this.stats() });
  }

  /** Runs txs frontier..n-1 in this thread, one after another, over the committed prefix's writes. */
  private async serialTail(): Promise<void> {
    this.contention = true;
    this.stopClaims();
    await this.localRunning; // the coordinator's own task stops at its next tx boundary
    const from = this.frontier;
    const executionsBefore = this.executions;
    try {
      const engine = await this.exec.localEngine();
      await engine.beginBlock(this.block, this.txs);
      const prefix = this.records.slice(0, from).map((rec) => rec!.result);
      const tail = await runInOrder(engine, this.state, this.n, from, prefix);
      tail.forEach((r, j) => (this.records[from + j] = { reads: [], result: r }));
      this.executions = executionsBefore + (this.n - from);
      const results = this.records.map((rec) => rec!.result);
      this.finish({ kind: 'parallel', results, stats: this.stats(from) });
    } catch (err) {
      if (err instanceof SerialNeeded) return this.finish({ kind: 'serial', reason: err.message, stats: this.stats() });
      this.finish({ kind: 'serial', reason: `engine failure: ${(err as Error)?.message ?? String(err)}`, stats: this.stats() });
    }
  }
}

/** Per tx of a block, the keys it declares (undefined: none). */
export type DeclaredList = readonly (DeclaredKeys | undefined)[];

/** A task: txs `start`, `start + 1`, ... or, when not consecutive, the txs listed in `txs` (ascending), each as its incarnation. */
interface Task {
  start: number;
  incarnations: number[];
  txs?: number[];
}

const taskTx = (task: Task, j: number): number => (task.txs ? task.txs[j] : task.start + j);
