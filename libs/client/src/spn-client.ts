import type { Signer } from 'ethers';
import {
  signWasmCall,
  signWasmDeploy,
  type SignedWasmCallJson,
  type SpnExecutionView,
  type SpnStatusView,
  type TxStatus,
  type TxView,
  type WasmDomainOptions,
} from '@mesh/core';
import { requestJson } from './http';

/** A tx as the SPN reports it. */
export type TxInfo = TxView;
/** `GET /status`: chain figures plus how the node has executed blocks since it started. */
export type SpnStatus = SpnStatusView & {
  spnId: string;
  /** The mesh chain id: with spnId, the signing domain of the SPN's Wasm txs. */
  chainId: number;
  vm: 'wasm' | 'evm';
  /** Address of the operator key that signs the SPN's settlements. */
  operator: string;
  execution?: SpnExecutionView;
};

/** Typed client of a Wasm SPN node's REST API, signing what it sends. */
export class SpnClient {
  constructor(
    readonly baseUrl: string,
    readonly domain: WasmDomainOptions,
  ) {}

  /**
   * Signs and sends a plugin call; returns its hash once the node has stored it. `reads` /
   * `writes`: optionally, the plugin storage keys the call touches (see WasmCall), which lets a
   * parallel SPN schedule it without speculating.
   */
  async call(
    signer: Signer,
    call: { plugin: string; method: string; args: string[]; nonce: bigint; gasLimit?: bigint; reads?: string[]; writes?: string[] },
  ): Promise<string> {
    const from = (await signer.getAddress()).toLowerCase();
    const signed = await signWasmCall(signer, this.domain, { from, gasLimit: 1_000_000n, ...call });
    return this.send(signed);
  }

  /** Sends an already signed call. */
  async send(signed: SignedWasmCallJson): Promise<string> {
    return (await requestJson<{ hash: string }>(this.baseUrl, '/tx', { body: signed })).hash;
  }

  async deploy(signer: Signer, name: string, code: Uint8Array, nonce: bigint, gasLimit = 5_000_000n): Promise<string> {
    const from = (await signer.getAddress()).toLowerCase();
    const signed = await signWasmDeploy(signer, this.domain, { from, nonce, name, gasLimit }, code);
    return (await requestJson<{ hash: string }>(this.baseUrl, '/plugins', { body: signed })).hash;
  }

  async nextNonce(address: string): Promise<bigint> {
    return BigInt((await requestJson<{ nextNonce: string }>(this.baseUrl, `/accounts/${address}`)).nextNonce);
  }

  tx(hash: string): Promise<TxInfo> {
    return requestJson<TxInfo>(this.baseUrl, `/tx/${hash}`);
  }

  status(): Promise<SpnStatus> {
    return requestJson<SpnStatus>(this.baseUrl, '/status');
  }

  state(plugin: string, key: string): Promise<{ value: string | null; u64: string | null }> {
    return requestJson(this.baseUrl, `/state/${plugin}/${encodeURIComponent(key)}`);
  }

  plugins(): Promise<{ name: string; methods: string[] }[]> {
    return requestJson(this.baseUrl, '/plugins');
  }

  /** Polls a tx until its status is one of `statuses` (or the time runs out). */
  async waitFor(hash: string, statuses: readonly TxStatus[], timeoutMs = 120_000, pollMs = 200): Promise<TxInfo> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await this.tx(hash);
      if (statuses.includes(info.status)) return info;
      if (Date.now() > deadline) throw new Error(`tx ${hash} is still ${info.status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
