/**
 * What the JSON-RPC handlers need of a node: domain objects with bigints, no JSON-RPC encoding.
 * State reads (balance, nonce, code, storage, call, estimateGas) are of the latest committed
 * state: the handlers resolve block tags and refuse historical state before calling them.
 */
export interface EthBackend {
  readonly chainId: bigint;
  readonly clientVersion: string;
  /** Number of the latest committed block (0 before the first). */
  blockNumber(): Promise<bigint>;
  /** Last block that is final (its batch settled on the mainnet); 0 when none is. */
  finalizedBlockNumber(): Promise<bigint>;
  getBlockByNumber(number: bigint): Promise<EthBlock | null>;
  getBlockByHash(hash: string): Promise<EthBlock | null>;
  /** The Ethereum transactions of a block, in order (what `fullTransactions` shows). */
  getBlockTransactions(number: bigint): Promise<EthTransaction[]>;

  getBalance(address: string): Promise<bigint>;
  /** Nonce of the account in the latest state; with `pending`, counting its txs in the mempool. */
  getTransactionCount(address: string, pending: boolean): Promise<bigint>;
  getCode(address: string): Promise<Uint8Array>;
  getStorageAt(address: string, slot: bigint): Promise<bigint>;
  call(request: EthCallRequest): Promise<EthCallResult>;
  /** Gas a call needs; throws a code-3 RpcError when it reverts whatever the gas. */
  estimateGas(request: EthCallRequest): Promise<bigint>;
  /** eth_createAccessList: the EIP-2930 access list a call touches and the gas it uses with it. */
  createAccessList(request: EthCallRequest): Promise<EthAccessListResult>;

  /** Base fee of the next block (what a transaction sent now must at least pay per gas). */
  nextBaseFee(): Promise<bigint>;
  /** Suggested priority fee (tip) per gas. */
  maxPriorityFeePerGas(): Promise<bigint>;
  /** Blocks `from`..`to` (inclusive, all existing) with what feeHistory needs. */
  getFeeHistoryBlocks(from: bigint, to: bigint, withTxs: boolean): Promise<FeeHistoryBlock[]>;

  /** Checks and stores a signed transaction; resolves its hash. Rejections are InvalidInputErrors. */
  sendRawTransaction(raw: Uint8Array): Promise<string>;
  getTransactionByHash(hash: string): Promise<EthTransaction | null>;
  getTransactionReceipt(hash: string): Promise<EthReceipt | null>;
  /** Logs matching the filter, in chain order, at most `limit` of them. */
  getLogs(filter: EthLogQuery, limit: number): Promise<EthLog[]>;
}

export interface EthBlock {
  number: bigint;
  hash: string;
  parentHash: string;
  /** Seconds. */
  timestamp: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  baseFeePerGas: bigint;
  logsBloom: string;
  miner: string;
  stateRoot: string;
  transactionsRoot: string;
  receiptsRoot: string;
  extraData: string;
  size: bigint;
  /** Hashes of the block's Ethereum transactions, in order. */
  transactions: string[];
}

/** A transaction as signed (raw), with where it is (null while pending). */
export interface EthTransaction {
  hash: string;
  /** The signed transaction as sent to eth_sendRawTransaction (0x hex). */
  raw: string;
  from: string;
  blockHash: string | null;
  blockNumber: bigint | null;
  transactionIndex: bigint | null;
  /** Base fee of its block, to report the effective gas price of a mined EIP-1559 tx. */
  blockBaseFeePerGas: bigint | null;
}

export interface EthLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: bigint;
  blockHash: string;
  transactionHash: string;
  transactionIndex: bigint;
  logIndex: bigint;
}

export interface EthReceipt {
  transactionHash: string;
  transactionIndex: bigint;
  blockHash: string;
  blockNumber: bigint;
  from: string;
  to: string | null;
  cumulativeGasUsed: bigint;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  contractAddress: string | null;
  logs: EthLog[];
  logsBloom: string;
  success: boolean;
  type: number;
  /** Not standard; geth leaves it out, some nodes add it. Shown as `revertReason` when set. */
  revertReason?: string;
}

export interface EthCallRequest {
  from?: string;
  to?: string;
  data?: string;
  value?: bigint;
  gas?: bigint;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  nonce?: bigint;
  /** EIP-2930 access list: its intrinsic gas counts, its addresses and slots start warm. */
  accessList?: { address: string; storageKeys: string[] }[];
}

export interface EthAccessListResult {
  accessList: { address: string; storageKeys: string[] }[];
  gasUsed: bigint;
  /** Why the call fails with that list, when it does. */
  error?: string;
}

export interface EthCallResult {
  success: boolean;
  returnData: string;
  gasUsed: bigint;
  revertReason?: string;
  /** Why it failed when it did not revert (out of gas, invalid opcode, ...). */
  error?: string;
}

export interface FeeHistoryBlock {
  number: bigint;
  baseFeePerGas: bigint;
  gasUsed: bigint;
  gasLimit: bigint;
  /** With `withTxs`: each transaction's gas used and effective tip (effective gas price - base fee). */
  txs?: { gasUsed: bigint; tip: bigint }[];
}

export interface EthLogQuery {
  fromBlock: bigint;
  toBlock: bigint;
  /** Any of these addresses; null or empty = any. */
  addresses: string[] | null;
  /** Position i: any of these topics (OR); null = any. */
  topics: (string[] | null)[];
}
