/**
 * Random txs for differential tests: a seeded PRNG and a generator of mostly valid txs over a
 * small world (test keys, fresh addresses, the Token and Playground contracts deployed so far):
 * transfers, deployments, token calls, Playground calls (storage set / clear with both halves,
 * logs, reverts, panics, OOG, CREATE / CREATE2, same-tx SELFDESTRUCT, nested calls that revert,
 * value transfers, transient storage, access lists) and deliberately invalid txs (nonce too high /
 * too low, unaffordable value, fee below the base fee, gas below intrinsic).
 */
import type { TypedTransaction } from '@ethereumjs/tx';
import { bytesToHex } from '@ethereumjs/util';
import { getCreateAddress, Interface } from 'ethers';
import { EvmEngine, INITIAL_BASE_FEE, type EvmBlockInput, type EvmReceipt } from '../src/evm-engine';
import { signTx, type TestKey, type TxParams } from './harness';
import { compileFixtures } from './solidity';

export const CHAIN_ID = 31337n;
const ETH = 10n ** 18n;

let ifaces: { fixtures: ReturnType<typeof compileFixtures>; tokenIface: Interface; playIface: Interface } | undefined;

function contracts() {
  if (!ifaces) {
    const fixtures = compileFixtures();
    ifaces = {
      fixtures,
      tokenIface: new Interface(fixtures.Token.abi as never),
      playIface: new Interface(fixtures.Playground.abi as never),
    };
  }
  return ifaces;
}

/** What the next block's base fee follows from: its parent's gas used, gas limit and base fee. */
export type ParentGas = { gasUsed: bigint; gasLimit: bigint; baseFeePerGas: bigint };

/** Block `number` of a random sequence: 2 s apart, 30M gas, the base fee following `parent` (the initial one without). */
export function randomBlockInput(number: number, parent: ParentGas | undefined, coinbase: string): EvmBlockInput {
  return {
    number: BigInt(number),
    timestamp: 1_700_000_000n + BigInt(number) * 2n,
    baseFeePerGas: parent ? EvmEngine.nextBaseFee(parent) : INITIAL_BASE_FEE,
    gasLimit: 30_000_000n,
    coinbase,
    parentHash: '0x' + '00'.repeat(32),
  };
}

/** mulberry32: a small seeded PRNG so that a failing seed replays exactly. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)], chance: (p: number) => next() < p };
}

export interface World {
  keys: TestKey[];
  fresh: string[];
  nonces: Map<string, bigint>;
  tokens: string[];
  playgrounds: string[];
  /**
   * When set, a deployment's address (CREATE from sender and nonce) is known at once, so later
   * txs of the same block may call it; `learn` keeps it only if the deployment succeeded.
   * Off by default (it changes the random sequence).
   */
  sameBlockCalls?: boolean;
  predicted?: Set<string>;
}

/** One random tx (mostly valid; some deliberately invalid), built from what the world knows. */
export function randomTx(rnd: ReturnType<typeof prng>, w: World, chainId: bigint = CHAIN_ID): TypedTransaction {
  const { fixtures, tokenIface, playIface } = contracts();
  const key = rnd.pick(w.keys);
  const expected = w.nonces.get(key.address)!;
  let nonce = expected;
  if (rnd.chance(0.04))
    nonce = expected + 1n; // too high
  else if (rnd.chance(0.04) && expected > 0n) nonce = expected - 1n; // too low
  if (nonce === expected) w.nonces.set(key.address, expected + 1n); // optimistic; resynchronised after each block
  const type = rnd.pick([0, 1, 2, 2] as const);
  const anyAccount = () => rnd.pick([...w.keys.map((k) => k.address), ...w.fresh, ...w.tokens, ...w.playgrounds]);
  const p: Omit<TxParams, 'chainId'> = { type, nonce, gasLimit: 300_000n };
  if (type !== 2) p.gasPrice = rnd.pick([INITIAL_BASE_FEE * 2n, INITIAL_BASE_FEE * 3n]);
  else {
    p.maxFeePerGas = rnd.pick([INITIAL_BASE_FEE * 2n, INITIAL_BASE_FEE * 5n]);
    p.maxPriorityFeePerGas = rnd.pick([0n, 1n, 1_000_000_000n]);
    if (rnd.chance(0.03)) p.maxFeePerGas = p.maxPriorityFeePerGas = 1n; // under the base fee
  }
  const roll = rnd.next();
  if (roll < 0.2 || (w.tokens.length === 0 && w.playgrounds.length === 0 && roll < 0.5)) {
    p.to = anyAccount();
    p.value = rnd.chance(0.1) ? 0n : BigInt(rnd.int(1_000_000)) * 10n ** 9n;
    if (rnd.chance(0.03)) p.value = 10_000n * ETH; // unaffordable
    p.gasLimit = w.tokens.includes(p.to) ? 100_000n : rnd.pick([21_000n, 60_000n]);
  } else if (roll < 0.3 || (w.tokens.length === 0 && w.playgrounds.length === 0)) {
    p.gasLimit = 3_000_000n;
    if (rnd.chance(0.5)) p.data = fixtures.Token.bytecode + tokenIface.encodeDeploy(['T', 'T', BigInt(rnd.int(10_000))]).slice(2);
    else {
      p.data = fixtures.Playground.bytecode;
      p.value = rnd.chance(0.3) ? 5n : 0n; // constructor not payable: reverts when value > 0
    }
    if (rnd.chance(0.1)) p.gasLimit = rnd.pick([120_000n, 200_000n]); // below intrinsic gas / out of gas during deployment
    if (w.sameBlockCalls && nonce === expected) {
      const address = getCreateAddress({ from: key.address, nonce }).toLowerCase();
      (p.data!.startsWith(fixtures.Token.bytecode) ? w.tokens : w.playgrounds).push(address);
      (w.predicted ??= new Set()).add(address);
    }
  } else if (w.tokens.length > 0 && (w.playgrounds.length === 0 || rnd.chance(0.45))) {
    p.to = rnd.pick(w.tokens);
    const amount = BigInt(rnd.int(3_000));
    const method = rnd.pick(['transfer', 'transfer', 'approve', 'transferFrom'] as const);
    if (method === 'transfer') p.data = tokenIface.encodeFunctionData('transfer', [anyAccount(), amount]);
    else if (method === 'approve') p.data = tokenIface.encodeFunctionData('approve', [rnd.pick(w.keys).address, amount]);
    else p.data = tokenIface.encodeFunctionData('transferFrom', [rnd.pick(w.keys).address, anyAccount(), amount]);
    if (rnd.chance(0.07)) p.gasLimit = 30_000n;
  } else {
    p.to = rnd.pick(w.playgrounds);
    const k = BigInt(rnd.int(6));
    const big = rnd.chance(0.5) ? (BigInt(rnd.int(1_000_000)) << 128n) + BigInt(rnd.int(1000)) : BigInt(rnd.int(3));
    const pick = rnd.int(13);
    if (pick <= 1) p.data = playIface.encodeFunctionData('store', [k, big]);
    else if (pick === 2) p.data = playIface.encodeFunctionData('clear', [k]);
    else if (pick === 3) {
      p.data = playIface.encodeFunctionData('bump');
      p.value = BigInt(rnd.int(3));
    } else if (pick === 4) p.data = playIface.encodeFunctionData('fail', [rnd.pick(['nope', 'insufficient balance', ''])]);
    else if (pick === 5) p.data = playIface.encodeFunctionData('divide', [7n, BigInt(rnd.int(2))]);
    else if (pick === 6) {
      p.data = playIface.encodeFunctionData('burn', [BigInt(rnd.int(12))]);
      p.gasLimit = rnd.pick([150_000n, 400_000n]);
    } else if (pick === 7) p.data = playIface.encodeFunctionData('spawn', [BigInt(rnd.int(3))]);
    else if (pick === 8) {
      p.data = playIface.encodeFunctionData('spawnAndKill');
      p.value = BigInt(rnd.int(2)) * 7n;
    } else if (pick === 9) p.data = playIface.encodeFunctionData('tryStoreAndFail', [k]);
    else if (pick === 10 && w.tokens.length > 0)
      p.data = playIface.encodeFunctionData('callOther', [
        rnd.pick(w.tokens),
        tokenIface.encodeFunctionData('transfer', [anyAccount(), 1n]),
      ]);
    else if (pick === 11) {
      p.data = playIface.encodeFunctionData('pay', [rnd.pick([...w.keys.map((x) => x.address), ...w.fresh])]);
      p.value = BigInt(rnd.int(1000));
    } else p.data = playIface.encodeFunctionData('transientSum', [BigInt(rnd.int(100))]);
    if (type === 1 && rnd.chance(0.5)) p.accessList = [{ address: p.to, storageKeys: ['0x' + '00'.repeat(31) + '01'] }];
  }
  return signTx(key, { chainId, ...p });
}

/** What the generator learns from a block: the keys' nonces (`nonceOf`, committed state after the block) and the contracts deployed. */
export function learn(
  w: World,
  txs: readonly TypedTransaction[],
  receipts: readonly EvmReceipt[],
  nonceOf: (address: string) => bigint,
): void {
  const { fixtures } = contracts();
  for (const k of w.keys) w.nonces.set(k.address, nonceOf(k.address));
  if (w.predicted !== undefined) {
    const predicted = w.predicted;
    w.tokens = w.tokens.filter((a) => !predicted.has(a));
    w.playgrounds = w.playgrounds.filter((a) => !predicted.has(a));
    predicted.clear();
  }
  receipts.forEach((r, i) => {
    if (r.status === 'success' && r.contractAddress) {
      const data = bytesToHex(txs[i].data);
      (data.startsWith(fixtures.Token.bytecode) ? w.tokens : w.playgrounds).push(r.contractAddress);
    }
  });
}
