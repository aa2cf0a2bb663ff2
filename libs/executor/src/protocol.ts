import type { TxOutputCodec, TxPayloadCodec, TxResult } from './engine';

/** Messages between the coordinator (main thread) and its execution workers. All structured-cloneable. */

/** A block's txs on their way to a worker: as they are (cloned), or encoded by the VM's TxPayloadCodec. */
export type WireTxs = unknown[] | { encoded: unknown };

/** `txs` for a 'begin' / 'more' message: encoded when the VM has a payload codec. */
export function wireTxs(txs: unknown[], codec: TxPayloadCodec | undefined): WireTxs {
  return codec === undefined ? txs : { encoded: codec.encode(txs) };
}

/** A 'begin' / 'more' message's txs, in a worker; `codec`: its engine module's `txPayloadCodec`. */
export function txsFromWire(txs: WireTxs, codec: TxPayloadCodec | undefined): unknown[] {
  if (Array.isArray(txs)) return txs;
  if (codec === undefined)
    throw new Error('the executor encodes tx payloads (it has a payloadCodec) but the engine module exports no txPayloadCodec');
  return codec.decode(txs.encoded);
}

/** One tx's writes as the replicas get them. */
export interface ReplicaWrite {
  tx: number;
  incarnation: number;
  writes: Map<bigint, bigint>;
  shared?: unknown;
}

export type ToWorker =
  /** Replaces the worker's copy of committed state. */
  | { type: 'snapshot'; entries: Map<bigint, bigint> }
  /** A block committed: its writes (0 = delete) and the VM's payload for TxEngine.committed. */
  | { type: 'commit'; writes: Map<bigint, bigint>; payload?: unknown }
  /**
   * A block starts: its environment and its first txs. The others follow in 'more' messages, in
   * order, so a worker can start on the first ones while the rest is still being serialised.
   */
  | {
      type: 'begin';
      blockId: number;
      block: unknown;
      txs: WireTxs;
      total: number;
      /** Index of the first of `txs` in the block (default 0): a split piece's worker gets its own piece's txs only. */
      offset?: number;
    }
  /** The block's next txs, appended after those already sent. */
  | { type: 'more'; blockId: number; txs: WireTxs }
  /** Updates of the block's multi-version memory: new writes, and txs now being re-executed. */
  | { type: 'mv'; blockId: number; writes: ReplicaWrite[]; estimates: number[] }
  /**
   * Execute txs start .. start + incarnations.length - 1 (or, when given, the txs listed in `txs`,
   * ascending), in order, each as the given incarnation.
   */
  | { type: 'exec'; blockId: number; taskId: number; start: number; incarnations: number[]; txs?: number[] }
  /**
   * Run the block's first executions by claiming txs from `counter` (a shared Int32Array: [0] the
   * lowest tx no thread has claimed, [1] how far claims may go for now): each worker takes the
   * next few txs with a compare-and-swap, runs them as incarnation 0 and reports them ('done'
   * with `claimed`), until the counter passes the block's end; then it says 'drained'. When [1]
   * moves on, a 'more' message (possibly without txs) wakes workers that wait for it. No round trip to the coordinator per
   * task. Messages that arrive meanwhile (replica updates, re-execution tasks) are handled between
   * two claims, before the next one. A claim is sized to take about `claimMs`, by the worker's
   * own measured time per tx.
   */
  | { type: 'claim'; blockId: number; counter: SharedArrayBuffer; workers: number; claimMs: number }
  /**
   * The split first pass (see split-block.ts): run txs start .. end - 1 straight through as
   * incarnation 0, each reading the piece's earlier writes, else committed state (not the
   * multi-version memory), and report them ('done' with `pieces`), in `reports` messages as it
   * goes: the coordinator decodes the first while the worker runs the rest.
   */
  | {
      type: 'piece';
      blockId: number;
      start: number;
      end: number;
      /**
       * When the coordinator runs a share of the block too: the piece's PieceCell (piece-cell.ts).
       * The worker takes its txs from it one by one, and stops where the coordinator took the rest.
       */
      cell?: SharedArrayBuffer;
      /** Report the piece in this many messages as it goes (default 1: one at the end; see ParallelExecutorOptions.splitPieceReports). */
      reports?: number;
      /** An Int32 counter the worker raises (and notifies) after each of its reports: see PieceReporter in worker-main.ts. */
      signal?: SharedArrayBuffer;
    }
  /**
   * After its piece (split first pass, workers taking tails): the other workers' pieces, each as
   * its PieceCell and its 'begin' message as serialised for its own worker (`v8.serialize`). While
   * a piece has txs not started, this worker takes the tail of the one with the most (half of
   * what is left, as the coordinator does), loading that piece's txs first, and runs it straight
   * through as a piece of its own; then reports every tail it ran in one 'done' (`pieces`, maybe
   * none). A worker that finds nothing left deserialises nothing.
   */
  | { type: 'steal'; blockId: number; from: { cell: SharedArrayBuffer; begin: Uint8Array }[]; reports?: number; signal?: SharedArrayBuffer }
  | { type: 'host-reply'; id: number; value?: unknown; error?: string }
  /**
   * Another message, serialised once with `v8.serialize` for all workers (a block's txs go to
   * every worker: cloning them once per worker cost the coordinator twice).
   */
  | { type: 'encoded'; bytes: Uint8Array }
  /**
   * Test hook: the worker exits (as if it crashed) when it starts executing tx `atTx` or a later
   * one of the current block, if it is the first to do so (it takes `token`, a shared Int32Array
   * cell, from 0 to 1).
   */
  | { type: 'crash-at'; atTx: number; token: SharedArrayBuffer };

/** One execution of one tx. */
export interface ExecutedTx {
  tx: number;
  incarnation: number;
  /** Keys read and the values seen (committed state or an earlier tx's write): key, value, key, value, ... */
  reads: bigint[];
  writes: Map<bigint, bigint>;
  output: unknown;
  shared?: unknown;
  serialOnly?: string;
}

/** One execution's record, from the view it read through and what the engine returned. */
export function executedTx(tx: number, incarnation: number, reads: bigint[], r: TxResult): ExecutedTx {
  return { tx, incarnation, reads, writes: r.writes, output: r.output, shared: r.shared, serialOnly: r.serialOnly };
}

/**
 * A task's executions as a worker sends them: flattened into a few arrays, because cloning one
 * object (and one Map) per tx costs more than running a cheap tx (measured: ~3.4 µs per tx to
 * deserialise objects, ~1.5 µs flattened).
 */
export interface ExecutedBatch {
  /** Per execution: tx, incarnation, number of reads, number of writes. */
  meta: Int32Array;
  /** Per execution: its reads (key, value pairs), then its writes (key, value pairs). */
  nums: bigint[];
  /** Per execution, its output; or, when the engine module has a TxOutputCodec, `encodedOutputs`. */
  outputs?: unknown[];
  encodedOutputs?: unknown;
  /** Per execution, `shared` (absent when no execution of the task shared anything). */
  shared?: unknown[];
  /** `serialOnly` of the last execution (it ends the task). */
  serialOnly?: string;
}

export function encodeExecuted(list: readonly ExecutedTx[], codec?: TxOutputCodec): ExecutedBatch {
  const meta = new Int32Array(list.length * 4);
  const nums: bigint[] = [];
  const outputs: unknown[] = new Array(list.length);
  let shared: unknown[] | undefined;
  let serialOnly: string | undefined;
  for (let j = 0; j < list.length; j++) {
    const e = list[j];
    meta[4 * j] = e.tx;
    meta[4 * j + 1] = e.incarnation;
    meta[4 * j + 2] = e.reads.length / 2;
    meta[4 * j + 3] = e.writes.size;
    for (let r = 0; r < e.reads.length; r++) nums.push(e.reads[r]);
    for (const [k, v] of e.writes) nums.push(k, v);
    outputs[j] = e.output;
    if (e.shared !== undefined) (shared ??= new Array(list.length))[j] = e.shared;
    if (e.serialOnly !== undefined) serialOnly = e.serialOnly;
  }
  const batch: ExecutedBatch = codec ? { meta, nums, encodedOutputs: codec.encode(outputs) } : { meta, nums, outputs };
  if (shared) batch.shared = shared;
  if (serialOnly !== undefined) batch.serialOnly = serialOnly;
  return batch;
}

/** A worker's batch back as executions; `codec`: the engine's TxOutputCodec, when its workers encode outputs with one. */
export function decodeExecuted(batch: ExecutedBatch, codec?: TxOutputCodec): ExecutedTx[] {
  const { meta, nums } = batch;
  const count = meta.length / 4;
  let outputs = batch.outputs;
  if (batch.encodedOutputs !== undefined) {
    if (codec === undefined)
      throw new Error('the workers encode tx outputs (their engine module exports txOutputCodec) but the executor has no outputCodec');
    outputs = codec.decode(batch.encodedOutputs);
  }
  if (outputs === undefined || outputs.length !== count)
    throw new Error(`a worker batch of ${count} executions has ${outputs?.length ?? 'no'} outputs`);
  const out: ExecutedTx[] = new Array(count);
  let at = 0;
  for (let j = 0; j < count; j++) {
    const readEnd = at + 2 * meta[4 * j + 2];
    const reads = nums.slice(at, readEnd);
    const writes = new Map<bigint, bigint>();
    const writeEnd = readEnd + 2 * meta[4 * j + 3];
    for (let w = readEnd; w < writeEnd; w += 2) writes.set(nums[w], nums[w + 1]);
    at = writeEnd;
    const e: ExecutedTx = { tx: meta[4 * j], incarnation: meta[4 * j + 1], reads, writes, output: outputs[j] };
    const shared = batch.shared?.[j];
    if (shared !== undefined) e.shared = shared;
    if (j === count - 1 && batch.serialOnly !== undefined) e.serialOnly = batch.serialOnly;
    out[j] = e;
  }
  return out;
}

/**
 * A piece of the split first pass as a worker ran it: its txs (`end`: where the worker stopped,
 * when the coordinator or another worker took the piece's tail, or after a serial-only tx), the
 * keys it read from committed state (not written earlier in the piece), and how long its txs took
 * (ms; set-up and messages not included).
 */
export interface PieceReport {
  start: number;
  end: number;
  committedReads: bigint[];
  loopMs: number;
  /** A tail this worker took from another worker's piece ('steal'). */
  taken?: true;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; error: string }
  | {
      type: 'done';
      blockId: number;
      taskId: number;
      executed: ExecutedBatch;
      /** A first-execution claim (see 'claim'): txs start .. start + count - 1, of which `executed` ran (taskId is -1). */
      claimed?: { start: number; count: number };
      /**
       * Pieces of the split first pass ('piece': the worker's own; 'steal': the tails it took),
       * their executions in `executed` one piece after another.
       */
      pieces?: PieceReport[];
      /** A partial report of split pieces: more follow (the worker's task is not done). */
      more?: true;
      /** Set when the task stopped at a tx that read an ESTIMATE of tx `blocking`. */
      aborted?: { tx: number; incarnation: number; blocking: number };
      /** Set when the engine failed (a host failure): the block is run serially. */
      failed?: string;
    }
  | { type: 'host-request'; id: number; kind: string; arg: unknown }
  /** The worker stopped claiming txs of block `blockId` (the counter passed its end). */
  | { type: 'drained'; blockId: number };
