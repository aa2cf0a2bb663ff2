/**
 * The contract between the engine-agnostic parallel executor and a VM. A VM supplies a TxEngine
 * (runs one tx of a block against a versioned read view, reports its writes); the executor runs
 * many of them at once in worker threads (Block-STM style) and hands the ordered results back to
 * the VM's own block assembly on the main thread.
 */

/** The block state as one tx sees it: the writes of earlier txs of the block over committed state. */
export interface TxStateView {
  /**
   * Value of a state-tree key (0 = absent). Synchronous. May throw `DependencyAbort` (an earlier
   * tx this one read from is being re-executed): engines must let it propagate, never turn it into
   * a failed receipt. Every key a tx reads must go through here (it is the tx's read set).
   */
  get(key: bigint): bigint;
}

/** What one execution of one tx produced; everything here must be structured-cloneable. */
export interface TxResult {
  /** The tx's own net tree writes: key -> value (0 = delete), against what it read. */
  writes: Map<bigint, bigint>;
  /** Engine data for block assembly on the main thread (receipt fields, fee, logs, ...). */
  output: unknown;
  /**
   * Data the other workers need before running later txs of this block (e.g. contract code the
   * tx deployed, by hash). Delivered to every engine through `receive`. Must be safe to deliver
   * even if this execution is later discarded (content-addressed data is).
   */
  shared?: unknown;
  /**
   * Set when this tx cannot run alongside others (e.g. it touched the fee recipient's account
   * during execution, or deployed a plugin): the executor then runs the whole block serially.
   * The text says why (it is logged and counted).
   */
  serialOnly?: string;
}

/** Runs the txs of one block one at a time. Lives in a worker (kept warm across blocks) or on the main thread. */
export interface TxEngine {
  /**
   * Starts a block: the VM's block environment and the block's tx payloads (as the VM prepared
   * them). In a worker the array may still grow after this returns: the block's later txs are
   * appended to it as they arrive, and tx i is there before `executeTx(i)` is called. So an
   * engine must not size anything from `txs.length` here, nor look at every tx only here. The
   * array may have holes: a worker running one piece of a split block gets that piece's txs only.
   */
  beginBlock(block: unknown, txs: readonly unknown[]): Promise<void> | void;
  /**
   * Executes tx `index` of the current block against `view`. Deterministic given the values it
   * reads; keeps nothing between txs but caches. Throws only for host failures and DependencyAbort.
   */
  executeTx(index: number, view: TxStateView): Promise<TxResult> | TxResult;
  /** `TxResult.shared` of some tx of the current block (possibly from another worker). */
  receive?(shared: unknown): void;
  /** A block committed; `payload` is what the VM's main side passed along (e.g. plugins deployed). */
  committed?(payload: unknown): void;
}

/**
 * A list of values as one value that a structured clone copies cheaply (a text, a flat array of
 * strings) and back: `decode` of a clone of `encode(list)` equals `list`. The shape of both codecs below.
 */
export interface ListCodec {
  encode(values: readonly unknown[]): unknown;
  decode(encoded: unknown): unknown[];
}

/**
 * How a VM's tx outputs (`TxResult.output`) go from a worker to the main thread when structured
 * cloning them costs too much: a worker encodes the outputs of each message it sends with
 * `encode`, the main thread decodes them with `decode`. Must give back outputs equal to those
 * encoded (the same keys present, the same values). Measured on this 2-core machine: receipts
 * took 4.5 µs per Wasm tx and 17 µs per EVM tx to deserialise as cloned objects, against ~1.1 µs
 * and ~6 µs from JSON, on the main thread, which takes every worker's results in turn.
 *
 * An engine module exports it as `txOutputCodec` (its workers use it) and the VM passes the same
 * object as the executor's `outputCodec` (the main thread decodes with it).
 */
export type TxOutputCodec = ListCodec;

/**
 * How a block's tx payloads (what the VM gives `beginBlock`) go from the main thread to the
 * workers when structured cloning them costs too much: the main thread encodes the txs of each
 * 'begin' / 'more' message with `encode` into a value that clones cheaply (a text, a flat array
 * of strings), a worker decodes its clone with `decode`. Must give back payloads equal to those
 * encoded. Measured here: 120 Wasm call payloads took 123 µs to clone on the main thread and
 * 250 µs to deserialise in the worker, against 74 µs and 84 µs as JSON (and a third less again
 * both ways as a flat array of their strings, see the Wasm engine's codec).
 *
 * An engine module exports it as `txPayloadCodec` (its workers use it) and the VM passes the
 * same object as the executor's `payloadCodec` (the main thread encodes with it).
 */
export type TxPayloadCodec = ListCodec;

/** How a worker-side engine asks the main thread for something it lacks (contract code, plugin code). */
export interface EngineHost {
  request(kind: string, arg: unknown): Promise<unknown>;
}

/**
 * A module a worker loads by path exports `createTxEngine: TxEngineFactory`. `options` is the
 * structured-cloneable value given to the pool (chain id, hardfork, ...).
 */
export type TxEngineFactory = (options: unknown, host: EngineHost) => Promise<TxEngine> | TxEngine;

/**
 * Thrown by a TxStateView when the tx read a value an earlier tx is about to rewrite (an
 * ESTIMATE of Block-STM): the execution is abandoned and resumed once tx `blocking` has re-run.
 */
export class DependencyAbort extends Error {
  constructor(readonly blocking: number) {
    super(`read depends on tx ${blocking}, which is being re-executed`);
    this.name = 'DependencyAbort';
  }
}

export function isDependencyAbort(err: unknown): err is DependencyAbort {
  return err instanceof DependencyAbort || (err as { name?: string } | null)?.name === 'DependencyAbort';
}
