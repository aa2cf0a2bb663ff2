import type { DataSource } from 'typeorm';
import { InvalidInputError } from '@mesh/core';
import {
  encodeReceipt,
  EMPTY_BLOOM,
  executionReverted,
  orderedTrieRoot,
  serverError,
  type EthAccessListResult,
  type EthBackend,
  type EthBlock,
  type EthCallRequest,
  type EthCallResult,
  type EthLog,
  type EthLogQuery,
  type EthReceipt,
  type EthTransaction,
  type FeeHistoryBlock,
} from '@mesh/eth-rpc';
import { EvmEngine, INITIAL_BASE_FEE, type CodeSource, type EvmBlockInput, type EvmCallRequest, type EvmReceipt } from '@mesh/vm-evm';
import type { StateReader } from '../executor';
import type { Mempool } from '../mempool';
import type { EvmIngress } from './evm-ingress';

export const ZERO_ADDRESS = '0x' + '00'.repeat(20);
const ZERO_HASH = '0x' + '00'.repeat(32);

/** The latest block of an EVM SPN as the fee logic and eth_call need it. */
export interface EvmHead {
  number: bigint;
  hash: string;
  timeMs: bigint;
  baseFeePerGas: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
}

interface BlockRow {
  number: string;
  hash: string;
  parent_hash: string;
  timestamp_ms: string;
  state_root: string;
  gas_used: string;
  tx_hashes: string[];
  vm_header: Record<string, unknown> | null;
}

interface TxRow {
  hash: string;
  sender: string;
  raw: string;
  block_no: string | null;
  tx_index: number | null;
  block_hash: string | null;
  vm_header: Record<string, unknown> | null;
  receipt: EvmReceipt | null;
}

const big = (value: unknown, fallback: bigint): bigint =>
  value === undefined || value === null || value === '' ? fallback : BigInt(String(value));

export interface SpnEthBackendOptions {
  chainId: bigint;
  blockGasLimit: bigint;
  /** Suggested tip per gas (eth_maxPriorityFeePerGas; eth_gasPrice = next base fee + this). */
  priorityFee: bigint;
  /** Fee recipient shown as `miner` of blocks without one in their header. */
  coinbase: string;
  clientVersion: string;
  /** Root of the empty state tree: block 0's stateRoot. */
  emptyStateRoot: bigint;
  /** Hash of the genesis transaction (not an Ethereum tx: left out of blocks), when there is one. */
  genesisTxHash: string | null;
  /**
   * How long eth_getTransactionReceipt of a pending tx waits for the block that includes it
   * (0: answer null at once). Blocks come only with transactions, so a client that asks for a
   * receipt and then polls for the NEXT block (ethers v6's wait()) would otherwise wait forever
   * when the tx's block commits in between.
   */
  receiptWaitMs: number;
}

/**
 * EthBackend of an EVM SPN over its Postgres tables (spn_block with vm_header, spn_tx with
 * body.raw and receipt, spn_log), its committed state (the node's StateCache: latest state
 * only), its contract code store, the EVM engine and the mempool. Block 0 is virtual: the empty
 * state before the genesis block 1 (hash 0x00..00, which block 1 has as parent hash).
 */
export class SpnEthBackend implements EthBackend {
  readonly chainId: bigint;
  readonly clientVersion: string;
  /** Called after a transaction was accepted (the app pokes the sequencer with it). */
  onAccepted: (() => void) | undefined;
  private readonly blockCache = new Map<bigint, EthBlock>();
  private genesisPendingFlag: boolean;
  private blockWaiters: (() => void)[] = [];

  constructor(
    private readonly db: DataSource,
    private readonly spnId: string,
    private readonly engine: EvmEngine,
    private readonly state: StateReader,
    private readonly code: CodeSource,
    private readonly mempool: Mempool,
    private readonly ingress: EvmIngress,
    private readonly options: SpnEthBackendOptions,
    genesisPending: boolean,
  ) {
    this.chainId = options.chainId;
    this.clientVersion = options.clientVersion;
    this.genesisPendingFlag = genesisPending;
  }

  // --- chain ----------------------------------------------------------------------------------

  /** Tells the backend a block has committed (wakes receipt requests waiting for it). */
  blockCommitted(): void {
    const waiters = this.blockWaiters;
    this.blockWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at the next committed block, or after `ms`. */
  private nextBlock(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.blockWaiters = this.blockWaiters.filter((w) => w !== wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.blockWaiters.push(wake);
    });
  }

  async head(): Promise<EvmHead | null> {
    const rows: BlockRow[] = await this.db.query(
      'SELECT number, hash, timestamp_ms, gas_used, vm_header FROM spn_block WHERE spn_id = $1 ORDER BY number DESC LIMIT 1',
      [this.spnId],
    );
    if (rows.length === 0) return null;
    const r = rows[0];
    const h = r.vm_header ?? {};
    return {
      number: BigInt(r.number),
      hash: r.hash,
      timeMs: BigInt(r.timestamp_ms),
      baseFeePerGas: big(h.baseFeePerGas, INITIAL_BASE_FEE),
      gasLimit: big(h.gasLimit, this.options.blockGasLimit),
      gasUsed: big(h.gasUsed, BigInt(r.gas_used)),
    };
  }

  /** True until the block holding the genesis transaction has committed. */
  async genesisPending(): Promise<boolean> {
    if (!this.genesisPendingFlag || !this.options.genesisTxHash) return false;
    const rows: { status: string }[] = await this.db.query('SELECT status FROM spn_tx WHERE spn_id = $1 AND hash = $2', [
      this.spnId,
      this.options.genesisTxHash,
    ]);
    this.genesisPendingFlag = rows.length > 0 && rows[0].status === 'pending';
    return this.genesisPendingFlag;
  }

  async blockNumber(): Promise<bigint> {
    const rows: { number: string }[] = await this.db.query('SELECT number FROM spn_block WHERE spn_id = $1 ORDER BY number DESC LIMIT 1', [
      this.spnId,
    ]);
    return rows.length ? BigInt(rows[0].number) : 0n;
  }

  async finalizedBlockNumber(): Promise<bigint> {
    const [row]: { last: string | null }[] = await this.db.query(
      "SELECT max(last_block) AS last FROM spn_batch WHERE spn_id = $1 AND status = 'settled'",
      [this.spnId],
    );
    return row.last === null ? 0n : BigInt(row.last);
  }

  async getBlockByNumber(number: bigint): Promise<EthBlock | null> {
    if (number === 0n) return this.blockZero();
    const cached = this.blockCache.get(number);
    if (cached) return cached;
    const rows: BlockRow[] = await this.db.query(
      'SELECT number, hash, parent_hash, timestamp_ms, state_root, gas_used, tx_hashes, vm_header FROM spn_block WHERE spn_id = $1 AND number = $2',
      [this.spnId, String(number)],
    );
    return rows.length ? this.toBlock(rows[0]) : null;
  }

  async getBlockByHash(hash: string): Promise<EthBlock | null> {
    if (hash === ZERO_HASH) return this.blockZero();
    const rows: { number: string }[] = await this.db.query('SELECT number FROM spn_block WHERE spn_id = $1 AND hash = $2', [
      this.spnId,
      hash.toLowerCase(),
    ]);
    return rows.length ? this.getBlockByNumber(BigInt(rows[0].number)) : null;
  }

  async getBlockTransactions(number: bigint): Promise<EthTransaction[]> {
    const rows = await this.txRows('t.block_no = $2 ORDER BY t.tx_index', [String(number)]);
    return rows.map(toTransaction);
  }

  private blockZero(): EthBlock {
    return {
      number: 0n,
      hash: ZERO_HASH,
      parentHash: ZERO_HASH,
      timestamp: 0n,
      gasLimit: this.options.blockGasLimit,
      gasUsed: 0n,
      baseFeePerGas: INITIAL_BASE_FEE,
      logsBloom: EMPTY_BLOOM,
      miner: this.options.coinbase,
      stateRoot: word(this.options.emptyStateRoot),
      transactionsRoot: '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421',
      receiptsRoot: '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421',
      extraData: '0x',
      size: 508n,
      transactions: [],
    };
  }

  private async toBlock(r: BlockRow): Promise<EthBlock> {
    const number = BigInt(r.number);
    const h = r.vm_header ?? {};
    const txs = await this.txRows('t.block_no = $2 ORDER BY t.tx_index', [r.number]);
    const raws = txs.map((t) => Buffer.from(t.raw.slice(2), 'hex'));
    const receipts = txs.map((t) => t.receipt!).filter(Boolean);
    const block: EthBlock = {
      number,
      hash: r.hash,
      parentHash: r.parent_hash,
      timestamp: BigInt(r.timestamp_ms) / 1000n,
      gasLimit: big(h.gasLimit, this.options.blockGasLimit),
      gasUsed: big(h.gasUsed, BigInt(r.gas_used)),
      baseFeePerGas: big(h.baseFeePerGas, INITIAL_BASE_FEE),
      logsBloom: typeof h.logsBloom === 'string' ? h.logsBloom : EMPTY_BLOOM,
      miner: typeof h.coinbase === 'string' ? h.coinbase.toLowerCase() : this.options.coinbase,
      stateRoot: word(BigInt(r.state_root)),
      transactionsRoot: await orderedTrieRoot(raws),
      receiptsRoot: await orderedTrieRoot(
        receipts.map((rc) =>
          encodeReceipt({
            success: rc.status === 'success',
            cumulativeGasUsed: BigInt(rc.cumulativeGasUsed),
            logsBloom: rc.logsBloom,
            logs: rc.logs,
            type: rc.type,
          }),
        ),
      ),
      extraData: '0x',
      // Approximate: a header's RLP is ~510-600 bytes; the transactions are counted exactly.
      size: 540n + BigInt(raws.reduce((n, b) => n + b.length, 0)),
      transactions: r.tx_hashes.filter((t) => t !== this.options.genesisTxHash),
    };
    if (this.blockCache.size >= 512) this.blockCache.delete(this.blockCache.keys().next().value!);
    this.blockCache.set(number, block);
    return block;
  }

  // --- state (latest) ---------------------------------------------------------------------------

  async getBalance(address: string): Promise<bigint> {
    return this.engine.getBalance(address, this.state);
  }

  async getTransactionCount(address: string, pending: boolean): Promise<bigint> {
    const latest = this.engine.getNonce(address, this.state);
    if (!pending) return latest;
    const next = await this.mempool.nextNonce(address);
    return next > latest ? next : latest;
  }

  getCode(address: string): Promise<Uint8Array> {
    return this.engine.getCode(address, this.state, this.code);
  }

  async getStorageAt(address: string, slot: bigint): Promise<bigint> {
    return this.engine.getStorageAt(address, slot, this.state);
  }

  /** The block a call runs in: the next one, on the latest state. */
  private async pendingBlock(): Promise<EvmBlockInput> {
    const head = await this.head();
    const nowMs = BigInt(Date.now());
    const timeMs = head && nowMs <= head.timeMs ? head.timeMs + 1n : nowMs;
    return {
      number: (head?.number ?? 0n) + 1n,
      timestamp: timeMs / 1000n,
      baseFeePerGas: head ? EvmEngine.nextBaseFee(head) : INITIAL_BASE_FEE,
      gasLimit: this.options.blockGasLimit,
      coinbase: this.options.coinbase,
      parentHash: head?.hash ?? ZERO_HASH,
    };
  }

  async call(request: EthCallRequest): Promise<EthCallResult> {
    return this.engine.call(toEvmCall(request), await this.pendingBlock(), this.state, this.code);
  }

  async createAccessList(request: EthCallRequest): Promise<EthAccessListResult> {
    return this.engine.createAccessList(toEvmCall(request), await this.pendingBlock(), this.state, this.code);
  }

  async estimateGas(request: EthCallRequest): Promise<bigint> {
    const block = await this.pendingBlock();
    const req = toEvmCall(request);
    try {
      return await this.engine.estimateGas(req, block, this.state, this.code);
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      // Show why, as geth does: a revert with its data (code 3), otherwise the failure.
      const result = await this.engine.call(req, block, this.state, this.code);
      if (result.success) throw serverError(err.message);
      if (result.error === 'revert') throw executionReverted(result.returnData, result.revertReason);
      if (result.error === 'out of gas')
        throw serverError(`gas required exceeds allowance (${req.gas ?? this.engine.maxTxGas(block.gasLimit)})`);
      throw serverError(result.error ?? err.message);
    }
  }

  // --- fees -----------------------------------------------------------------------------------

  async nextBaseFee(): Promise<bigint> {
    const head = await this.head();
    return head ? EvmEngine.nextBaseFee(head) : INITIAL_BASE_FEE;
  }

  async maxPriorityFeePerGas(): Promise<bigint> {
    return this.options.priorityFee;
  }

  async getFeeHistoryBlocks(from: bigint, to: bigint, withTxs: boolean): Promise<FeeHistoryBlock[]> {
    const rows: { number: string; gas_used: string; vm_header: Record<string, unknown> | null }[] = await this.db.query(
      'SELECT number, gas_used, vm_header FROM spn_block WHERE spn_id = $1 AND number BETWEEN $2 AND $3 ORDER BY number',
      [this.spnId, String(from), String(to)],
    );
    const blocks: FeeHistoryBlock[] = rows.map((r) => {
      const h = r.vm_header ?? {};
      return {
        number: BigInt(r.number),
        baseFeePerGas: big(h.baseFeePerGas, INITIAL_BASE_FEE),
        gasUsed: big(h.gasUsed, BigInt(r.gas_used)),
        gasLimit: big(h.gasLimit, this.options.blockGasLimit),
        ...(withTxs ? { txs: [] as { gasUsed: bigint; tip: bigint }[] } : {}),
      };
    });
    if (from === 0n) {
      const zero = this.blockZero();
      blocks.unshift({
        number: 0n,
        baseFeePerGas: zero.baseFeePerGas,
        gasUsed: 0n,
        gasLimit: zero.gasLimit,
        ...(withTxs ? { txs: [] } : {}),
      });
    }
    if (withTxs) {
      const byNumber = new Map(blocks.map((b) => [b.number, b]));
      const txs: { block_no: string; gas_used: string | null; price: string | null }[] = await this.db.query(
        `SELECT block_no, receipt->>'gasUsed' AS gas_used, receipt->>'effectiveGasPrice' AS price FROM spn_tx
          WHERE spn_id = $1 AND block_no BETWEEN $2 AND $3 AND body ? 'raw' ORDER BY block_no, tx_index`,
        [this.spnId, String(from), String(to)],
      );
      for (const t of txs) {
        const b = byNumber.get(BigInt(t.block_no));
        const gasUsed = big(t.gas_used, 0n);
        const tip = big(t.price, 0n) - (b?.baseFeePerGas ?? 0n);
        if (b && gasUsed > 0n) b.txs!.push({ gasUsed, tip: tip > 0n ? tip : 0n });
      }
    }
    return blocks;
  }

  // --- transactions ---------------------------------------------------------------------------

  async sendRawTransaction(raw: Uint8Array): Promise<string> {
    const accepted = await this.ingress.submitRaw(raw);
    if (!accepted.duplicate) this.onAccepted?.();
    return accepted.hash;
  }

  async getTransactionByHash(hash: string): Promise<EthTransaction | null> {
    const rows = await this.txRows('t.hash = $2', [hash.toLowerCase()]);
    return rows.length ? toTransaction(rows[0]) : null;
  }

  async getTransactionReceipt(hash: string): Promise<EthReceipt | null> {
    let rows = await this.txRows('t.hash = $2', [hash.toLowerCase()]);
    const deadline = Date.now() + this.options.receiptWaitMs;
    while (rows.length > 0 && rows[0].block_no === null && Date.now() < deadline) {
      await this.nextBlock(deadline - Date.now());
      rows = await this.txRows('t.hash = $2', [hash.toLowerCase()]);
    }
    if (rows.length === 0 || rows[0].block_no === null || rows[0].receipt === null) return null;
    const t = rows[0];
    const rc = t.receipt!;
    const blockNumber = BigInt(t.block_no!);
    const logs = rc.logs.length ? await this.logsOf(blockNumber, t.hash) : [];
    const receipt: EthReceipt = {
      transactionHash: t.hash,
      transactionIndex: BigInt(t.tx_index!),
      blockHash: t.block_hash!,
      blockNumber,
      from: rc.from ?? t.sender,
      to: rc.to ?? null,
      cumulativeGasUsed: big(rc.cumulativeGasUsed, 0n),
      gasUsed: big(rc.gasUsed, 0n),
      effectiveGasPrice: big(rc.effectiveGasPrice, 0n),
      contractAddress: rc.contractAddress ?? null,
      logs,
      logsBloom: rc.logsBloom ?? EMPTY_BLOOM,
      success: rc.status === 'success',
      type: Number(rc.type ?? 0),
    };
    if (rc.revertReason !== undefined) receipt.revertReason = rc.revertReason;
    return receipt;
  }

  private async logsOf(blockNumber: bigint, txHash: string): Promise<EthLog[]> {
    const rows: LogRow[] = await this.db.query(
      `SELECT l.*, b.hash AS block_hash FROM spn_log l JOIN spn_block b ON b.spn_id = l.spn_id AND b.number = l.block_no
        WHERE l.spn_id = $1 AND l.block_no = $2 AND l.tx_hash = $3 ORDER BY l.log_index`,
      [this.spnId, String(blockNumber), txHash],
    );
    return rows.map(toLog);
  }

  async getLogs(q: EthLogQuery, limit: number): Promise<EthLog[]> {
    const where = ['l.spn_id = $1', 'l.block_no BETWEEN $2 AND $3'];
    const params: unknown[] = [this.spnId, String(q.fromBlock), String(q.toBlock)];
    if (q.addresses && q.addresses.length) {
      params.push(q.addresses.map((a) => a.toLowerCase()));
      where.push(`l.address = ANY($${params.length}::text[])`);
    }
    q.topics.forEach((options, i) => {
      if (options === null) return;
      params.push(options.map((t) => t.toLowerCase()));
      where.push(`l.topic${i} = ANY($${params.length}::text[])`);
    });
    params.push(limit);
    const rows: LogRow[] = await this.db.query(
      `SELECT l.*, b.hash AS block_hash FROM spn_log l JOIN spn_block b ON b.spn_id = l.spn_id AND b.number = l.block_no
        WHERE ${where.join(' AND ')} ORDER BY l.block_no, l.log_index LIMIT $${params.length}`,
      params,
    );
    return rows.map(toLog);
  }

  /** Ethereum transactions (with body.raw) matching `condition` ($1 = spn id). */
  private txRows(condition: string, params: unknown[]): Promise<TxRow[]> {
    return this.db.query(
      `SELECT t.hash, t.sender, t.body->>'raw' AS raw, t.block_no, t.tx_index, t.receipt, b.hash AS block_hash, b.vm_header
         FROM spn_tx t LEFT JOIN spn_block b ON b.spn_id = t.spn_id AND b.number = t.block_no
        WHERE t.spn_id = $1 AND t.body ? 'raw' AND ${condition}`,
      [this.spnId, ...params],
    );
  }
}

interface LogRow {
  block_no: string;
  log_index: number;
  tx_hash: string;
  tx_index: number;
  address: string;
  topic0: string | null;
  topic1: string | null;
  topic2: string | null;
  topic3: string | null;
  data: string;
  block_hash: string;
}

function toLog(r: LogRow): EthLog {
  return {
    address: r.address,
    topics: [r.topic0, r.topic1, r.topic2, r.topic3].filter((t): t is string => t !== null),
    data: r.data,
    blockNumber: BigInt(r.block_no),
    blockHash: r.block_hash,
    transactionHash: r.tx_hash,
    transactionIndex: BigInt(r.tx_index),
    logIndex: BigInt(r.log_index),
  };
}

function toTransaction(r: TxRow): EthTransaction {
  const mined = r.block_no !== null;
  return {
    hash: r.hash,
    raw: r.raw,
    from: r.sender,
    blockHash: mined ? r.block_hash : null,
    blockNumber: mined ? BigInt(r.block_no!) : null,
    transactionIndex: mined ? BigInt(r.tx_index!) : null,
    blockBaseFeePerGas: mined ? big(r.vm_header?.baseFeePerGas, INITIAL_BASE_FEE) : null,
  };
}

function toEvmCall(r: EthCallRequest): EvmCallRequest {
  const call: EvmCallRequest = {};
  if (r.from !== undefined) call.from = r.from;
  if (r.to !== undefined) call.to = r.to;
  if (r.data !== undefined) call.data = r.data;
  if (r.value !== undefined) call.value = r.value;
  if (r.gas !== undefined) call.gas = r.gas;
  if (r.accessList !== undefined) call.accessList = r.accessList;
  const price = r.gasPrice ?? r.maxFeePerGas;
  if (price !== undefined) call.gasPrice = price;
  return call;
}

function word(n: bigint): string {
  return '0x' + n.toString(16).padStart(64, '0');
}
