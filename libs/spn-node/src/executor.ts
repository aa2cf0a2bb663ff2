import type { OutboundMessage } from '@mesh/core';
import type { SqlRunner } from '@mesh/state';
import type { ExecutionReport } from './parallel-execution';

/** A transaction as the mempool holds it; what `body` and `code` mean is the VM's business. */
export interface MempoolTx {
  hash: string;
  kind: string;
  sender: string;
  nonce: bigint;
  body: unknown;
  code: Uint8Array | null;
}

/** A message a tx sent, as its receipt lists it: what it asked for and the plugin that sent it. */
export interface ReceiptMessage extends OutboundMessage {
  srcPlugin: string;
}

/** A receipt as stored (jsonb); `status: 'success'` marks the tx `included`, anything else `failed`. */
export interface TxReceipt {
  status: string;
  gasUsed: string;
  error?: string;
  /** Messages to other SPNs the tx sent (only a successful tx sends any; no field when none). */
  messages?: ReceiptMessage[];
  [field: string]: unknown;
}

/** The block being built and its parent, as the sequencer knows them before execution. */
export interface BlockContext {
  number: bigint;
  timeMs: bigint;
  parent: { number: bigint; hash: string; timeMs: bigint; vmHeader: Record<string, unknown> | null };
}

/**
 * Reads of committed state (tree key -> value, 0 = absent). The node passes its StateCache, which
 * also lists its entries and counts its commits (`version`): the parallel executor needs both to
 * keep its workers' copies of the state in step; without them a block runs serially.
 */
export interface StateReader {
  get(key: bigint): bigint;
  entries?(): Iterable<[bigint, bigint]>;
  readonly version?: number;
}

export interface BlockExecution {
  receipts: TxReceipt[];
  /** Net writes of the block: tree key -> new value (0 = deleted). */
  writes: Map<bigint, bigint>;
  gasUsed: bigint;
  /** VM-specific header fields stored with the block (EVM: base fee, gas limit, logs bloom). */
  vmHeader?: Record<string, unknown>;
  /** VM-specific rows written inside the block's database transaction (plugins, contract code, logs). */
  persist?(tx: SqlRunner, block: { number: bigint; hash: string }): Promise<void>;
  /** Runs once the block has committed (e.g. making deployed plugins callable). */
  afterCommit?(): void;
  /**
   * How many of the given txs (a prefix) the block includes; the rest stay pending for the next
   * block, in order (EVM: the block's gas limit is full). All of them when unset.
   */
  included?: number;
  /** How the block was executed (serial or parallel, re-executions), for logs and `/status`. */
  report?: ExecutionReport;
}

/**
 * Runs the transactions of a block, in order, against committed state. The result must be what
 * serial execution gives; the parallel engine of a later issue implements this same interface.
 */
export interface BlockExecutor {
  execute(block: BlockContext, txs: readonly MempoolTx[], state: StateReader): Promise<BlockExecution>;
  /**
   * With an empty mempool, whether to cut an empty block anyway (EVM: one block after a non-empty
   * one, so that clients waiting for a further block or confirmation see one). Never when unset.
   */
  wantsEmptyBlock?(head: { number: bigint; timeMs: bigint; txCount: number }, nowMs: number): boolean;
}

/** What an SPN node needs of its VM; each VM adds its own ingress and reads. */
export interface SpnVm {
  readonly kind: 'wasm' | 'evm';
  readonly executor: BlockExecutor;
  /** Starts what the VM runs beside the sequencer (execution worker threads), so the first blocks do not wait for it. */
  warmUp?(): Promise<void>;
  /** Releases what the VM holds (execution worker threads). */
  close?(): Promise<void>;
}
