import type { TypedTransaction } from '@ethereumjs/tx';
import { ParallelExecutor, type ParallelTuning } from '@mesh/executor';
import type { SqlRunner } from '@mesh/state';
import {
  assembleEvmBlock,
  DEFAULT_BLOCK_GAS_LIMIT,
  EVM_CODE_REQUEST,
  EVM_TX_ENGINE_MODULE,
  EvmEngine,
  EvmTxEngine,
  evmDeclaredKeys,
  evmTxOutputCodec,
  evmWorkerPayload,
  INITIAL_BASE_FEE,
  isSerialExecutionRequired,
  type EvmBlockInput,
  type EvmBlockResult,
  type EvmReceipt,
  type EvmTxEngineOptions,
} from '@mesh/vm-evm';
import type { BlockContext, BlockExecution, BlockExecutor, MempoolTx, StateReader, TxReceipt } from '../executor';
import { ParallelExecution } from '../parallel-execution';
import type { EvmCodeStore } from './evm-code-store';

/** A mempool tx decoded, or why it does not decode. */
type DecodedOrError = TypedTransaction | string;

/** The vm_header an EVM block stores (decimal strings; logsBloom and coinbase 0x hex). */
export interface EvmVmHeader {
  baseFeePerGas: string;
  gasLimit: string;
  gasUsed: string;
  logsBloom: string;
  coinbase: string;
  [field: string]: unknown;
}

/**
 * An EVM tx's receipt as the node stores it: every EvmReceipt field, with `status` in the
 * node's terms ('success' -> the tx is `included`, 'failed' -> `failed`) and the EVM's own
 * status in `evmStatus` ('success' | 'reverted'). A reverted tx IS in the block (it paid gas and
 * used its nonce); a tx that could not be included at all has `gasUsed` '0' and an `error`.
 */
export interface StoredEvmReceipt extends Omit<EvmReceipt, 'status'>, TxReceipt {
  status: 'success' | 'failed';
  evmStatus: EvmReceipt['status'];
}

export interface EvmExecutorOptions {
  /** Fee recipient of every block (priority fees; the base fee is burned). */
  coinbase: string;
  /** Gas limit of every block; default DEFAULT_BLOCK_GAS_LIMIT (30M). */
  gasLimit?: bigint;
  /** Parallel execution (libs/executor) with this many worker threads; unset or 0: every block runs serially (runBlock). */
  parallel?: (ParallelTuning & { workers: number }) | ParallelExecution;
}

/**
 * Share of a split EVM block the coordinator runs itself (ParallelExecutorOptions.splitCoordinatorShare):
 * no payloads cloned, no outputs decoded for those txs; then it takes the tails of the worker's
 * piece (libs/executor/DESIGN.md). Measured since the @ethereumjs/evm patch made transfers ~1.5x
 * as fast (bench:parallel, EVM low contention, one process per setting): 0.3 / 0.4 / 0.45 / 0.5
 * gave 1.64x / 1.64x / 1.65x / 1.61x serial, no share (two workers that take each other's tails)
 * 1.50x-1.55x.
 */
export const EVM_COORDINATOR_SHARE = 0.4;

/**
 * Txs of the worker's split piece that go with its 'begin' (ParallelExecutorOptions.splitLeadTxs),
 * the rest following in a 'more': 120 transfer payloads take ~0.4 ms to clone here and as long
 * to deserialise, against ~1 ms for the worker's first 4 transfers. Measured (200-tx ERC-20
 * blocks, medians of 120 in one process): the worker's first tx at 1.7 ms into the block against
 * 2.4 ms, and at 1.2 ms against 2.1 ms once only the worker's txs were made payloads
 * (`workerPayload`). Wasm calls gained nothing from a lead (libs/executor/MEASUREMENTS.md).
 */
export const EVM_SPLIT_LEAD_TXS = 4;

/**
 * Each tail the coordinator takes from the worker's piece: this share of what is left
 * (ParallelExecutorOptions.splitStealFraction; the default is half). A transfer takes ~0.25 ms,
 * and the coordinator runs one a bit slower than the worker (it also decodes the worker's
 * reports): with halves its last tail ended a median 0.31-0.36 ms after the worker's last tx,
 * with quarters 0.05 ms; blocks took 0.985x and 0.960x as long (0.984x with 0.35; 200-tx ERC-20
 * blocks, one executor toggled, 24 alternating rounds of 6 blocks per process).
 */
export const EVM_STEAL_FRACTION = 0.25;

/**
 * The EVM SPN's parallel executor: EvmTxEngine workers, code for them from `code` (by hash),
 * with the node's defaults (`tuning` overrides them).
 */
export function evmParallelExecution(
  engineOptions: EvmTxEngineOptions,
  code: (hash: string) => Uint8Array | undefined | Promise<Uint8Array | undefined>,
  tuning: ParallelTuning,
): ParallelExecution {
  const hostHandler = (kind: string, arg: unknown) => {
    if (kind !== EVM_CODE_REQUEST || typeof arg !== 'string') throw new Error(`evm engine host: unknown request ${kind}`);
    return code(arg);
  };
  return new ParallelExecution(
    new ParallelExecutor({
      engineModule: EVM_TX_ENGINE_MODULE,
      engineOptions,
      localEngine: () => EvmTxEngine.create(engineOptions, { request: async (kind, arg) => hostHandler(kind, arg) }),
      hostHandler,
      outputCodec: evmTxOutputCodec,
      // Since each worker gets its own piece's txs only, the split pass beat the claims for EVM
      // transfers in both side-by-side runs (bench:parallel, 200-tx blocks, 2 workers, medians of 7
      // runs: 1.76x against 1.64x in one process, 1.66x against 1.50x with the adaptive choice off).
      splitFirst: true,
      splitCoordinatorShare: EVM_COORDINATOR_SHARE,
      // The coordinator runs the decoded txs of its share as they are; the worker's become payloads as they go out.
      workerPayload: evmWorkerPayload,
      splitLeadTxs: EVM_SPLIT_LEAD_TXS,
      splitStealFraction: EVM_STEAL_FRACTION,
      ...tuning,
    }),
  );
}

/** The block's EIP-1559 base fee from its parent's vm_header (INITIAL_BASE_FEE without one). */
export function evmBaseFee(parentHeader: Record<string, unknown> | null): bigint {
  if (!parentHeader || parentHeader.baseFeePerGas === undefined) return INITIAL_BASE_FEE;
  return EvmEngine.nextBaseFee({
    gasUsed: BigInt(String(parentHeader.gasUsed ?? 0)),
    gasLimit: BigInt(String(parentHeader.gasLimit ?? DEFAULT_BLOCK_GAS_LIMIT)),
    baseFeePerGas: BigInt(String(parentHeader.baseFeePerGas)),
  });
}

/**
 * BlockExecutor of an EVM SPN: mempool txs of kind 'evm' carry `body.raw` (the signed tx, 0x
 * hex). Decodes them, derives the block header (base fee from the parent's vm_header, timestamp
 * in seconds, the configured coinbase and gas limit), runs them through the EvmEngine against
 * committed state, and returns receipts, the net tree writes and the vm_header. `persist` stores
 * the block's new contract code (spn_evm_code) and logs (spn_log) in the block's transaction;
 * `afterCommit` puts the new code into the code store's cache.
 */
export class EvmExecutor implements BlockExecutor {
  private readonly coinbase: string;
  private readonly gasLimit: bigint;
  /** The parallel executor, when configured (EvmTxEngine workers). */
  readonly parallel: ParallelExecution | undefined;
  private ownsParallel = false;

  constructor(
    private readonly engine: EvmEngine,
    private readonly code: EvmCodeStore,
    options: EvmExecutorOptions,
  ) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(options.coinbase)) throw new Error(`coinbase must be a 20-byte 0x address, got ${options.coinbase}`);
    this.coinbase = options.coinbase.toLowerCase();
    this.gasLimit = options.gasLimit ?? DEFAULT_BLOCK_GAS_LIMIT;
    if (options.parallel instanceof ParallelExecution) {
      this.parallel = options.parallel; // shared (e.g. kept warm across a benchmark's executors); its owner closes it
    } else if (options.parallel && options.parallel.workers > 0) {
      this.ownsParallel = true;
      this.parallel = evmParallelExecution(
        { chainId: engine.chainId, hardfork: engine.hardfork },
        (hash) => code.get(hash),
        options.parallel,
      );
    }
  }

  async close(): Promise<void> {
    if (this.ownsParallel) await this.parallel?.close();
  }

  /** The header fields of `block` before execution. */
  blockInput(block: BlockContext): EvmBlockInput {
    return {
      number: block.number,
      timestamp: block.timeMs / 1000n,
      baseFeePerGas: evmBaseFee(block.parent.vmHeader),
      gasLimit: this.gasLimit,
      coinbase: this.coinbase,
      parentHash: block.parent.hash,
    };
  }

  /** After a block with txs, one empty block follows when the mempool is idle (clients waiting for another block see one). */
  wantsEmptyBlock(head: { txCount: number }): boolean {
    return head.txCount > 0;
  }

  /**
   * The leading txs that fit the block, decoded: their declared gas limits add up to at most the
   * block's. The rest wait for the next block in order (a later tx of the same sender cannot skip
   * ahead). An undecodable tx counts no gas (it fails in place and uses none).
   */
  private fitting(candidates: readonly MempoolTx[]): DecodedOrError[] {
    const out: DecodedOrError[] = [];
    let gas = 0n;
    for (let i = 0; i < candidates.length; i++) {
      const d = this.decode(candidates[i]);
      const limit = typeof d === 'string' ? 0n : d.gasLimit;
      if (i > 0 && gas + limit > this.gasLimit) break;
      gas += limit;
      out.push(d);
    }
    return out;
  }

  /** A mempool tx decoded (ingress checked it, so an error should not happen: such a tx fails in place). */
  private decode(tx: MempoolTx): DecodedOrError {
    try {
      const raw = (tx.body as { raw?: unknown } | null)?.raw;
      if (typeof raw !== 'string' || raw.length < 4) throw new Error(`not an EVM transaction (kind ${tx.kind}, no body.raw)`);
      return this.engine.decodeRawTxHex(raw).tx;
    } catch (err) {
      return (err as Error).message;
    }
  }

  async execute(block: BlockContext, candidates: readonly MempoolTx[], state: StateReader): Promise<BlockExecution> {
    const before = this.parallel?.versionOf(state);
    const decoded = this.fitting(candidates);
    const included = decoded.length;
    const txs = candidates.slice(0, included);
    const input = this.blockInput(block);
    const runnable: TypedTransaction[] = [];
    const slots: (number | string)[] = []; // index into runnable, or the decode error
    for (let i = 0; i < included; i++) {
      const d = decoded[i];
      if (typeof d === 'string') {
        slots.push(d);
        continue;
      }
      slots.push(runnable.push(d) - 1);
    }
    const result = await this.runTxs(input, runnable, state);

    const receipts: StoredEvmReceipt[] = [];
    let cumulative = '0';
    txs.forEach((tx, i) => {
      const slot = slots[i];
      const r: EvmReceipt =
        typeof slot === 'number'
          ? result.receipts[slot]
          : {
              status: 'reverted',
              gasUsed: '0',
              cumulativeGasUsed: cumulative,
              effectiveGasPrice: '0',
              type: 0,
              logs: [],
              logsBloom: '0x' + '00'.repeat(256),
              contractAddress: null,
              error: slot,
              from: tx.sender,
              to: null,
              txHash: tx.hash,
            };
      cumulative = r.cumulativeGasUsed;
      // Not `{ ...r, evmStatus }`: on this Node (V8 11.3) a spread followed by a new property makes a
      // new hidden class per object, and each keeps the tx's objects alive until a full GC (patches/README.md).
      const statuses: Pick<StoredEvmReceipt, 'status' | 'evmStatus'> = {
        status: r.status === 'success' ? 'success' : 'failed',
        evmStatus: r.status,
      };
      receipts.push(Object.assign<Record<string, unknown>, Omit<EvmReceipt, 'status'>, typeof statuses>({}, r, statuses));
    });

    const vmHeader: EvmVmHeader = {
      baseFeePerGas: String(input.baseFeePerGas),
      gasLimit: String(input.gasLimit),
      gasUsed: String(result.gasUsed),
      logsBloom: result.logsBloom,
      coinbase: input.coinbase,
    };
    const newCode = result.newCode;
    const spnId = this.code.spnId;
    // Senders of txs the EVM refused (no nonce used: fee below the base fee, nonce, funds) with their nonce after the block.
    const after: StateReader = { get: (key) => result.writes.get(key) ?? state.get(key) };
    const refused = new Map<string, bigint>();
    receipts.forEach((r, i) => {
      const sender = txs[i].sender.toLowerCase();
      if (r.gasUsed === '0' && r.error !== undefined && /^0x[0-9a-f]{40}$/.test(sender) && !refused.has(sender)) {
        refused.set(sender, this.engine.getNonce(sender, after));
      }
    });
    return {
      receipts,
      writes: result.writes,
      gasUsed: result.gasUsed,
      included,
      vmHeader,
      report: this.parallel?.lastReport,
      persist: async (sql, b) => {
        await persistEvmBlock(sql, spnId, b.number, newCode, txs, receipts);
        await releaseRefusedNonces(sql, spnId, refused);
      },
      afterCommit: () => {
        for (const [hash, code] of newCode) this.code.add(hash, code);
        this.parallel?.committed(state, before, result.writes);
      },
    };
  }

  /**
   * The block's txs through the parallel executor when it is on and can take the block (else,
   * or when assembly finds that serial execution would differ, through runBlock): the same
   * EvmBlockResult either way.
   */
  private async runTxs(input: EvmBlockInput, txs: TypedTransaction[], state: StateReader): Promise<EvmBlockResult> {
    const parallel = this.parallel;
    return parallel
      ? parallel.measure(txs.length, () => this.runTxsOn(parallel, input, txs, state))
      : this.engine.runBlock(input, txs, state, this.code);
  }

  private async runTxsOn(
    parallel: ParallelExecution,
    input: EvmBlockInput,
    txs: TypedTransaction[],
    state: StateReader,
  ): Promise<EvmBlockResult> {
    const ran = await parallel.run(input, txs, state, undefined, () => declaredKeysOf(txs));
    if (ran) {
      try {
        return assembleEvmBlock(input, txs, ran.results, state, undefined, ran.writes);
      } catch (err) {
        if (!isSerialExecutionRequired(err)) throw err;
        parallel.serial(`assembly: ${(err as Error).message}`);
      }
    }
    return this.engine.runBlock(input, txs, state, this.code);
  }
}

/**
 * The keys the block's txs declare in EIP-2930 access lists (the parallel executor schedules
 * from them), or undefined when no tx has an access list.
 */
function declaredKeysOf(txs: readonly TypedTransaction[]): ReturnType<typeof evmDeclaredKeys>[] | undefined {
  if (!txs.some((tx) => ((tx as { accessList?: unknown[] }).accessList?.length ?? 0) > 0)) return undefined;
  return txs.map((tx) => evmDeclaredKeys(tx));
}

/**
 * A tx the EVM refused at execution time (its fee fell below a risen base fee, or an earlier tx
 * of its sender was refused) used no nonce, but ingress had counted it: the sender's next nonce
 * goes back to what the EVM expects, unless txs of that sender are still pending (their nonces
 * stay taken; when they too are refused, this runs again). Without it every later tx of the
 * sender would fail "nonce too high". Rows are locked first, as ingress does, so a tx accepted
 * meanwhile is counted.
 */
async function releaseRefusedNonces(sql: SqlRunner, spnId: string, refused: ReadonlyMap<string, bigint>): Promise<void> {
  if (refused.size === 0) return;
  const senders = [...refused.keys()].sort();
  await sql.query('SELECT address FROM spn_sender WHERE spn_id = $1 AND address = ANY($2::text[]) ORDER BY address FOR UPDATE', [
    spnId,
    senders,
  ]);
  await sql.query(
    `UPDATE spn_sender s
        SET next_nonce = GREATEST(u.evm_nonce, COALESCE((SELECT max(t.nonce) + 1 FROM spn_tx t
                                                         WHERE t.spn_id = $1 AND t.sender = s.address AND t.status = 'pending'), 0))
       FROM unnest($2::text[], $3::bigint[]) AS u(address, evm_nonce)
      WHERE s.spn_id = $1 AND s.address = u.address`,
    [spnId, senders, senders.map((a) => String(refused.get(a)))],
  );
}

/** New code (ON CONFLICT DO NOTHING: code is content-addressed) and the block's logs, one statement each. */
async function persistEvmBlock(
  sql: SqlRunner,
  spnId: string,
  blockNo: bigint,
  newCode: ReadonlyMap<string, Uint8Array>,
  txs: readonly MempoolTx[],
  receipts: readonly StoredEvmReceipt[],
): Promise<void> {
  if (newCode.size > 0) {
    await sql.query(
      `INSERT INTO spn_evm_code (spn_id, code_hash, code)
       SELECT $1, h, c FROM unnest($2::text[], $3::bytea[]) AS u(h, c) ON CONFLICT DO NOTHING`,
      [spnId, [...newCode.keys()].map((h) => h.toLowerCase()), [...newCode.values()].map((c) => Buffer.from(c))],
    );
  }
  const cols: { index: number[]; txHash: string[]; txIndex: number[]; address: string[]; topics: (string | null)[][]; data: string[] } = {
    index: [],
    txHash: [],
    txIndex: [],
    address: [],
    topics: [[], [], [], []],
    data: [],
  };
  let logIndex = 0;
  receipts.forEach((r, txIndex) => {
    for (const log of r.logs) {
      cols.index.push(logIndex++);
      cols.txHash.push((r.txHash || txs[txIndex].hash).toLowerCase());
      cols.txIndex.push(txIndex);
      cols.address.push(log.address.toLowerCase());
      for (let t = 0; t < 4; t++) cols.topics[t].push(log.topics[t]?.toLowerCase() ?? null);
      cols.data.push(log.data.toLowerCase());
    }
  });
  if (logIndex === 0) return;
  await sql.query(
    `INSERT INTO spn_log (spn_id, block_no, log_index, tx_hash, tx_index, address, topic0, topic1, topic2, topic3, data)
     SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])`,
    [spnId, String(blockNo), cols.index, cols.txHash, cols.txIndex, cols.address, ...cols.topics, cols.data],
  );
}
