import { availableParallelism } from 'node:os';
import { WasmRuntime } from '@mesh/vm-wasm';
import type { BlockExecutor, SpnVm } from '../executor';
import type { VmContext } from '../spn-node';
import type { IngressLimits } from './wasm-ingress';
import { DEFAULT_INGRESS_LIMITS, WasmIngress } from './wasm-ingress';
import { ParallelWasmExecutor } from './parallel-wasm-executor';
import { PluginRegistry, type DeployedPlugin } from './plugin-registry';
import { SerialWasmExecutor } from './wasm-executor';

/**
 * The Wasm face of an SPN node: metered runtime, deployed plugins, executor and ingress. The
 * executor is the parallel one (libs/executor, `options.execution.workers` threads, default one
 * per core) unless `workers` is 0.
 */
export class WasmVm implements SpnVm {
  readonly kind = 'wasm' as const;

  private constructor(
    readonly executor: BlockExecutor,
    readonly ingress: WasmIngress,
    private readonly registry: PluginRegistry,
  ) {}

  static async open(ctx: VmContext, limits: IngressLimits = DEFAULT_INGRESS_LIMITS): Promise<WasmVm> {
    const { db, mempool, options } = ctx;
    const runtime = new WasmRuntime();
    const registry = new PluginRegistry(runtime, mempool.spnId);
    await registry.load(db);
    const ingress = new WasmIngress(mempool, { chainId: options.chainId, spnId: mempool.spnId }, registry, runtime, limits);
    const serial = new SerialWasmExecutor(runtime, registry);
    const workers = options.execution?.workers ?? availableParallelism();
    const executor = workers > 0 ? new ParallelWasmExecutor(serial, registry, { ...options.execution, workers }) : serial;
    return new WasmVm(executor, ingress, registry);
  }

  plugins(): DeployedPlugin[] {
    return this.registry.list();
  }

  async warmUp(): Promise<void> {
    if (this.executor instanceof ParallelWasmExecutor) await this.executor.parallel.start();
  }

  async close(): Promise<void> {
    if (this.executor instanceof ParallelWasmExecutor) await this.executor.close();
  }
}
