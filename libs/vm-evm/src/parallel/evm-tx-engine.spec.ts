/**
 * The parallel path (EvmTxEngine per tx + assembleEvmBlock) against `EvmEngine.runBlock`.
 *
 * The property the parallel executor relies on: given each tx's result from a view that is the
 * committed state plus the writes of the txs before it (what Block-STM converges to; here a
 * plain sequential view), assembly either gives exactly runBlock's result (receipts, key order
 * included; writes; newCode; gasUsed; logsBloom) or says that serial execution is needed, and it
 * says so only for the documented reasons (a tx touched the fee recipient; a tx that ran would
 * not have fitted the block's remaining gas).
 */
import { deserialize, serialize } from 'node:v8';
import { createEOACode7702Tx, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import { bytesToHex, eoaCode7702SignAuthorization } from '@ethereumjs/util';
import { Interface } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { DependencyAbort, type EngineHost, type TxResult, type TxStateView } from '@mesh/executor';
import { MapCode, MapState, signTx, testKey, type TestKey } from '../../test-fixtures/harness';
import { CHAIN_ID, learn, prng, randomTx, type World } from '../../test-fixtures/random-txs';
import { compileFixtures } from '../../test-fixtures/solidity';
import { DEFAULT_HARDFORK, EvmEngine, INITIAL_BASE_FEE, spnCommon, type EvmBlockInput, type EvmBlockResult } from '../evm-engine';
import { accountKeys } from '../evm-state-keys';
import { genesisWrites, type GenesisAccount } from '../genesis';
import { assembleEvmBlock, EvmSerialExecutionRequired, isSerialExecutionRequired } from './evm-block-assembly';
import {
  createTxEngine,
  EVM_CODE_REQUEST,
  evmTxPayload,
  rebuildTx,
  SERIAL_COINBASE,
  txOutputCodec,
  type EvmTxEngine,
  type EvmTxOutput,
  type EvmTxPayload,
} from './evm-tx-engine';

const COINBASE = '0x' + 'cb'.repeat(20);
const ETH = 10n ** 18n;

beforeAll(() => {
  compileFixtures();
});

/** The committed state plus the writes of earlier txs of the block: the view Block-STM converges to. */
function sequentialView(state: MapState, overlay: ReadonlyMap<bigint, bigint>): TxStateView {
  return {
    get(key) {
      const v = overlay.get(key);
      return v === undefined ? state.get(key) : v;
    },
  };
}

/** A view that throws DependencyAbort at its `at`-th read (counting from 0). */
function abortingView(inner: TxStateView, at: number, abort: DependencyAbort): TxStateView & { reads: number } {
  const view = {
    reads: 0,
    get(key: bigint) {
      if (view.reads++ === at) throw abort;
      return inner.get(key);
    },
  };
  return view;
}

/** Several engines as the pool's workers would hold them; the host answers code requests from committed code. */
class Workers {
  codeRequests = 0;
  private constructor(readonly engines: EvmTxEngine[]) {}

  static async create(n: number, code: MapCode, hardfork?: string): Promise<Workers> {
    const workers: Workers = new Workers([]);
    const host: EngineHost = {
      request: async (kind, arg) => {
        expect(kind).toBe(EVM_CODE_REQUEST);
        workers.codeRequests++;
        return code.get(arg as string);
      },
    };
    for (let i = 0; i < n; i++) workers.engines.push((await createTxEngine({ chainId: CHAIN_ID, hardfork }, host)) as EvmTxEngine);
    return workers;
  }

  /**
   * Runs the block's txs in order, tx i on engine i % n, each against committed state plus the
   * writes of the txs before it; shared data goes to every engine. Results pass through
   * structuredClone, as they would between threads. With `abortRate`, a tx first runs against a
   * view that throws DependencyAbort at a random read: the execution must reject with exactly
   * that error, and the engine must run the next execution exactly.
   */
  async run(
    block: EvmBlockInput,
    payloads: EvmTxPayload[],
    state: MapState,
    opts: { abortRate?: number; rnd?: ReturnType<typeof prng>; stats?: Record<string, number> } = {},
  ): Promise<TxResult[]> {
    // As the executor sends a block (serialised once for all workers).
    const cloned = deserialize(serialize({ block, payloads })) as { block: EvmBlockInput; payloads: EvmTxPayload[] };
    await Promise.all(this.engines.map((e) => e.beginBlock(cloned.block, cloned.payloads)));
    const overlay = new Map<bigint, bigint>();
    const results: TxResult[] = [];
    for (let i = 0; i < payloads.length; i++) {
      const engine = this.engines[i % this.engines.length];
      const view = sequentialView(state, overlay);
      if (opts.abortRate && opts.rnd!.chance(opts.abortRate)) {
        const abort = new DependencyAbort(i - 1);
        const aborting = abortingView(view, opts.rnd!.int(24), abort);
        try {
          await engine.executeTx(i, aborting);
          count(opts.stats, 'abort not reached');
        } catch (err) {
          expect(err).toBe(abort);
          count(opts.stats, 'aborted');
        }
      }
      const result = structuredClone(await engine.executeTx(i, view));
      for (const [k, v] of result.writes) overlay.set(k, v);
      if (result.shared !== undefined) for (const e of this.engines) e.receive(result.shared);
      results.push(result);
    }
    return results;
  }
}

function count(stats: Record<string, number> | undefined, label: string, n = 1): void {
  if (stats) stats[label] = (stats[label] ?? 0) + n;
}

const bigintJson = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));

/** Assembly equals runBlock in everything runBlock returns (receipts also in key order). */
function expectSameBlock(ours: EvmBlockResult, serial: EvmBlockResult, where: string): void {
  expect(ours.receipts, where).toEqual(serial.receipts);
  expect(bigintJson(ours.receipts), where).toBe(bigintJson(serial.receipts));
  expect(ours.writes, where).toEqual(serial.writes);
  expect(ours.newCode, where).toEqual(serial.newCode);
  expect(ours.gasUsed, where).toBe(serial.gasUsed);
  expect(ours.logsBloom, where).toBe(serial.logsBloom);
}

interface RandomOptions {
  hardfork?: string;
  blocks: number;
  /** Block gas limits to pick from (default 30M): small ones make later txs exceed the remaining gas. */
  gasLimits?: bigint[];
  /** The coinbase is one of the addresses txs send to / pay (so some txs touch it), and changes between blocks (the engines keep their VM). */
  coinbaseInWorld?: boolean;
  abortRate?: number;
  /** New workers for every block (as after a restart): committed code then comes from the host. */
  newWorkers?: boolean;
}

/** Random blocks (the differential spec's generator) through both paths; returns what happened. */
async function parallelDifferential(seed: number, o: RandomOptions): Promise<Record<string, number>> {
  const rnd = prng(seed);
  const keys = Array.from({ length: 5 }, (_, i) => testKey(100 + i));
  const fresh = Array.from({ length: 3 }, (_, i) => '0x' + (0xf00 + i).toString(16).padStart(40, '0'));
  const coinbases = [COINBASE];
  if (o.coinbaseInWorld) coinbases.push((fresh[0] = COINBASE), fresh[1]);
  const engine = await EvmEngine.create({ chainId: CHAIN_ID, hardfork: o.hardfork });
  const state = new MapState();
  const code = new MapCode();
  state.apply(genesisWrites(Object.fromEntries(keys.map((k) => [k.address, { balance: 1_000n * ETH }]))).writes);
  let workers = await Workers.create(2, code, o.hardfork);
  let codeRequests = 0;
  const w: World = { keys, fresh, nonces: new Map(keys.map((k) => [k.address, 0n])), tokens: [], playgrounds: [], sameBlockCalls: true };
  const stats: Record<string, number> = {};
  let parent: { gasUsed: bigint; gasLimit: bigint; baseFeePerGas: bigint } | undefined;

  for (let b = 1; b <= o.blocks; b++) {
    const input: EvmBlockInput = {
      number: BigInt(b),
      timestamp: 1_700_000_000n + BigInt(b) * 2n,
      baseFeePerGas: parent ? EvmEngine.nextBaseFee(parent) : INITIAL_BASE_FEE,
      gasLimit: o.gasLimits ? rnd.pick(o.gasLimits) : 30_000_000n,
      coinbase: o.coinbaseInWorld ? rnd.pick(coinbases) : COINBASE,
      parentHash: '0x' + '00'.repeat(32),
    };
    const coinbase = input.coinbase;
    const signed = Array.from({ length: 1 + rnd.int(8) }, () => randomTx(rnd, w));
    // As the SPN does: through decodeRawTx (which recovers the sender); what it refuses still runs (and must be refused in both paths).
    const txs = signed.map((t) => {
      try {
        return engine.decodeRawTx(t.serialize()).tx;
      } catch {
        return t;
      }
    });
    const payloads = txs.map((t) => evmTxPayload(t));
    count(stats, 'with sender key', payloads.filter((p) => p.senderPublicKey !== undefined).length);

    if (o.newWorkers && b > 1) {
      codeRequests += workers.codeRequests;
      workers = await Workers.create(2, code, o.hardfork);
    }
    const results = await workers.run(input, payloads, state, { abortRate: o.abortRate, rnd, stats });
    // The workers' outputs come back through the engine's output codec exactly as they were (logs, blooms, deployments, refusals).
    const outputs = results.map((r) => r.output);
    expect(txOutputCodec.decode(structuredClone(txOutputCodec.encode(outputs)))).toStrictEqual(outputs);
    const serial = await engine.runBlock(input, txs, state, code);
    const where = `seed ${seed} block ${b}`;

    let ours: EvmBlockResult | undefined;
    try {
      ours = assembleEvmBlock(input, txs, results, state);
    } catch (err) {
      if (!isSerialExecutionRequired(err)) throw err;
      const i = err.txIndex;
      if (err.reason === SERIAL_COINBASE) {
        // Only a tx that names the coinbase (as recipient, or in its calldata) can touch it.
        const mentions = txs[i].to?.toString() === coinbase || bytesToHex(txs[i].data).includes(coinbase.slice(2));
        expect(mentions, `${where} tx ${i}: serialOnly without touching the coinbase`).toBe(true);
        count(stats, 'serial: coinbase');
      } else {
        // Serial execution refused the tx for gas, the parallel one ran it.
        expect(serial.receipts[i].error, `${where} tx ${i}`).toMatch(/exceeds the block's remaining gas/);
        expect((results[i].output as EvmTxOutput).invalid, `${where} tx ${i}`).toBeUndefined();
        count(stats, 'serial: gas');
      }
    }
    if (ours !== undefined) {
      expectSameBlock(ours, serial, where);
      count(stats, 'assembled');
      // The same from the writes merged beforehand, as the split pass hands them over (block order, last writer wins).
      const merged = new Map<bigint, bigint>();
      for (const r of results) for (const [k, v] of r.writes) merged.set(k, v);
      expectSameBlock(assembleEvmBlock(input, txs, results, state, undefined, merged), serial, `${where} (merged writes)`);
      // No tx of an assembled block wrote the coinbase's account: only fee deltas did.
      for (const r of results) expect(r.serialOnly, where).toBeUndefined();
    }
    // Every valid tx to the coinbase was caught (value to it touches its account).
    txs.forEach((t, i) => {
      if (t.to?.toString() === coinbase && (results[i].output as EvmTxOutput).invalid === undefined)
        expect(results[i].serialOnly, `${where} tx ${i}`).toBe(SERIAL_COINBASE);
    });

    for (const r of serial.receipts) {
      const label =
        r.gasUsed === '0' ? (/remaining gas/.test(r.error!) ? 'invalid: gas' : 'invalid') : r.status === 'success' ? 'success' : r.error!;
      count(stats, label);
      if (r.status === 'success' && r.contractAddress) count(stats, 'deployed');
    }
    // A contract deployed in this block and called by a later tx of it on the other engine (code through `receive`).
    const born = new Map<string, number>();
    serial.receipts.forEach((r, i) => {
      if (r.status === 'success' && r.contractAddress) born.set(r.contractAddress, i);
      const to = txs[i].to?.toString();
      if (to !== undefined && born.has(to) && (i - born.get(to)!) % 2 === 1 && r.gasUsed !== '0') count(stats, 'calls same-block contract');
    });

    state.apply(serial.writes);
    code.add(serial.newCode);
    parent = { gasUsed: serial.gasUsed, gasLimit: input.gasLimit, baseFeePerGas: input.baseFeePerGas };
    learn(w, signed, serial.receipts, (a) => engine.getNonce(a, state));
  }
  count(stats, 'code requests', codeRequests + workers.codeRequests);
  if (process.env.DIFF_DEBUG) console.log(seed, stats);
  return stats;
}

describe('parallel EVM path (EvmTxEngine + assembleEvmBlock) vs runBlock', () => {
  // The core property over the differential spec's random blocks: transfers, deployments,
  // calls, reverts, panics, OOG, CREATE / CREATE2, same-tx SELFDESTRUCT, transient storage,
  // access lists, invalid txs; contracts deployed in a block and called later in it.
  for (const seed of [11, 12, 13]) {
    it(`assembles exactly what runBlock gives, seed ${seed}`, async () => {
      const s = await parallelDifferential(seed, { blocks: 25 });
      expect(s.assembled).toBe(25); // nothing here touches the coinbase and gas never runs short
      expect(s.success).toBeGreaterThan(20);
      expect((s.revert ?? 0) + (s['out of gas'] ?? 0)).toBeGreaterThan(3);
      expect(s.invalid).toBeGreaterThan(0);
      expect(s.deployed).toBeGreaterThan(2);
      expect(s['with sender key']).toBeGreaterThan(50); // the worker used the ingress-recovered keys
    });
  }

  // Deployments and calls across blocks make the workers fetch committed code through the host,
  // and contracts deployed and called in the same block exercise code sharing through `receive`
  // (tx i runs on engine i % 2). Over a few seeds both must happen.
  it('fetches committed code through the host and shares new code between engines', async () => {
    const totals: Record<string, number> = {};
    for (const seed of [21, 22, 23, 24]) {
      const s = await parallelDifferential(seed, { blocks: 15, newWorkers: true });
      for (const [k, v] of Object.entries(s)) totals[k] = (totals[k] ?? 0) + v;
    }
    expect(totals['code requests']).toBeGreaterThan(0);
    expect(totals['calls same-block contract']).toBeGreaterThan(0);
    expect(totals.assembled).toBe(60);
  });

  // Small block gas limits: the engine checks a tx's gas limit against the whole block (it
  // cannot know the gas of earlier txs); assembly must rewrite the reason of txs refused either
  // way ("remaining gas" of the real block) and ask for serial execution when a tx ran that
  // serial execution would have refused.
  it('checks the block gas at assembly: same receipts when refused either way, serial when not', async () => {
    const s = await parallelDifferential(31, { blocks: 40, gasLimits: [700_000n, 3_200_000n, 30_000_000n] });
    expect(s['invalid: gas']).toBeGreaterThan(3);
    expect(s['serial: gas']).toBeGreaterThan(0);
    expect(s.assembled).toBeGreaterThan(10);
  });

  // The coinbase among the addresses txs pay / send to: those txs (and only txs naming it) are
  // serialOnly; blocks without them assemble exactly. A token transfer to the coinbase address
  // does not touch its account and must not force serial execution.
  it('makes txs touching the coinbase serialOnly, and only those', async () => {
    const s = await parallelDifferential(41, { blocks: 30, coinbaseInWorld: true });
    expect(s['serial: coinbase']).toBeGreaterThan(0);
    expect(s.assembled).toBeGreaterThan(5);
  });

  // Block-STM aborts executions midway: a DependencyAbort from the view must reject executeTx
  // (never become a receipt), and the engine (its VM is reused across txs) must run the next
  // execution exactly, whatever state the abandoned one left (journal, transient storage).
  it('propagates DependencyAbort from any read and runs exactly afterwards', async () => {
    const s = await parallelDifferential(51, { blocks: 20, abortRate: 0.7 });
    expect(s.aborted).toBeGreaterThan(20);
    expect(s.assembled).toBe(20);
  });

  it('agrees under an older hardfork too (cancun)', async () => {
    const s = await parallelDifferential(61, { blocks: 15, hardfork: 'cancun' });
    expect(s.assembled).toBe(15);
  });
});

describe('EvmTxEngine', () => {
  const alice = testKey(1);
  const bob = testKey(2);
  // Runtime code: BALANCE(COINBASE) into slot 0 (reads the coinbase's account).
  const READS_COINBASE = '0x' + '56'.repeat(20);
  const readsCoinbaseCode = '0x4131600055' + '00';
  // Runtime code: the COINBASE address itself into slot 0 (no access to its account).
  const NAMES_COINBASE = '0x' + '57'.repeat(20);
  const namesCoinbaseCode = '0x41600055' + '00';

  async function setup(alloc: Record<string, GenesisAccount> = {}, coinbase = COINBASE) {
    const engine = await EvmEngine.create({ chainId: CHAIN_ID });
    const state = new MapState();
    const code = new MapCode();
    const g = genesisWrites({
      [alice.address]: { balance: 100n * ETH },
      [bob.address]: { balance: 100n * ETH },
      [READS_COINBASE]: { balance: 0n, code: readsCoinbaseCode },
      [NAMES_COINBASE]: { balance: 0n, code: namesCoinbaseCode },
      ...alloc,
    });
    state.apply(g.writes);
    code.add(g.code);
    const workers = await Workers.create(1, code);
    const block: EvmBlockInput = {
      number: 1n,
      timestamp: 1_700_000_000n,
      baseFeePerGas: INITIAL_BASE_FEE,
      gasLimit: 30_000_000n,
      coinbase,
      parentHash: '0x' + '00'.repeat(32),
    };
    return { engine, state, code, workers, block };
  }

  const tx = (key: TestKey, nonce: bigint, to: string, extra: { value?: bigint; data?: string; tip?: bigint } = {}): TypedTransaction =>
    signTx(key, {
      chainId: CHAIN_ID,
      nonce,
      to,
      value: extra.value ?? 0n,
      data: extra.data,
      gasLimit: 100_000n,
      maxFeePerGas: 3n * INITIAL_BASE_FEE,
      maxPriorityFeePerGas: extra.tip ?? 1_000_000_000n,
    });

  // Fee recipient scheme: value sent to the coinbase, BALANCE of the coinbase, or the coinbase
  // as sender all access its account during execution, so those txs cannot run alongside
  // others; naming it (COINBASE opcode) does not. The fee itself is a delta, not a write.
  it('sets serialOnly for txs that touch the coinbase during execution, not for the fee', async () => {
    const { workers, state, block } = await setup();
    const txs = [
      tx(alice, 0n, bob.address, { value: 1n }), // pays a fee only
      tx(alice, 1n, COINBASE, { value: 1n }), // value to the coinbase
      tx(bob, 0n, READS_COINBASE), // BALANCE(coinbase)
      tx(bob, 1n, NAMES_COINBASE), // COINBASE opcode only
    ];
    const results = await workers.run(
      block,
      txs.map((t) => evmTxPayload(t)),
      state,
    );
    expect(results.map((r) => r.serialOnly)).toEqual([undefined, SERIAL_COINBASE, SERIAL_COINBASE, undefined]);
    const coinbaseKeys = Object.values(accountKeys(COINBASE));
    const out = results[0].output as EvmTxOutput;
    expect(out.fee).toBe(out.gasUsed * 1_000_000_000n);
    for (const k of coinbaseKeys) expect(results[0].writes.has(k)).toBe(false);
    expect(() => assembleEvmBlock(block, txs, results, state)).toThrow(EvmSerialExecutionRequired);
    expect(() => assembleEvmBlock(block, txs, results, state)).toThrow(/tx 1: tx touches the fee recipient/);
  });

  it('sets serialOnly when the coinbase is the sender', async () => {
    const { workers, state, block } = await setup({}, alice.address);
    const results = await workers.run(block, [evmTxPayload(tx(alice, 0n, bob.address, { value: 1n }))], state);
    expect(results[0].serialOnly).toBe(SERIAL_COINBASE);
  });

  // Fees of many txs add up on the coinbase's committed balance (split over its hi / lo keys);
  // a coinbase that is empty and earns nothing (zero tips) is deleted by EIP-161 cleanup in the
  // fee phase, which must leave no write, as in runBlock.
  for (const [name, balance, tip] of [
    ['funded coinbase, tips', 5n * ETH + (1n << 128n), 1_000_000_000n],
    ['empty coinbase, tips', 0n, 7n],
    ['empty coinbase, zero tips', 0n, 0n],
  ] as const) {
    it(`assembles the coinbase balance from fee deltas (${name})`, async () => {
      const { engine, workers, state, code, block } = await setup(balance > 0n ? { [COINBASE]: { balance } } : {});
      const txs = [
        tx(alice, 0n, bob.address, { value: 5n, tip }),
        tx(bob, 0n, alice.address, { value: 7n, tip }),
        tx(alice, 1n, NAMES_COINBASE, { tip }),
      ];
      const results = await workers.run(
        block,
        txs.map((t) => evmTxPayload(t)),
        state,
      );
      const serial = await engine.runBlock(block, txs, state, code);
      expectSameBlock(assembleEvmBlock(block, txs, results, state), serial, name);
      if (tip === 0n) for (const k of Object.values(accountKeys(COINBASE))) expect(serial.writes.has(k)).toBe(false);
    });
  }

  // The view throws: executeTx rejects with that very error (Block-STM re-runs the tx later);
  // it never becomes a failed receipt.
  it('rejects with the DependencyAbort of the view', async () => {
    const { workers, state, block } = await setup();
    const [engine] = workers.engines;
    await engine.beginBlock(block, [evmTxPayload(tx(alice, 0n, bob.address, { value: 1n }))]);
    const abort = new DependencyAbort(3);
    for (const at of [0, 3, 7]) {
      await expect(engine.executeTx(0, abortingView(sequentialView(state, new Map()), at, abort))).rejects.toBe(abort);
    }
    const ok = await engine.executeTx(0, sequentialView(state, new Map()));
    expect((ok.output as EvmTxOutput).receipt.status).toBe('success');
  });

  // The engine reuses one VM for the block's txs. An execution abandoned at any read (inside
  // nested calls, after a TSTORE, inside a CREATE, in a call that reverts) must leave nothing
  // the next execution sees: each is compared with a fresh engine's execution of the same tx.
  it('runs exactly after a DependencyAbort at every read of a tx', async () => {
    const { engine, state, code, block, workers } = await setup();
    const { Playground, Token } = compileFixtures();
    const tokenIface = new Interface(Token.abi as never);
    const playIface = new Interface(Playground.abi as never);
    const deploy = (nonce: bigint, data: string) => signTx(alice, { chainId: CHAIN_ID, nonce, data, gasLimit: 3_000_000n });
    const setupBlock = await engine.runBlock(
      block,
      [deploy(0n, Playground.bytecode), deploy(1n, Token.bytecode + tokenIface.encodeDeploy(['T', 'T', 1000n]).slice(2))],
      state,
      code,
    );
    state.apply(setupBlock.writes);
    code.add(setupBlock.newCode);
    const [play, token] = setupBlock.receipts.map((r) => r.contractAddress!);
    const call = (key: TestKey, nonce: bigint, to: string, data: string, value = 0n) =>
      signTx(key, { chainId: CHAIN_ID, nonce, to, data, value, gasLimit: 400_000n, maxFeePerGas: 3n * INITIAL_BASE_FEE });
    const txs = [
      call(bob, 0n, play, playIface.encodeFunctionData('transientSum', [5n])),
      call(alice, 2n, token, tokenIface.encodeFunctionData('transfer', [bob.address, 10n])),
      call(bob, 1n, play, playIface.encodeFunctionData('spawnAndKill'), 7n),
      call(alice, 3n, play, playIface.encodeFunctionData('tryStoreAndFail', [3n])),
      call(bob, 2n, play, playIface.encodeFunctionData('transientSum', [6n])),
      call(alice, 4n, play, playIface.encodeFunctionData('spawn', [1n])),
    ];
    const block2 = { ...block, number: 2n };
    const payloads = txs.map((t) => evmTxPayload(t));
    const [tested] = workers.engines;
    await tested.beginBlock(block2, payloads);
    const overlay = new Map<bigint, bigint>();
    let aborts = 0;
    for (let i = 0; i < txs.length; i++) {
      const view = sequentialView(state, overlay);
      const fresh = (await Workers.create(1, code)).engines[0];
      await fresh.beginBlock(block2, payloads);
      const expected = await fresh.executeTx(i, view);
      expect((expected.output as EvmTxOutput).invalid).toBeUndefined();
      const counting = abortingView(view, -1, new DependencyAbort(0));
      await fresh.executeTx(i, counting);
      for (let at = 0; at < counting.reads; at++) {
        const abort = new DependencyAbort(i);
        await expect(tested.executeTx(i, abortingView(view, at, abort))).rejects.toBe(abort);
        expect(await tested.executeTx(i, view), `tx ${i} after an abort at read ${at}`).toEqual(expected);
        aborts++;
      }
      for (const [k, v] of expected.writes) overlay.set(k, v);
    }
    expect(aborts).toBeGreaterThan(50);
  });

  // Ingress recovered the sender (and hashed the tx) already; the worker must use those, not
  // recover again (~1 ms) or re-serialize and hash. Same results with and without them; and a
  // (deliberately) wrong key / hash is trusted, which shows the worker did not compute its own.
  it('uses senderPublicKey and hash instead of recovering and hashing', async () => {
    const { workers, state, block, engine } = await setup();
    const txs = [tx(alice, 0n, bob.address, { value: 3n }), tx(bob, 0n, alice.address, { value: 4n })];
    const decoded = txs.map((t) => engine.decodeRawTx(t.serialize()));
    const withKey = decoded.map((d) => evmTxPayload(d.tx));
    expect(withKey.every((p) => p.senderPublicKey?.length === 64)).toBe(true);
    expect(withKey.map((p) => bytesToHex(p.hash!))).toEqual(decoded.map((d) => d.hash));
    const withoutKey = txs.map((t) => ({ raw: t.serialize() }));
    const a = await workers.run(block, withKey, state);
    const b = await workers.run(block, withoutKey, state);
    expect(a).toEqual(b);
    expect((a[0].output as EvmTxOutput).receipt.from).toBe(alice.address);
    expect((a[0].output as EvmTxOutput).receipt.txHash).toBe(decoded[0].hash);

    for (const lying of [
      { fields: withKey[0].fields, senderPublicKey: withKey[1].senderPublicKey, hash: withKey[1].hash },
      { raw: txs[0].serialize(), senderPublicKey: withKey[1].senderPublicKey, hash: withKey[1].hash },
    ]) {
      const [lied] = await workers.run(block, [lying], state);
      expect((lied.output as EvmTxOutput).receipt.from).toBe(bob.address);
      expect((lied.output as EvmTxOutput).receipt.txHash).toBe(decoded[1].hash);
    }
  });

  // evmTxPayload never recovers a sender or hashes on the main thread: without cached values it sends none.
  it('evmTxPayload sends the tx fields and only an already recovered key / computed hash', () => {
    const t = tx(alice, 0n, bob.address);
    const p = evmTxPayload(t);
    expect(p.fields?.type).toBe(2);
    expect(p.raw).toBeUndefined();
    expect(p.senderPublicKey).toBeUndefined();
    expect(p.hash).toBeUndefined();
    const engineTx = { tx: t, hash: '', from: '', nonce: 0n, gasLimit: 0n, maxFeePerGas: 0n, type: 2 };
    expect(evmTxPayload(engineTx).fields).toEqual(p.fields);
  });

  // A worker rebuilds the tx from its fields (no decoding, no validation): it must be the tx that
  // decoding the raw bytes gives, for every tx type the SPN takes, a contract creation included.
  it('rebuildTx gives the tx createTxFromRLP decodes (types 1, 2 and 4; legacy txs go as raw bytes): same class, fields (in order), hash, sender, serialisation', () => {
    const common = spnCommon(CHAIN_ID, DEFAULT_HARDFORK);
    const signed = [
      signTx(alice, { nonce: 0n, to: bob.address, value: 5n, type: 0, chainId: CHAIN_ID }),
      signTx(alice, {
        nonce: 1n,
        to: bob.address,
        data: '0xabcdef',
        type: 1,
        chainId: CHAIN_ID,
        accessList: [{ address: bob.address, storageKeys: ['0x' + '01'.repeat(32)] }],
      }),
      signTx(bob, { nonce: 0n, to: undefined, data: '0x6001600055', type: 2, chainId: CHAIN_ID }),
      tx(alice, 2n, bob.address, { value: 1n }),
      createEOACode7702Tx(
        {
          nonce: 3n,
          to: bob.address as `0x${string}`,
          gasLimit: 100_000n,
          maxFeePerGas: 10n ** 9n,
          maxPriorityFeePerGas: 1n,
          authorizationList: [
            eoaCode7702SignAuthorization({ chainId: '0x1', address: bob.address as `0x${string}`, nonce: '0x4' }, alice.privateKey),
          ],
        },
        { common },
      ).sign(alice.privateKey),
    ];
    expect(evmTxPayload(signed[0]).fields).toBeUndefined(); // legacy: as raw bytes
    for (const t of signed.slice(1)) {
      const decoded = createTxFromRLP(t.serialize(), { common, freeze: false });
      const payload = deserialize(serialize(evmTxPayload(decoded))) as EvmTxPayload;
      const rebuilt = rebuildTx(payload.fields!, common);
      expect(Object.getPrototypeOf(rebuilt)).toBe(Object.getPrototypeOf(decoded));
      expect(Object.keys(rebuilt)).toEqual(Object.keys(decoded));
      for (const key of Object.keys(decoded).filter((k) => !['common', 'txOptions', 'cache'].includes(k)))
        expect(bigintJson((rebuilt as never)[key]), `${t.type}: ${key}`).toBe(bigintJson((decoded as never)[key]));
      expect(bytesToHex(rebuilt.hash())).toBe(bytesToHex(t.hash()));
      expect(rebuilt.getSenderAddress().toString()).toBe(t.getSenderAddress().toString());
      expect(bytesToHex(rebuilt.serialize())).toBe(bytesToHex(t.serialize()));
      expect(rebuilt.common.hardfork()).toBe(decoded.common.hardfork());
    }
  });

  // Committed code the worker lacks comes from the host once, then from its cache.
  it('asks the host for committed code once', async () => {
    const { workers, state, block } = await setup();
    const txs = [tx(alice, 0n, NAMES_COINBASE), tx(alice, 1n, NAMES_COINBASE), tx(bob, 0n, NAMES_COINBASE)];
    await workers.run(
      block,
      txs.map((t) => evmTxPayload(t)),
      state,
    );
    expect(workers.codeRequests).toBe(1);
  });

  // Block-level failures of the tx set are host errors, not receipts.
  it('throws for code the host does not have and for txs that do not decode', async () => {
    const { workers, state, block } = await setup();
    const [engine] = workers.engines;
    await engine.beginBlock(block, [{ raw: new Uint8Array([0x02, 0xc0]) }]);
    await expect(engine.executeTx(0, sequentialView(state, new Map()))).rejects.toThrow(/does not decode/);
    const empty = new MapCode();
    const bare = await Workers.create(1, empty);
    await bare.engines[0].beginBlock(block, [evmTxPayload(tx(alice, 0n, NAMES_COINBASE))]);
    await expect(bare.engines[0].executeTx(0, sequentialView(state, new Map()))).rejects.toThrow(/missing from the code store/);
  });
});
