import type { DataSource } from 'typeorm';
import { WasmRuntime } from '@mesh/vm-wasm';
import type { SpnVm } from '../executor';
import type { IngressLimits } from './wasm-ingress';
import { DEFAULT_INGRESS_LIMITS, WasmIngress } from './wasm-ingress';
import type { Mempool } from '../mempool';
import { PluginRegistry, type DeployedPlugin } from './plugin-registry';
import { SerialWasmExecutor } from './wasm-executor';

/** The Wasm face of an SPN node: metered runtime, deployed plugins, executor and ingress. */
export class WasmVm implements SpnVm {
  readonly kind = 'wasm' as const;

  private constructor(
    readonly executor: SerialWasmExecutor,
    readonly ingress: WasmIngress,
    private readonly registry: PluginRegistry,
  ) {}

  static async open(db: DataSource, mempool: Mempool, chainId: number, limits: IngressLimits = DEFAULT_INGRESS_LIMITS): Promise<WasmVm> {
    const runtime = new WasmRuntime();
    const registry = new PluginRegistry(runtime, mempool.spnId);
    await registry.load(db);
    const ingress = new WasmIngress(mempool, { chainId, spnId: mempool.spnId }, registry, runtime, limits);
    return new WasmVm(new SerialWasmExecutor(runtime, registry), ingress, registry);
  }

  plugins(): DeployedPlugin[] {
    return this.registry.list();
  }
}
