/**
 * The keys an EIP-2930 access list declares, for the parallel executor's dependency scheduling
 * (`@mesh/executor` DeclaredKeys). A declaration only orders the block's execution: a tx that
 * touches more than it declared is caught by validation and runs again, so a wrong or partial
 * access list costs time, never correctness.
 */
import { bigIntToBytes, generateAddress, type Address } from '@ethereumjs/util';
import type { TypedTransaction } from '@ethereumjs/tx';
import type { DeclaredKeys } from '@mesh/executor';
import { EvmKeyCache } from '../evm-state-manager';
import { hexDigits } from '../hex';

type AccessListBytes = [address: Uint8Array, slots: Uint8Array[]][];

const sharedKeys = new EvmKeyCache(20_000);

/**
 * A tx's declared keys, or undefined when it has no access list (legacy txs, or an empty list):
 * such a tx takes the optimistic path. What an access-list tx declares:
 * - writes: its sender's nonce and balance (the nonce moves, gas is paid); the balance of `to` when
 *   it sends value; every storage slot in the list (the list does not tell reads from writes, so
 *   each listed slot counts as written: a later reader of it waits); for a contract creation, the
 *   new account's nonce, code hash and balance;
 * - reads: the sender's code hash (EIP-3607), `to`'s account fields, and the account fields of
 *   every listed address.
 * The block's fee recipient is not declared: fees reach it as a delta after the block.
 */
export function evmDeclaredKeys(tx: TypedTransaction, keys: EvmKeyCache = sharedKeys): DeclaredKeys | undefined {
  const list = (tx as { accessList?: AccessListBytes }).accessList;
  if (list === undefined || list.length === 0) return undefined;
  const sender: Address = tx.getSenderAddress();
  const account = (address: Uint8Array) => keys.account(hexDigits(address), address);
  const reads: bigint[] = [];
  const writes: bigint[] = [];
  const from = account(sender.bytes);
  writes.push(from.nonce, from.balanceHi, from.balanceLo);
  reads.push(from.codeHashHi, from.codeHashLo);
  const target = tx.to?.bytes ?? generateAddress(sender.bytes, bigIntToBytes(tx.nonce));
  const to = account(target);
  if (tx.to === undefined) writes.push(to.nonce, to.codeHashHi, to.codeHashLo, to.balanceHi, to.balanceLo);
  else {
    if (tx.value > 0n) writes.push(to.balanceHi, to.balanceLo);
    else reads.push(to.balanceHi, to.balanceLo);
    reads.push(to.nonce, to.codeHashHi, to.codeHashLo);
  }
  for (const [address, slots] of list) {
    const a = account(address);
    if (a !== to && a !== from) reads.push(a.nonce, a.balanceHi, a.balanceLo, a.codeHashHi, a.codeHashLo); // (cached: same object for the same address)
    const hex = hexDigits(address);
    for (const slot of slots) {
      const s = keys.storage(`${hex}:${hexDigits(slot)}`, address, slot);
      writes.push(s.hi, s.lo);
    }
  }
  return { reads, writes };
}
