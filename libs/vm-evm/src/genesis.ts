import { getBytes, keccak256 } from 'ethers';
import { InvalidInputError } from '@mesh/core';
import { accountKeys, splitWord, storageKeys } from './evm-state-keys';

export interface GenesisAccount {
  balance: bigint;
  nonce?: bigint;
  /** Runtime code, 0x hex. */
  code?: string;
  /** slot -> value, both 0x hex (or decimal) 256-bit words. */
  storage?: Record<string, string>;
}

/**
 * Tree writes (and code, by keccak256 hash) that seed an EVM SPN's first state. Zero fields take
 * no write. Storage is only accepted for accounts with code: the state manager cannot enumerate
 * storage, so storage on an address without code could outlive a later contract created there.
 */
export function genesisWrites(alloc: Record<string, GenesisAccount>): { writes: Map<bigint, bigint>; code: Map<string, Uint8Array> } {
  const writes = new Map<bigint, bigint>();
  const code = new Map<string, Uint8Array>();
  const set = (key: bigint, value: bigint) => {
    if (value !== 0n) writes.set(key, value);
  };
  for (const [address, account] of Object.entries(alloc)) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address))
      throw new InvalidInputError(`genesis address must be 0x + 40 hex digits, got ${JSON.stringify(address)}`);
    const keys = accountKeys(address.toLowerCase());
    const nonce = account.nonce ?? 0n;
    if (nonce < 0n || nonce >= 1n << 64n) throw new InvalidInputError(`genesis nonce of ${address} out of range`);
    set(keys.nonce, nonce);
    const [bHi, bLo] = splitWord(account.balance);
    set(keys.balanceHi, bHi);
    set(keys.balanceLo, bLo);
    const bytes = account.code && account.code !== '0x' ? getBytes(account.code) : undefined;
    if (bytes) {
      const hash = keccak256(bytes);
      code.set(hash, bytes);
      const [hHi, hLo] = splitWord(BigInt(hash));
      set(keys.codeHashHi, hHi);
      set(keys.codeHashLo, hLo);
    }
    const storage = Object.entries(account.storage ?? {});
    if (storage.length > 0 && !bytes) throw new InvalidInputError(`genesis storage of ${address} needs code at that address`);
    for (const [slot, value] of storage) {
      const k = storageKeys(address.toLowerCase(), BigInt(slot));
      const [hi, lo] = splitWord(BigInt(value));
      set(k.hi, hi);
      set(k.lo, lo);
    }
  }
  return { writes, code };
}
