import { Account, Address, createAddressFromString, KECCAK256_NULL, bytesToHex } from '@ethereumjs/util';
import { keccak256 } from 'ethers';
import { describe, expect, it } from 'vitest';
import { MapCode, MapState } from '../test-fixtures/harness';
import { accountKeys, storageKeys } from './evm-state-keys';
import { EvmHostError, SpnStateManager } from './evm-state-manager';
import { genesisWrites } from './genesis';

const A = createAddressFromString('0x' + 'aa'.repeat(20));
const B = createAddressFromString('0x' + 'bb'.repeat(20));
const slot = (n: number) => {
  const s = new Uint8Array(32);
  s[31] = n;
  return s;
};
const word = (n: bigint) => {
  const hex = n.toString(16);
  return Uint8Array.from(Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex'));
};

function setup() {
  const state = new MapState();
  const code = new MapCode();
  const g = genesisWrites({ [A.toString()]: { balance: 100n, nonce: 2n, code: '0x6001', storage: { '0x01': '0x05' } } });
  state.apply(g.writes);
  code.add(g.code);
  return { state, code, sm: new SpnStateManager(state, code) };
}

describe('SpnStateManager', () => {
  it('reads committed accounts, storage and code through the key mapping', async () => {
    const { sm } = setup();
    const a = (await sm.getAccount(A))!;
    expect([a.nonce, a.balance, bytesToHex(a.codeHash)]).toEqual([2n, 100n, keccak256('0x6001')]);
    expect(bytesToHex(await sm.getCode(A))).toBe('0x6001');
    expect(await sm.getCodeSize(A)).toBe(2);
    expect(bytesToHex(await sm.getStorage(A, slot(1)))).toBe('0x05');
    expect(await sm.getStorage(A, slot(2))).toHaveLength(0);
    expect(await sm.getAccount(B)).toBeUndefined();
    expect(await sm.getCode(B)).toHaveLength(0);
  });

  it('journals nested checkpoints: revert restores, commit keeps, and the outer revert undoes committed inner writes', async () => {
    const { sm } = setup();
    await sm.checkpoint();
    await sm.putStorage(A, slot(1), word(6n));
    await sm.checkpoint();
    await sm.putStorage(A, slot(1), word(7n));
    await sm.putAccount(B, new Account(0n, 9n));
    await sm.revert();
    expect(bytesToHex(await sm.getStorage(A, slot(1)))).toBe('0x06');
    expect(await sm.getAccount(B)).toBeUndefined();
    await sm.checkpoint();
    await sm.modifyAccountFields(A, { balance: 50n });
    await sm.commit();
    expect((await sm.getAccount(A))!.balance).toBe(50n);
    await sm.revert();
    expect((await sm.getAccount(A))!.balance).toBe(100n);
    expect(bytesToHex(await sm.getStorage(A, slot(1)))).toBe('0x05');
    expect(sm.diff().writes.size).toBe(0);
  });

  it('gives only the net changes as tree writes, 0 for what became absent', async () => {
    const { sm } = setup();
    await sm.putStorage(A, slot(1), word(5n)); // same value: no write
    await sm.putStorage(A, slot(2), word((1n << 130n) + 1n)); // both halves
    await sm.putAccount(B, new Account(1n, 3n));
    await sm.putStorage(A, slot(3), word(1n));
    await sm.putStorage(A, slot(3), new Uint8Array()); // set and cleared again: no write
    await sm.putCode(B, Uint8Array.from([0x60, 0x02]));
    const { writes, newCode } = sm.diff();
    const b = accountKeys(B.toString());
    const s2 = storageKeys(A.toString(), 2n);
    const hash = BigInt(keccak256('0x6002'));
    expect(writes).toEqual(
      new Map([
        [b.nonce, 1n],
        [b.balanceLo, 3n],
        [b.codeHashHi, hash >> 128n],
        [b.codeHashLo, hash & ((1n << 128n) - 1n)],
        [s2.hi, 4n],
        [s2.lo, 1n],
      ]),
    );
    expect([...newCode.keys()]).toEqual([keccak256('0x6002')]);

    const { sm: sm2 } = setup();
    await sm2.deleteAccount(A);
    const a = accountKeys(A.toString());
    expect(sm2.diff().writes).toEqual(
      new Map([
        [a.nonce, 0n],
        [a.balanceLo, 0n],
        [a.codeHashHi, 0n],
        [a.codeHashLo, 0n],
      ]),
    );
  });

  it('clearStorage zeroes the slots this block loaded or wrote, and cannot reach the others (documented limitation)', async () => {
    const { sm } = setup();
    await sm.putStorage(A, slot(7), word(1n));
    await sm.clearStorage(A);
    expect(await sm.getStorage(A, slot(7))).toHaveLength(0);
    // slot 1 was committed and never touched in this block: the tree cannot be enumerated.
    expect(bytesToHex(await sm.getStorage(A, slot(1)))).toBe('0x05');
    const { sm: touched } = setup();
    await touched.getStorage(A, slot(1));
    await touched.clearStorage(A);
    expect(await touched.getStorage(A, slot(1))).toHaveLength(0);
    expect(touched.diff().writes.get(storageKeys(A.toString(), 1n).lo)).toBe(0n);
  });

  it('keeps the original value of a slot for the tx (SSTORE gas), fails loudly on missing code, and has no state root', async () => {
    const { state, sm } = setup();
    await sm.putStorage(A, slot(1), word(9n));
    expect(bytesToHex(await sm.originalStorageCache.get(A, slot(1)))).toBe('0x09');
    await sm.putStorage(A, slot(1), word(10n));
    expect(bytesToHex(await sm.originalStorageCache.get(A, slot(1)))).toBe('0x09');
    sm.originalStorageCache.clear();
    expect(bytesToHex(await sm.originalStorageCache.get(A, slot(1)))).toBe('0x0a');

    const orphan = new SpnStateManager(state, new MapCode());
    await expect(orphan.getCode(A)).rejects.toThrow(EvmHostError);
    expect(await sm.getStateRoot()).toHaveLength(32);
    await expect(sm.setStateRoot()).rejects.toThrow(/state tree/);
    expect(await (sm.shallowCopy() as SpnStateManager).getStorage(A, slot(1))).toEqual(word(5n));
    expect(KECCAK256_NULL).toHaveLength(32);
    expect(A).toBeInstanceOf(Address);
  });
});
