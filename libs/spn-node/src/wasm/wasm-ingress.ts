import { canonicalJson, InvalidInputError, verifySignedWasmCall, verifySignedWasmDeploy, type WasmDomainOptions } from '@mesh/core';
import type { WasmRuntime } from '@mesh/vm-wasm';
import type { Accepted, Mempool } from '../mempool';
import type { PluginRegistry } from './plugin-registry';

export interface IngressLimits {
  /** Largest accepted call, as canonical JSON bytes. */
  maxTxBytes: number;
  /** Largest accepted plugin module. */
  maxCodeBytes: number;
  /** Gas limit bounds of one transaction. */
  minTxGas: bigint;
  maxTxGas: bigint;
}

export const DEFAULT_INGRESS_LIMITS: IngressLimits = {
  maxTxBytes: 8 * 1024,
  maxCodeBytes: 512 * 1024,
  minTxGas: 1_000n,
  maxTxGas: 50_000_000n,
};

/**
 * Ingress of a Wasm SPN: checks a signed call or deployment (shape, chain and SPN id, signature,
 * gas limit, size, plugin and method) and hands it to the mempool, which checks the nonce and
 * stores it before the answer. Every refusal is an InvalidInputError and stores nothing.
 */
export class WasmIngress {
  constructor(
    private readonly mempool: Mempool,
    private readonly domain: WasmDomainOptions,
    private readonly plugins: PluginRegistry,
    private readonly runtime: WasmRuntime,
    private readonly limits: IngressLimits = DEFAULT_INGRESS_LIMITS,
  ) {}

  async submitCall(body: unknown): Promise<Accepted> {
    const size = Buffer.byteLength(canonicalJson(body ?? null));
    if (size > this.limits.maxTxBytes) throw new InvalidInputError(`transaction is ${size} bytes, the limit is ${this.limits.maxTxBytes}`);
    const { hash, call } = verifySignedWasmCall(body, this.domain);
    this.checkGas(call.gasLimit);
    const plugin = this.plugins.get(call.plugin);
    if (!plugin) throw new InvalidInputError(`unknown plugin "${call.plugin}"`);
    if (!plugin.plugin.methods.includes(call.method)) {
      throw new InvalidInputError(`plugin "${call.plugin}" has no method "${call.method}" (it has: ${plugin.plugin.methods.join(', ')})`);
    }
    return this.mempool.add({ hash, kind: 'call', sender: call.from, nonce: call.nonce, body, code: null });
  }

  async submitDeploy(body: unknown): Promise<Accepted> {
    const { hash, deploy, code } = verifySignedWasmDeploy(body, this.domain);
    if (code.length > this.limits.maxCodeBytes)
      throw new InvalidInputError(`plugin module is ${code.length} bytes, the limit is ${this.limits.maxCodeBytes}`);
    this.checkGas(deploy.gasLimit);
    if (this.plugins.get(deploy.name)) throw new InvalidInputError(`a plugin named "${deploy.name}" is already deployed`);
    this.runtime.prepare(code); // refuses non-wasm, foreign imports, unmeterable modules with a clear error
    const { code: _code, ...rest } = body as Record<string, unknown>;
    return this.mempool.add({ hash, kind: 'deploy', sender: deploy.from, nonce: deploy.nonce, body: rest, code: Buffer.from(code) });
  }

  private checkGas(gasLimit: bigint): void {
    if (gasLimit < this.limits.minTxGas)
      throw new InvalidInputError(`gasLimit ${gasLimit} is below the minimum of ${this.limits.minTxGas}`);
    if (gasLimit > this.limits.maxTxGas) throw new InvalidInputError(`gasLimit ${gasLimit} exceeds the maximum of ${this.limits.maxTxGas}`);
  }
}
