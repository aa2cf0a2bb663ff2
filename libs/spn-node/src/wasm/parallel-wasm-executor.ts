import { ParallelExecutor, type DeclaredKeys, type ParallelTuning } from '@mesh/executor';
import type { BlockContext, BlockExecution, BlockExecutor, MempoolTx, StateReader } from '../executor';
import { ParallelExecution } from '../parallel-execution';
import type { PluginRegistry } from './plugin-registry';
import { PluginKeyCache } from './plugin-state-keys';
import { decodeWasmTx, type SerialWasmExecutor } from './wasm-executor';
import {
  assembleWasmBlock,
  WASM_TX_ENGINE_MODULE,
  wasmHostHandler,
  WasmTxEngine,
  wasmTxOutputCodec,
  wasmTxPayloadCodec,
  type WasmBlockEnv,
  type WasmTxEngineOptions,
} from './wasm-tx-engine';

/**
 * Share of a split Wasm block the coordinator runs itself (ParallelExecutorOptions.splitCoordinatorShare);
 * the rest goes to one worker on a 2-core machine (maxSplitThreads: the coordinator counts as a
 * thread). Measured on a 2-core machine (200-tx token transfer blocks, 2 workers, adaptive choice
 * off, side by side in one process, medians of 15 runs): 0.4 1.08x as fast as 0.5, 1.02x as fast
 * as 0.3 (the eighth session, before the rest went to one worker: 0.3 1.46x-1.51x serial).
 */
export const WASM_COORDINATOR_SHARE = 0.4;

export type ParallelWasmOptions = ParallelTuning & { workers: number };

/**
 * The Wasm SPN's block executor with parallel execution: call txs run in the parallel executor's
 * workers (each a warm WasmTxEngine); a block with a plugin deployment, a small block, or one the
 * parallel run hands back (crash, serial-only tx) runs on the serial executor. Results are those
 * of serial execution either way.
 */
export class ParallelWasmExecutor implements BlockExecutor {
  readonly parallel: ParallelExecution;

  constructor(
    private readonly serial: SerialWasmExecutor,
    registry: PluginRegistry,
    options: ParallelWasmOptions,
  ) {
    const engineOptions: WasmTxEngineOptions = { spnId: registry.spnId };
    const host = wasmHostHandler(registry);
    this.parallel = new ParallelExecution(
      new ParallelExecutor({
        engineModule: WASM_TX_ENGINE_MODULE,
        engineOptions,
        localEngine: () => new WasmTxEngine(engineOptions, { request: async (kind, arg) => host(kind, arg) }),
        hostHandler: host,
        outputCodec: wasmTxOutputCodec,
        payloadCodec: wasmTxPayloadCodec,
        // A Wasm call costs ~20 µs: per-tx reports and bookkeeping cost about as much, which the
        // split first pass saves; this thread runs the first 40 % itself (no messages for those)
        // and then takes the tails of the workers' pieces (libs/executor/DESIGN.md).
        splitFirst: true,
        splitCoordinatorShare: WASM_COORDINATOR_SHARE,
        // This thread takes the workers' tails already; workers taking each other's too measured
        // 12 % slower (a worker deserialises the other piece's txs first: ~2 µs per ~17 µs call).
        splitWorkersSteal: false,
        ...options,
      }),
    );
  }

  async execute(block: BlockContext, txs: readonly MempoolTx[], state: StateReader): Promise<BlockExecution> {
    const before = this.parallel.versionOf(state);
    const env: WasmBlockEnv = { number: block.number, timeMs: block.timeMs };
    const deploys = txs.some((t) => t.kind === 'deploy');
    const result = await this.parallel.measure(txs.length, async () => {
      // The rows themselves: the engines decode each tx where it runs (WasmTxInput).
      const ran = await this.parallel.run(env, txs, state, deploys ? 'the block deploys a plugin' : undefined, () =>
        this.declaredKeys(txs),
      );
      return ran ? assembleWasmBlock(ran.results, ran.writes) : this.serial.execute(block, txs, state);
    });
    return {
      ...result,
      report: this.parallel.lastReport,
      afterCommit: () => {
        result.afterCommit?.();
        this.parallel.committed(state, before, result.writes);
      },
    };
  }

  close(): Promise<void> {
    return this.parallel.close();
  }

  private readonly keys = new PluginKeyCache();

  /**
   * The state-tree keys the calls declare (WasmCall.reads / writes: storage keys of the called
   * plugin, the only state a call can touch), or undefined when no call declares any.
   */
  private declaredKeys(rows: readonly MempoolTx[]): (DeclaredKeys | undefined)[] | undefined {
    // A row that is not a deployment is a call (as decodeWasmTx reads it).
    const declares = (row: MempoolTx) => row.kind !== 'deploy' && (row.body as { call: { writes?: unknown } }).call.writes !== undefined;
    if (!rows.some(declares)) return undefined;
    const txs = rows.map(decodeWasmTx);
    const treeKey = (plugin: string, key: string) => this.keys.get(plugin, Buffer.from(key, 'utf8').toString('hex'));
    return txs.map((tx) => {
      if (tx.kind !== 'call' || tx.call.writes === undefined) return undefined;
      const { plugin, reads = [], writes } = tx.call;
      return { reads: reads.map((k) => treeKey(plugin, k)), writes: writes.map((k) => treeKey(plugin, k)) };
    });
  }
}
