/** What an SPN node's REST API answers: shared by the node (libs/spn-node) and its client (libs/client). */

export type TxStatus = 'pending' | 'included' | 'failed' | 'settled';

export interface TxReceiptView {
  /** success | reverted | out_of_gas | trap | out_of_memory */
  status: string;
  gasUsed: string;
  error?: string;
  events: { name: string; data: string }[];
  returnData: string;
  /** Messages to other SPNs the tx sent (only when it sent any). */
  messages?: { srcPlugin: string; dstSpn: string; plugin: string; method: string; args: string[] }[];
}

/** A message a tx sent, as its SPN numbered it: its trace id is its id on the mainnet (`GET /messages/:traceId`) once its batch settles. */
export interface SentMessageView {
  nonce: number;
  traceId: string;
  dstSpn: string;
}

export interface TxView {
  hash: string;
  status: TxStatus;
  kind: string;
  from: string;
  nonce: string;
  blockNumber: string | null;
  txIndex: number | null;
  receipt: TxReceiptView | null;
  batchNo: string | null;
  /** The messages the tx sent, numbered (only when it sent any). */
  sentMessages?: SentMessageView[];
}

/** How an SPN node has executed blocks since it started (`GET /status` -> execution). */
export interface SpnExecutionView {
  blocks: number;
  txs: number;
  /** Time spent in the block executor (ms). */
  executeMs: number;
  /** Time spent producing blocks in all (ms): reading the mempool, execution, the state tree, the database commit. */
  blockMs: number;
  /** Of blockMs, time spent computing the state tree's new root and steps (ms). */
  treeMs: number;
  parallelBlocks: number;
  serialBlocks: number;
  reexecutions: number;
  /** Execution worker threads (0: serial). */
  workers: number;
}

export interface SpnStatusView {
  height: string;
  stateRoot: string | null;
  pending: number;
  lastBatch: string | null;
  lastSettledBatch: string | null;
  settledRoot: string | null;
  proving: SpnProvingView;
}

/** The SPN's proving queue (`GET /status` -> proving), whoever proves it: the node's workers or prover processes. */
export interface SpnProvingView {
  /** Chunks waiting for their proof, those being proven included. */
  queuedJobs: number;
  /** Of those, the chunks a prover is proving now (it holds a lease that has not run out). */
  provingJobs: number;
  /** Who is proving them: `spn-node` (the node's own workers), `prover@<host>:<pid>` (prover processes, apps/prover). */
  provers: string[];
}
