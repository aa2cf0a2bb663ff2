import { solidityPackedKeccak256 } from 'ethers';
import { describe, expect, it } from 'vitest';
import { FIELD_MODULUS, InvalidInputError } from '@mesh/core';
import { accountKeys, evmStateKey, EvmKeyKind, joinWord, splitWord, storageKeys } from './evm-state-keys';

const ADDRESS = '0x00000000000000000000000000000000000000aa';
const OTHER = '0x5b38da6a701c568545dcfcb03fcb875f56beddc4';

describe('EVM state keys', () => {
  it('is keccak256(uint8 kind . address . slot?) mod the field modulus', () => {
    for (const kind of [1, 2, 3, 4, 5] as const) {
      const expected = BigInt(solidityPackedKeccak256(['uint8', 'address'], [kind, OTHER])) % FIELD_MODULUS;
      expect(evmStateKey(kind, OTHER)).toBe(expected);
    }
    for (const kind of [6, 7] as const) {
      const expected = BigInt(solidityPackedKeccak256(['uint8', 'address', 'uint256'], [kind, OTHER, 5n])) % FIELD_MODULUS;
      expect(evmStateKey(kind, OTHER, 5n)).toBe(expected);
    }
  });

  it('gives accountKeys and storageKeys the same keys as evmStateKey', () => {
    expect(accountKeys(ADDRESS)).toEqual({
      nonce: evmStateKey(EvmKeyKind.Nonce, ADDRESS),
      balanceHi: evmStateKey(EvmKeyKind.BalanceHi, ADDRESS),
      balanceLo: evmStateKey(EvmKeyKind.BalanceLo, ADDRESS),
      codeHashHi: evmStateKey(EvmKeyKind.CodeHashHi, ADDRESS),
      codeHashLo: evmStateKey(EvmKeyKind.CodeHashLo, ADDRESS),
    });
    const slot = (1n << 255n) + 3n;
    expect(storageKeys(ADDRESS, slot)).toEqual({
      hi: evmStateKey(EvmKeyKind.StorageHi, ADDRESS, slot),
      lo: evmStateKey(EvmKeyKind.StorageLo, ADDRESS, slot),
    });
  });

  it('reads an address or slot given as hex string, bigint or bytes alike (address case-insensitive)', () => {
    const bytes = new Uint8Array(32);
    bytes[31] = 9;
    expect(storageKeys(ADDRESS, 9n)).toEqual(storageKeys(ADDRESS, '0x09'));
    expect(storageKeys(ADDRESS, 9n)).toEqual(storageKeys(ADDRESS, bytes));
    expect(storageKeys(ADDRESS, 9n)).toEqual(storageKeys(ADDRESS, new Uint8Array([9])));
    expect(accountKeys(OTHER.toUpperCase().replace('0X', '0x'))).toEqual(accountKeys(OTHER));
  });

  it('gives distinct keys below the modulus for every kind, address and slot', () => {
    const keys = new Set<bigint>();
    for (const address of [ADDRESS, OTHER]) {
      for (const k of Object.values(accountKeys(address))) keys.add(k);
      for (const slot of [0n, 1n, 2n ** 128n, 2n ** 256n - 1n]) {
        const s = storageKeys(address, slot);
        keys.add(s.hi).add(s.lo);
      }
    }
    expect(keys.size).toBe(2 * (5 + 4 * 2));
    for (const k of keys) expect(k < FIELD_MODULUS && k >= 0n).toBe(true);
  });

  it('refuses malformed input', () => {
    expect(() => evmStateKey(8 as never, ADDRESS)).toThrow(InvalidInputError);
    expect(() => evmStateKey(EvmKeyKind.Nonce, ADDRESS, 1n)).toThrow(/takes no storage slot/);
    expect(() => evmStateKey(EvmKeyKind.StorageLo, ADDRESS)).toThrow(/needs a storage slot/);
    expect(() => accountKeys('0x1234')).toThrow(/20 bytes/);
    expect(() => accountKeys('nothex')).toThrow(InvalidInputError);
    expect(() => storageKeys(ADDRESS, 2n ** 256n)).toThrow(/256-bit/);
    expect(() => storageKeys(ADDRESS, -1n)).toThrow(/256-bit/);
  });

  it('splits a 256-bit word into 128-bit halves and joins them back', () => {
    const max = 2n ** 256n - 1n;
    for (const word of [0n, 1n, 2n ** 128n - 1n, 2n ** 128n, max, 0x1234n << 130n]) {
      const [hi, lo] = splitWord(word);
      expect(hi < 2n ** 128n && lo < 2n ** 128n).toBe(true);
      expect(joinWord(hi, lo)).toBe(word);
    }
    expect(splitWord(2n ** 128n + 5n)).toEqual([1n, 5n]);
    expect(() => splitWord(max + 1n)).toThrow(InvalidInputError);
    expect(() => joinWord(2n ** 128n, 0n)).toThrow(InvalidInputError);
  });
});
