import { getBytes, keccak256 } from 'ethers';
import { FIELD_MODULUS, InvalidInputError } from '@mesh/core';

/**
 * Where an EVM account lives in the SPN's state tree. Every field is its own leaf:
 *
 *   key = keccak256(uint8 kind ‖ address20 ‖ slot32?) mod FIELD_MODULUS
 *
 * A 256-bit word (balance, code hash, storage value) is split into two 128-bit halves, each
 * below the field modulus. Values are the plain integers; 0 means absent, so an empty account,
 * a zero slot and a zero half take no leaf.
 */
export const EvmKeyKind = {
  Nonce: 1,
  BalanceHi: 2,
  BalanceLo: 3,
  CodeHashHi: 4,
  CodeHashLo: 5,
  StorageHi: 6,
  StorageLo: 7,
} as const;
export type EvmKeyKind = (typeof EvmKeyKind)[keyof typeof EvmKeyKind];

const MASK_128 = (1n << 128n) - 1n;
const MAX_WORD = (1n << 256n) - 1n;

/** The tree keys of an account's fields. */
export interface AccountKeys {
  nonce: bigint;
  balanceHi: bigint;
  balanceLo: bigint;
  codeHashHi: bigint;
  codeHashLo: bigint;
}

/** The tree keys of one storage slot's halves. */
export interface StorageKeys {
  hi: bigint;
  lo: bigint;
}

function addressBytes(address: string | Uint8Array): Uint8Array {
  const bytes = typeof address === 'string' ? hexBytes(address, 'address') : address;
  if (bytes.length !== 20) throw new InvalidInputError(`address must be 20 bytes, got ${bytes.length}`);
  return bytes;
}

function slotBytes(slot: bigint | string | Uint8Array): Uint8Array {
  if (slot instanceof Uint8Array) {
    if (slot.length > 32) throw new InvalidInputError(`storage slot must be at most 32 bytes, got ${slot.length}`);
    const out = new Uint8Array(32);
    out.set(slot, 32 - slot.length);
    return out;
  }
  const n = typeof slot === 'bigint' ? slot : BigInt(slot);
  if (n < 0n || n > MAX_WORD) throw new InvalidInputError(`storage slot must be a 256-bit word, got ${n}`);
  return getBytes('0x' + n.toString(16).padStart(64, '0'));
}

function hexBytes(hex: string, what: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0)
    throw new InvalidInputError(`${what} must be 0x-prefixed hex, got ${JSON.stringify(hex)}`);
  return getBytes(hex);
}

function keyOf(preimage: Uint8Array): bigint {
  return BigInt(keccak256(preimage)) % FIELD_MODULUS;
}

/** Tree key of one field: `kind` 1..5 take an address, 6..7 an address and a slot. */
export function evmStateKey(kind: EvmKeyKind, address: string | Uint8Array, slot?: bigint | string | Uint8Array): bigint {
  if (!Number.isInteger(kind) || kind < 1 || kind > 7) throw new InvalidInputError(`unknown EVM state key kind ${kind}`);
  const addr = addressBytes(address);
  const isStorage = kind === EvmKeyKind.StorageHi || kind === EvmKeyKind.StorageLo;
  if (isStorage !== (slot !== undefined)) {
    throw new InvalidInputError(isStorage ? `key kind ${kind} needs a storage slot` : `key kind ${kind} takes no storage slot`);
  }
  const preimage = new Uint8Array(isStorage ? 53 : 21);
  preimage[0] = kind;
  preimage.set(addr, 1);
  if (isStorage) preimage.set(slotBytes(slot!), 21);
  return keyOf(preimage);
}

/** The five account-field keys of an address. */
export function accountKeys(address: string | Uint8Array): AccountKeys {
  const addr = addressBytes(address);
  const preimage = new Uint8Array(21);
  preimage.set(addr, 1);
  const at = (kind: number) => {
    preimage[0] = kind;
    return keyOf(preimage);
  };
  return {
    nonce: at(EvmKeyKind.Nonce),
    balanceHi: at(EvmKeyKind.BalanceHi),
    balanceLo: at(EvmKeyKind.BalanceLo),
    codeHashHi: at(EvmKeyKind.CodeHashHi),
    codeHashLo: at(EvmKeyKind.CodeHashLo),
  };
}

/** The two keys of a storage slot of an address. */
export function storageKeys(address: string | Uint8Array, slot: bigint | string | Uint8Array): StorageKeys {
  const preimage = new Uint8Array(53);
  preimage.set(addressBytes(address), 1);
  preimage.set(slotBytes(slot), 21);
  preimage[0] = EvmKeyKind.StorageHi;
  const hi = keyOf(preimage);
  preimage[0] = EvmKeyKind.StorageLo;
  return { hi, lo: keyOf(preimage) };
}

/** A 256-bit word as its upper and lower 128 bits. */
export function splitWord(word: bigint): [bigint, bigint] {
  if (word < 0n || word > MAX_WORD) throw new InvalidInputError(`not a 256-bit word: ${word}`);
  return [word >> 128n, word & MASK_128];
}

/** Inverse of splitWord. */
export function joinWord(hi: bigint, lo: bigint): bigint {
  if (hi < 0n || hi > MASK_128 || lo < 0n || lo > MASK_128) throw new InvalidInputError(`word halves must be 128-bit, got ${hi}, ${lo}`);
  return (hi << 128n) | lo;
}
