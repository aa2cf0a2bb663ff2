/**
 * Differential test: random sequences of transfers, deployments and contract calls run through
 * the engine (blocks over a map state, writes applied between blocks) and through a plain
 * `createVM` (@ethereumjs's MerkleStateManager, runTx per tx, same block headers). Receipts
 * (status, gas, logs, bloom, contract address, invalid-or-not) and the final state (every
 * account's nonce, balance, code; every storage slot the reference EVM ever wrote) must be equal,
 * and the engine's state must hold no key beyond those.
 */
import { createBlock } from '@ethereumjs/block';
import type { TypedTransaction } from '@ethereumjs/tx';
import { Account, Address, KECCAK256_NULL, bigIntToBytes, bytesToHex, createAddressFromString, setLengthLeft } from '@ethereumjs/util';
import { createVM, runTx, type RunTxResult, type VM } from '@ethereumjs/vm';
import { keccak256 } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { MapCode, MapState, testKey } from '../test-fixtures/harness';
import { learn, prng, randomBlockInput, randomTx, type ParentGas, type World } from '../test-fixtures/random-txs';
import { compileFixtures } from '../test-fixtures/solidity';
import { EvmEngine, spnCommon, type EvmBlockInput, type EvmReceipt } from './evm-engine';
import { genesisWrites } from './genesis';

const CHAIN_ID = 31337n;
const COINBASE = '0x' + 'cb'.repeat(20);
const ETH = 10n ** 18n;

beforeAll(() => {
  compileFixtures();
});

interface Reference {
  vm: VM;
  created: Set<string>;
  written: Map<string, Set<bigint>>;
}

async function reference(hardfork: string, alloc: Record<string, bigint>): Promise<Reference> {
  const vm = await createVM({ common: spnCommon(CHAIN_ID, hardfork) });
  for (const [address, balance] of Object.entries(alloc))
    await vm.stateManager.putAccount(createAddressFromString(address), new Account(0n, balance));
  const created = new Set<string>();
  const written = new Map<string, Set<bigint>>();
  vm.evm.events!.on('newContract', (e: { address: Address }) => created.add(e.address.toString()));
  vm.evm.events!.on('step', (step: { opcode: { name: string }; stack: bigint[]; address: Address }) => {
    if (step.opcode.name !== 'SSTORE') return;
    const address = step.address.toString();
    if (!written.has(address)) written.set(address, new Set());
    written.get(address)!.add(step.stack[step.stack.length - 1]);
  });
  return { vm, created, written };
}

type Outcome = { invalid: true; error: string } | { invalid: false; result: RunTxResult };

async function runReference(ref: Reference, input: EvmBlockInput, txs: readonly TypedTransaction[]): Promise<Outcome[]> {
  const block = createBlock(
    {
      header: {
        number: input.number,
        timestamp: input.timestamp,
        baseFeePerGas: input.baseFeePerGas,
        gasLimit: input.gasLimit,
        coinbase: createAddressFromString(input.coinbase),
      },
    },
    { common: ref.vm.common, skipConsensusFormatValidation: true },
  );
  const out: Outcome[] = [];
  for (const tx of txs) {
    try {
      out.push({ invalid: false, result: await runTx(ref.vm, { tx, block, skipBlockGasLimitValidation: true }) });
    } catch (err) {
      out.push({ invalid: true, error: (err as Error).message });
    }
  }
  return out;
}

function compareReceipt(ours: EvmReceipt, theirs: Outcome, where: string): void {
  if (theirs.invalid) {
    expect(ours.gasUsed, `${where}: reference refused the tx (${theirs.error.slice(0, 120)})`).toBe('0');
    expect(ours.error, where).toBeDefined();
    expect(ours.status, where).toBe('reverted');
    return;
  }
  const r = theirs.result;
  expect(ours.error === 'out of gas' || ours.error === 'revert' || ours.status === 'success' || ours.error !== undefined, where).toBe(true);
  expect(ours.status, `${where}: ${ours.error}`).toBe(r.execResult.exceptionError ? 'reverted' : 'success');
  expect(ours.error, where).toBe(r.execResult.exceptionError?.error);
  expect(ours.gasUsed, where).toBe(String(r.totalGasSpent));
  expect(ours.logsBloom, where).toBe(bytesToHex(r.bloom.bitvector));
  expect(ours.logs, where).toEqual(
    (r.execResult.logs ?? []).map(([a, t, d]) => ({ address: bytesToHex(a), topics: t.map((x) => bytesToHex(x)), data: bytesToHex(d) })),
  );
  if (r.createdAddress && !r.execResult.exceptionError) expect(ours.contractAddress, where).toBe(r.createdAddress.toString());
}

async function differential(seed: number, hardfork: string, blocks: number): Promise<{ txs: number; statuses: Record<string, number> }> {
  const rnd = prng(seed);
  const keys = Array.from({ length: 5 }, (_, i) => testKey(100 + i));
  const fresh = Array.from({ length: 3 }, (_, i) => '0x' + (0xf00 + i).toString(16).padStart(40, '0'));
  const alloc = Object.fromEntries(keys.map((k) => [k.address, 1_000n * ETH]));

  const engine = await EvmEngine.create({ chainId: CHAIN_ID, hardfork });
  const state = new MapState();
  const code = new MapCode();
  const g = genesisWrites(Object.fromEntries(Object.entries(alloc).map(([a, balance]) => [a, { balance }])));
  state.apply(g.writes);
  const ref = await reference(hardfork, alloc);

  const w: World = { keys, fresh, nonces: new Map(keys.map((k) => [k.address, 0n])), tokens: [], playgrounds: [] };
  let parent: ParentGas | undefined;
  let txCount = 0;
  const statuses: Record<string, number> = {};
  for (let b = 1; b <= blocks; b++) {
    const input = randomBlockInput(b, parent, COINBASE);
    const txs = Array.from({ length: 1 + rnd.int(8) }, () => randomTx(rnd, w));
    // Through decodeRawTx as the SPN does; what it refuses (gas below intrinsic) still goes to runBlock, which must refuse it too.
    const decoded = txs.map((t) => {
      try {
        return engine.decodeRawTx(t.serialize()).tx;
      } catch {
        return t;
      }
    });
    const ours = await engine.runBlock(input, decoded, state, code);
    const theirs = await runReference(ref, input, txs);
    ours.receipts.forEach((r, i) => compareReceipt(r, theirs[i], `seed ${seed} block ${b} tx ${i} (${txs[i].to ? 'call' : 'create'})`));
    state.apply(ours.writes);
    code.add(ours.newCode);
    parent = { gasUsed: ours.gasUsed, gasLimit: input.gasLimit, baseFeePerGas: input.baseFeePerGas };
    learn(w, txs, ours.receipts, (a) => engine.getNonce(a, state));
    for (const r of ours.receipts) {
      txCount++;
      const label = r.gasUsed === '0' ? 'invalid' : r.status === 'success' ? 'success' : r.error!;
      statuses[label] = (statuses[label] ?? 0) + 1;
    }
  }

  // Final state: every account both sides know of, every slot the reference EVM ever wrote.
  const sm = ref.vm.stateManager;
  const addresses = new Set([...keys.map((k) => k.address), ...fresh, COINBASE, ...ref.created, ...ref.written.keys()]);
  let expectedKeys = 0;
  const nonZero = (...xs: bigint[]) => xs.filter((x) => x !== 0n).length;
  for (const address of addresses) {
    const acct = await sm.getAccount(createAddressFromString(address));
    const nonce = acct?.nonce ?? 0n;
    const balance = acct?.balance ?? 0n;
    expect(engine.getNonce(address, state), `nonce of ${address}`).toBe(nonce);
    expect(engine.getBalance(address, state), `balance of ${address}`).toBe(balance);
    const theirCode = acct ? await sm.getCode(createAddressFromString(address)) : new Uint8Array();
    const ourCode = await engine.getCode(address, state, code);
    expect(bytesToHex(ourCode), `code of ${address}`).toBe(bytesToHex(theirCode));
    const codeHash = acct && bytesToHex(acct.codeHash) !== bytesToHex(KECCAK256_NULL) ? BigInt(keccak256(theirCode)) : 0n;
    expectedKeys += nonZero(nonce, balance >> 128n, balance & ((1n << 128n) - 1n), codeHash >> 128n, codeHash & ((1n << 128n) - 1n));
    for (const slot of ref.written.get(address) ?? []) {
      const raw = acct ? await sm.getStorage(createAddressFromString(address), setLengthLeft(bigIntToBytes(slot), 32)) : new Uint8Array();
      const value = raw.length === 0 ? 0n : BigInt(bytesToHex(raw));
      expect(engine.getStorageAt(address, slot, state), `slot ${slot} of ${address}`).toBe(value);
      expectedKeys += nonZero(value >> 128n, value & ((1n << 128n) - 1n));
    }
  }
  if (process.env.DIFF_DEBUG)
    console.log(
      seed,
      statuses,
      'addresses',
      addresses.size,
      'created',
      ref.created.size,
      'slots',
      [...ref.written.values()].reduce((n, s) => n + s.size, 0),
      'keys',
      expectedKeys,
      'tokens',
      w.tokens.length,
      'plays',
      w.playgrounds.length,
    );
  expect(state.values.size, 'the engine state holds exactly the keys of the reference state').toBe(expectedKeys);
  return { txs: txCount, statuses };
}

describe('EvmEngine vs a plain @ethereumjs/vm (differential)', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`agrees on receipts and final state, seed ${seed}`, async () => {
      const { txs, statuses } = await differential(seed, 'bpo2', 30);
      expect(txs).toBeGreaterThan(60);
      // The sequences really exercise success, reverts, out of gas and invalid txs.
      expect(statuses.success).toBeGreaterThan(20);
      expect((statuses.revert ?? 0) + (statuses['out of gas'] ?? 0)).toBeGreaterThan(3);
      expect(statuses.invalid).toBeGreaterThan(0);
    });
  }

  it('agrees under an older hardfork too (cancun)', async () => {
    await differential(7, 'cancun', 20);
  });
});
