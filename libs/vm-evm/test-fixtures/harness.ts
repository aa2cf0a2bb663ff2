import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx';
import type { Common } from '@ethereumjs/common';
import { bytesToHex, createAddressFromPrivateKey, hexToBytes } from '@ethereumjs/util';
import { spnCommon, type CodeSource, type EvmStateReader } from '../src';

/** Committed state as a map (what the SPN's StateCache is), with writes applied between blocks. */
export class MapState implements EvmStateReader {
  readonly values = new Map<bigint, bigint>();
  get(key: bigint): bigint {
    return this.values.get(key) ?? 0n;
  }
  apply(writes: ReadonlyMap<bigint, bigint>): void {
    for (const [k, v] of writes) {
      if (v === 0n) this.values.delete(k);
      else this.values.set(k, v);
    }
  }
}

export class MapCode implements CodeSource {
  readonly code = new Map<string, Uint8Array>();
  async get(hash: string): Promise<Uint8Array | undefined> {
    return this.code.get(hash);
  }
  add(code: ReadonlyMap<string, Uint8Array>): void {
    for (const [h, c] of code) this.code.set(h, c);
  }
}

export interface TestKey {
  privateKey: Uint8Array;
  address: string;
}

/** Deterministic test keys (never for real value). */
export function testKey(i: number): TestKey {
  const privateKey = hexToBytes(('0x' + (i + 1).toString(16).padStart(64, '0')) as `0x${string}`);
  privateKey[0] = 0x4c; // keep it well inside the curve order and distinct from trivial keys
  return { privateKey, address: createAddressFromPrivateKey(privateKey).toString() };
}

export interface TxParams {
  type?: 0 | 1 | 2;
  nonce: bigint;
  to?: string;
  value?: bigint;
  data?: string;
  gasLimit?: bigint;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  accessList?: { address: string; storageKeys: string[] }[];
  chainId: bigint;
}

/** A signed tx of the given type, built with @ethereumjs/tx. */
export function signTx(key: TestKey, p: TxParams, common?: Common): TypedTransaction {
  const base = {
    nonce: p.nonce,
    to: p.to as `0x${string}` | undefined,
    value: p.value ?? 0n,
    data: (p.data ?? '0x') as `0x${string}`,
    gasLimit: p.gasLimit ?? 100_000n,
  };
  const type = p.type ?? 2;
  if (type === 0)
    return createLegacyTx({ ...base, gasPrice: p.gasPrice ?? 2_000_000_000n }, { common: common ?? commonFor(p.chainId) }).sign(
      key.privateKey,
    );
  if (type === 1)
    return createAccessList2930Tx(
      { ...base, chainId: p.chainId, gasPrice: p.gasPrice ?? 2_000_000_000n, accessList: (p.accessList ?? []) as never },
      { common: common ?? commonFor(p.chainId) },
    ).sign(key.privateKey);
  return createFeeMarket1559Tx(
    {
      ...base,
      chainId: p.chainId,
      maxFeePerGas: p.maxFeePerGas ?? 3_000_000_000n,
      maxPriorityFeePerGas: p.maxPriorityFeePerGas ?? 1_000_000n,
      accessList: (p.accessList ?? []) as never,
    },
    { common: common ?? commonFor(p.chainId) },
  ).sign(key.privateKey);
}

function commonFor(chainId: bigint): Common {
  return spnCommon(chainId);
}

export const raw = (tx: TypedTransaction): Uint8Array => tx.serialize();
export const hex = (b: Uint8Array): string => bytesToHex(b);
