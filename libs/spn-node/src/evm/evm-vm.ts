import { availableParallelism } from 'node:os';
import { Wallet } from 'ethers';
import { createEthRpcServer, type EthRpcOptions, type JsonRpcServer } from '@mesh/eth-rpc';
import { poseidonHasher, zeroHashes } from '@mesh/state';
import { DEFAULT_BLOCK_GAS_LIMIT, EvmEngine } from '@mesh/vm-evm';
import type { BlockContext, BlockExecution, BlockExecutor, MempoolTx, SpnVm, StateReader } from '../executor';
import type { VmContext } from '../spn-node';
import { SpnEthBackend } from './eth-backend';
import { EvmCodeStore } from './evm-code-store';
import { EvmExecutor } from './evm-executor';
import { DEFAULT_MAX_CALLDATA_BYTES, EvmIngress } from './evm-ingress';
import { GenesisExecutor, prepareGenesis, type GenesisAlloc, type GenesisStatus } from './genesis';

export interface EvmVmOptions {
  /** The SPN's genesis allocation ({} for none); it cannot change once the SPN has started. */
  genesis: GenesisAlloc;
  /** EVM chain id; default the node's chain id (one id for signatures and settlements alike). */
  chainId?: bigint;
  /** Gas limit of every block; default 30,000,000. */
  blockGasLimit?: bigint;
  /** Fee recipient of every block; default the operator's address. */
  coinbase?: string;
  /** Suggested tip (eth_maxPriorityFeePerGas); default 1 gwei. */
  priorityFee?: bigint;
  /** Largest accepted calldata; default 128 KiB. */
  maxCalldataBytes?: number;
  /** @ethereumjs hardfork; default the engine's. */
  hardfork?: string;
  /** JSON-RPC limits (eth_getLogs range and results, batch size). */
  rpc?: EthRpcOptions;
  /** How long eth_getTransactionReceipt of a pending tx waits for its block; default 2 block times + 500 ms, at most 5 s. */
  receiptWaitMs?: number;
}

export const DEFAULT_PRIORITY_FEE = 1_000_000_000n;

/**
 * The EVM face of an SPN node: the engine (libs/vm-evm), the block executor (with the genesis
 * block in front), eth_sendRawTransaction ingress, the EthBackend over the node's tables and
 * state, and the JSON-RPC server the app serves.
 */
export class EvmVm implements SpnVm {
  readonly kind = 'evm' as const;

  private constructor(
    readonly executor: BlockExecutor,
    readonly engine: EvmEngine,
    readonly code: EvmCodeStore,
    readonly ingress: EvmIngress,
    readonly backend: SpnEthBackend,
    readonly rpc: JsonRpcServer,
    readonly genesis: GenesisStatus,
    readonly chainId: bigint,
    readonly blockGasLimit: bigint,
    private readonly evmExecutor: EvmExecutor,
  ) {}

  async warmUp(): Promise<void> {
    await this.evmExecutor.parallel?.start();
  }

  /** Stops the parallel executor's worker threads. */
  async close(): Promise<void> {
    await this.evmExecutor.close();
  }

  static async open(ctx: VmContext, options: EvmVmOptions): Promise<EvmVm> {
    const { db, mempool, state } = ctx;
    const spnId = mempool.spnId;
    const chainId = options.chainId ?? BigInt(ctx.options.chainId);
    const blockGasLimit = options.blockGasLimit ?? DEFAULT_BLOCK_GAS_LIMIT;
    const coinbase = (options.coinbase ?? new Wallet(ctx.options.operatorKey).address).toLowerCase();
    const engine = await EvmEngine.create({ chainId, hardfork: options.hardfork });
    const code = new EvmCodeStore(db, spnId);
    const workers = ctx.options.execution?.workers ?? availableParallelism();
    const evmExecutor = new EvmExecutor(engine, code, {
      coinbase,
      gasLimit: blockGasLimit,
      parallel: workers > 0 ? { ...ctx.options.execution, workers } : undefined,
    });
    const genesisExecutor = new GenesisExecutor(evmExecutor, spnId);
    const genesis = await prepareGenesis(db, mempool, options.genesis);
    const { depth } = ctx.options.artifacts.profile;
    const emptyStateRoot = zeroHashes(await poseidonHasher(), depth)[depth];
    // The ingress asks the backend (declared next) for the base fee and the genesis status, lazily.
    const ingress: EvmIngress = new EvmIngress(
      db,
      mempool,
      engine,
      state,
      { nextBaseFee: () => backend.nextBaseFee(), genesisPending: () => backend.genesisPending() },
      { chainId, blockGasLimit, maxCalldataBytes: options.maxCalldataBytes ?? DEFAULT_MAX_CALLDATA_BYTES },
    );
    const backend: SpnEthBackend = new SpnEthBackend(
      db,
      spnId,
      engine,
      state,
      code,
      mempool,
      ingress,
      {
        chainId,
        blockGasLimit,
        priorityFee: options.priorityFee ?? DEFAULT_PRIORITY_FEE,
        coinbase,
        clientVersion: `rollup-mesh-spn/${spnId}/evm-${engine.hardfork}/node-${process.version}`,
        emptyStateRoot,
        genesisTxHash: genesis.hash,
        receiptWaitMs: options.receiptWaitMs ?? Math.min(2 * ctx.options.blockTimeMs + 500, 5_000),
      },
      genesis.pending,
    );
    const logger = ctx.options.logger;
    const rpc = createEthRpcServer(backend, {
      ...options.rpc,
      onInternalError: (method, err) => logger.error(`JSON-RPC ${method} failed: ${(err as Error)?.stack ?? String(err)}`),
    });
    const executor = new CommitNotifyingExecutor(genesisExecutor, () => backend.blockCommitted());
    return new EvmVm(executor, engine, code, ingress, backend, rpc, genesis, chainId, blockGasLimit, evmExecutor);
  }
}

/** Runs `onCommit` once each block has committed (after the inner executor's own afterCommit). */
class CommitNotifyingExecutor implements BlockExecutor {
  constructor(
    private readonly inner: BlockExecutor,
    private readonly onCommit: () => void,
  ) {}

  async execute(block: BlockContext, txs: readonly MempoolTx[], state: StateReader): Promise<BlockExecution> {
    const result = await this.inner.execute(block, txs, state);
    return {
      ...result,
      afterCommit: () => {
        result.afterCommit?.();
        this.onCommit();
      },
    };
  }
}
