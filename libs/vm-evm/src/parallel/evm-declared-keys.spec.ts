import { describe, expect, it } from 'vitest';
import { getCreateAddress } from 'ethers';
import { signTx, testKey } from '../../test-fixtures/harness';
import { accountKeys, storageKeys } from '../evm-state-keys';
import { evmDeclaredKeys } from './evm-declared-keys';

const CHAIN_ID = 1337n;
const sender = testKey(7);
const target = '0x' + '42'.repeat(20);
const other = '0x' + '43'.repeat(20);
const slot = (n: number) => '0x' + n.toString(16).padStart(64, '0');

describe('evmDeclaredKeys (EIP-2930 access list -> declared tree keys)', () => {
  it('no access list (legacy tx, or an empty list): nothing declared, the optimistic path', () => {
    expect(evmDeclaredKeys(signTx(sender, { type: 0, chainId: CHAIN_ID, nonce: 0n, to: target }))).toBeUndefined();
    expect(evmDeclaredKeys(signTx(sender, { type: 2, chainId: CHAIN_ID, nonce: 0n, to: target, accessList: [] }))).toBeUndefined();
  });

  it('a call: the sender nonce and balance and every listed slot as writes; the accounts it reads as reads', () => {
    const tx = signTx(sender, {
      type: 1,
      chainId: CHAIN_ID,
      nonce: 3n,
      to: target,
      accessList: [
        { address: target, storageKeys: [slot(1), slot(2)] },
        { address: other, storageKeys: [] },
      ],
    });
    const from = accountKeys(sender.address);
    const to = accountKeys(target);
    const listed = accountKeys(other);
    const declared = evmDeclaredKeys(tx)!;
    expect(new Set(declared.writes)).toEqual(
      new Set([from.nonce, from.balanceHi, from.balanceLo, ...[1, 2].flatMap((n) => Object.values(storageKeys(target, BigInt(n))))]),
    );
    // No value sent: `to`'s balance is only read.
    expect(new Set(declared.reads)).toEqual(new Set([from.codeHashHi, from.codeHashLo, ...Object.values(to), ...Object.values(listed)]));
  });

  it('value sent: the recipient balance is a write; a creation writes the new account', () => {
    const pay = evmDeclaredKeys(
      signTx(sender, { chainId: CHAIN_ID, nonce: 0n, to: target, value: 5n, accessList: [{ address: other, storageKeys: [] }] }),
    )!;
    expect(pay.writes).toEqual(expect.arrayContaining([accountKeys(target).balanceHi, accountKeys(target).balanceLo]));
    const create = evmDeclaredKeys(
      signTx(sender, { chainId: CHAIN_ID, nonce: 4n, data: '0x00', accessList: [{ address: other, storageKeys: [slot(9)] }] }),
    )!;
    const created = accountKeys(getCreateAddress({ from: sender.address, nonce: 4 }));
    expect(create.writes).toEqual(expect.arrayContaining([created.nonce, created.codeHashHi, created.codeHashLo]));
  });
});
