/** Messages between the coordinator (main thread) and its execution workers. All structured-cloneable. */

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
  | { type: 'begin'; blockId: number; block: unknown; txs: unknown[] }
  /** Updates of the block's multi-version memory: new writes, and txs now being re-executed. */
  | { type: 'mv'; blockId: number; writes: ReplicaWrite[]; estimates: number[] }
  /** Execute txs start .. start + incarnations.length - 1, in order, each as the given incarnation. */
  | { type: 'exec'; blockId: number; taskId: number; start: number; incarnations: number[] }
  | { type: 'host-reply'; id: number; value?: unknown; error?: string }
  /** Test hook: the worker exits (as if it crashed) when it starts executing tx `atTx` of the current block. */
  | { type: 'crash-at'; atTx: number };

/** One execution of one tx, as a worker reports it. */
export interface ExecutedTx {
  tx: number;
  incarnation: number;
  /** Keys read and the values seen (committed state or an earlier tx's write). */
  readKeys: bigint[];
  readValues: bigint[];
  writes: Map<bigint, bigint>;
  output: unknown;
  shared?: unknown;
  serialOnly?: string;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; error: string }
  | {
      type: 'done';
      blockId: number;
      taskId: number;
      executed: ExecutedTx[];
      /** Set when the task stopped at a tx that read an ESTIMATE of tx `blocking`. */
      aborted?: { tx: number; incarnation: number; blocking: number };
      /** Set when the engine failed (a host failure): the block is run serially. */
      failed?: string;
    }
  | { type: 'host-request'; id: number; kind: string; arg: unknown };
