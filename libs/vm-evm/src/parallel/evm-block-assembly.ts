/**
 * Main-side assembly of a block the parallel executor ran tx by tx (`evm-tx-engine.ts`): gives
 * exactly what `EvmEngine.runBlock` gives for the same txs over the same committed state, or
 * says that serial execution would have differed (EvmSerialExecutionRequired: run runBlock).
 */
import { createAddressFromString } from '@ethereumjs/util';
import type { TxResult } from '@mesh/executor';
import { MeshError } from '@mesh/core';
import { hexOf } from '../hex';
import type { EvmBlockInput, EvmBlockResult, EvmReceipt } from '../evm-engine';
import { joinWord, splitWord } from '../evm-state-keys';
import { EvmKeyCache, type EvmStateReader } from '../evm-state-manager';
import type { EvmTxOutput, EvmTxShared } from './evm-tx-engine';

/**
 * The parallel results cannot be assembled into what serial execution gives: a tx asked to run
 * serially (`serialOnly`), or a tx that ran would not have fitted the block's remaining gas.
 * The caller runs `EvmEngine.runBlock` instead.
 */
export class EvmSerialExecutionRequired extends MeshError {
  constructor(
    readonly txIndex: number,
    readonly reason: string,
  ) {
    super('EVM_SERIAL_REQUIRED', `tx ${txIndex}: ${reason}`, { txIndex, reason });
  }
}

export function isSerialExecutionRequired(err: unknown): err is EvmSerialExecutionRequired {
  return err instanceof EvmSerialExecutionRequired;
}

const defaultKeyCache = new EvmKeyCache(1_000);

/**
 * Assembles the block from the per-tx results, in block order (`results[i]` the final execution
 * of tx i, each against the writes of txs 0..i-1 over `committed`): receipts with the block's
 * cumulative gas, writes merged (last writer wins) with the coinbase's fees added to its
 * committed balance and every key left at its committed value dropped, the deployed code the
 * final state references, gas used, logs bloom. Equal to `runBlock`'s result (key order of maps
 * aside). Throws EvmSerialExecutionRequired when serial execution would differ. `txs[i].gasLimit`
 * is tx i's gas limit (decoded txs or DecodedEvmTx). `merged`: the results' writes already merged
 * in block order, last writer wins (the parallel run's, `ParallelResults.writes`); taken over
 * (and changed) when every tx was included, instead of merging them again (~1,200 map entries
 * for 200 ERC-20 transfers).
 */
export function assembleEvmBlock(
  block: EvmBlockInput,
  txs: readonly { gasLimit: bigint }[],
  results: readonly TxResult[],
  committed: EvmStateReader,
  keyCache: EvmKeyCache = defaultKeyCache,
  merged?: Map<bigint, bigint>,
): EvmBlockResult {
  if (txs.length !== results.length) throw new Error(`${results.length} results for ${txs.length} txs`);
  const receipts: EvmReceipt[] = [];
  // A tx not included (invalid) leaves its writes out: the merged ones serve only when there is none.
  const takeMerged = merged !== undefined && results.every((r) => (r.output as EvmTxOutput | undefined)?.invalid === undefined);
  const writes = takeMerged ? merged : new Map<bigint, bigint>();
  const bloom = new Uint8Array(256);
  const deployed = new Map<bigint, [lo: bigint, hash: string]>();
  const code = new Map<string, Uint8Array>();
  let cumulative = 0n;
  let fees = 0n;

  for (let i = 0; i < results.length; i++) {
    const result = results[i];
    if (result.serialOnly !== undefined) throw new EvmSerialExecutionRequired(i, result.serialOnly);
    const out = result.output as EvmTxOutput;
    // The engine checked the gas limit against the whole block: check it against what is left.
    const remaining = block.gasLimit - cumulative;
    if (out.invalid !== 'sender' && txs[i].gasLimit > remaining) {
      if (out.invalid === undefined)
        throw new EvmSerialExecutionRequired(i, `gas limit ${txs[i].gasLimit} exceeds the block's remaining gas ${remaining}`);
      // Not included either way (no state change): only the reason differs.
      receipts.push({
        ...out.receipt,
        cumulativeGasUsed: String(cumulative),
        error: `gas limit ${txs[i].gasLimit} exceeds the block's remaining gas ${remaining}`,
      });
      continue;
    }
    if (!takeMerged) for (const [key, value] of result.writes) writes.set(key, value);
    if (out.invalid !== undefined) {
      receipts.push({ ...out.receipt, cumulativeGasUsed: String(cumulative) });
      continue;
    }
    cumulative += out.gasUsed;
    fees += out.fee;
    receipts.push({ ...out.receipt, cumulativeGasUsed: String(cumulative) });
    const bits = out.bloomBits;
    if (bits !== undefined) for (let j = 0; j < bits.length; j += 2) bloom[bits[j]] |= bits[j + 1];
    if (out.deployments) for (const [hi, lo, hash] of out.deployments) deployed.set(hi, [lo, hash]);
    const shared = result.shared as EvmTxShared | undefined;
    if (shared) for (const [hash, bytes] of shared.code) code.set(hash, bytes);
  }

  // The coinbase: no tx touched it during execution (else serialOnly), so its balance is the
  // committed one plus the fees.
  if (fees !== 0n) {
    const coinbase = createAddressFromString(block.coinbase);
    const keys = keyCache.account(coinbase.toString().slice(2), coinbase.bytes);
    const [hi, lo] = splitWord(joinWord(committed.get(keys.balanceHi), committed.get(keys.balanceLo)) + fees);
    writes.set(keys.balanceHi, hi);
    writes.set(keys.balanceLo, lo);
  }

  // Net writes against committed state, as runBlock's diff gives them.
  for (const [key, value] of writes) if (committed.get(key) === value) writes.delete(key);

  // Deployed code the final state references: accounts whose final code hash is set and differs from the committed one.
  const newCode = new Map<string, Uint8Array>();
  for (const [hiKey, [loKey]] of deployed) {
    const hi = writes.get(hiKey) ?? committed.get(hiKey);
    const lo = writes.get(loKey) ?? committed.get(loKey);
    if ((hi === 0n && lo === 0n) || (!writes.has(hiKey) && !writes.has(loKey))) continue;
    const hash = '0x' + joinWord(hi, lo).toString(16).padStart(64, '0');
    const bytes = code.get(hash);
    if (bytes === undefined) throw new Error(`code ${hash} of a deployment is missing from the results' shared code`);
    newCode.set(hash, bytes);
  }

  return { receipts, writes, newCode, gasUsed: cumulative, logsBloom: hexOf(bloom) };
}
