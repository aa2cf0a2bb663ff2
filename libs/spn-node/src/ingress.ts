import type { DataSource } from 'typeorm';
import { canonicalJson, InvalidInputError, verifySignedWasmCall, verifySignedWasmDeploy, type WasmDomainOptions } from '@mesh/core';
import type { WasmRuntime } from '@mesh/vm-wasm';
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

export interface Accepted {
  hash: string;
  /** True when this exact transaction had been accepted before (a client retry). */
  duplicate: boolean;
}

/**
 * Ingress of a Wasm SPN: checks a signed call or deployment (shape, chain and SPN id, signature,
 * gas limit, size, plugin and method, nonce) and writes it to the mempool before answering.
 * The sender's nonce advances in the same database transaction, so an acknowledged tx is never
 * lost and a nonce is never taken twice. Every refusal is an InvalidInputError and stores nothing.
 */
export class Ingress {
  constructor(
    private readonly db: DataSource,
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
    return this.store({ hash, kind: 'call', sender: call.from, nonce: call.nonce, body, code: null });
  }

  async submitDeploy(body: unknown): Promise<Accepted> {
    const { hash, deploy, code } = verifySignedWasmDeploy(body, this.domain);
    if (code.length > this.limits.maxCodeBytes)
      throw new InvalidInputError(`plugin module is ${code.length} bytes, the limit is ${this.limits.maxCodeBytes}`);
    this.checkGas(deploy.gasLimit);
    if (this.plugins.get(deploy.name)) throw new InvalidInputError(`a plugin named "${deploy.name}" is already deployed`);
    this.runtime.prepare(code); // refuses non-wasm, foreign imports, unmeterable modules with a clear error
    const { code: _code, ...rest } = body as Record<string, unknown>;
    return this.store({ hash, kind: 'deploy', sender: deploy.from, nonce: deploy.nonce, body: rest, code: Buffer.from(code) });
  }

  private checkGas(gasLimit: bigint): void {
    if (gasLimit < this.limits.minTxGas)
      throw new InvalidInputError(`gasLimit ${gasLimit} is below the minimum of ${this.limits.minTxGas}`);
    if (gasLimit > this.limits.maxTxGas) throw new InvalidInputError(`gasLimit ${gasLimit} exceeds the maximum of ${this.limits.maxTxGas}`);
  }

  private async store(tx: {
    hash: string;
    kind: 'call' | 'deploy';
    sender: string;
    nonce: bigint;
    body: unknown;
    code: Buffer | null;
  }): Promise<Accepted> {
    const spnId = this.domain.spnId;
    return this.db.transaction(async (em) => {
      await em.query('INSERT INTO spn_sender (spn_id, address, next_nonce) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING', [spnId, tx.sender]);
      const [{ next_nonce }]: { next_nonce: string }[] = await em.query(
        'SELECT next_nonce FROM spn_sender WHERE spn_id = $1 AND address = $2 FOR UPDATE',
        [spnId, tx.sender],
      );
      // Checked under the sender's lock, so that two copies of one tx posted at once both get its hash.
      const existing: unknown[] = await em.query('SELECT 1 FROM spn_tx WHERE spn_id = $1 AND hash = $2', [spnId, tx.hash]);
      if (existing.length > 0) return { hash: tx.hash, duplicate: true };
      const expected = BigInt(next_nonce);
      if (tx.nonce < expected)
        throw new InvalidInputError(`nonce ${tx.nonce} of ${tx.sender} was already used (next nonce is ${expected})`);
      if (tx.nonce > expected) throw new InvalidInputError(`nonce ${tx.nonce} of ${tx.sender} skips ahead (next nonce is ${expected})`);
      await em.query('INSERT INTO spn_tx (spn_id, hash, kind, sender, nonce, body, code) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        spnId,
        tx.hash,
        tx.kind,
        tx.sender,
        String(tx.nonce),
        JSON.stringify(tx.body),
        tx.code,
      ]);
      await em.query('UPDATE spn_sender SET next_nonce = next_nonce + 1 WHERE spn_id = $1 AND address = $2', [spnId, tx.sender]);
      return { hash: tx.hash, duplicate: false };
    });
  }

  /** Next nonce of a sender (what its next transaction must carry). */
  async nextNonce(address: string): Promise<bigint> {
    const rows: { next_nonce: string }[] = await this.db.query('SELECT next_nonce FROM spn_sender WHERE spn_id = $1 AND address = $2', [
      this.domain.spnId,
      address.toLowerCase(),
    ]);
    return rows.length ? BigInt(rows[0].next_nonce) : 0n;
  }
}
