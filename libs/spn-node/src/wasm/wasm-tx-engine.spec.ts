import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DependencyAbort, isDependencyAbort, type TxEngine, type TxResult, type TxStateView } from '@mesh/executor';
import { buildPlugin } from '@mesh/sdk-as';
import { WasmRuntime } from '@mesh/vm-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlockContext, BlockExecution, MempoolTx } from '../executor';
import { StateCache } from '../state-cache';
import { PluginRegistry } from './plugin-registry';
import { decodePluginValue, pluginStateKey } from './plugin-state-keys';
import { decodeWasmTx, SerialWasmExecutor, type WasmReceipt } from './wasm-executor';
import {
  assembleWasmBlock,
  createTxEngine,
  SERIAL_ONLY_DEPLOYMENT,
  txOutputCodec,
  txPayloadCodec,
  WASM_PLUGIN_REQUEST,
  wasmHostHandler,
  wasmPluginCode,
  wasmTxPayload,
  wasmTxPayloadOf,
  type WasmPluginCode,
  type WasmTxEngineOptions,
} from './wasm-tx-engine';

// The Wasm TxEngine must give, tx by tx, exactly what SerialWasmExecutor gives for the block:
// the parallel executor only ever reorders *when* txs run, never *what* they compute. These
// tests run the engine in-process, one tx after another over a sequential view (committed
// state + earlier txs' writes), which is what Block-STM converges to, and compare with the
// serial executor on the same block, using the real example plugins (token, counter).

const SPN = 'spn-engine-test';
const OWNER = '0x' + 'a0'.repeat(20);
const EXAMPLES = resolve(__dirname, '../../../sdk-as/examples');
const address = (i: number) => '0x' + (i + 1).toString(16).padStart(40, '0');

let tokenCode: Uint8Array;
let counterCode: Uint8Array;

/** The example plugins as `npm run plugins:build` leaves them (built here if missing). */
async function pluginCode(name: 'token' | 'counter'): Promise<Uint8Array> {
  const dir = join(EXAMPLES, name);
  const file = join(dir, 'build', 'plugin.wasm');
  return new Uint8Array(readFileSync(existsSync(file) ? file : (await buildPlugin(dir)).wasmPath));
}

beforeAll(async () => {
  tokenCode = await pluginCode('token');
  counterCode = await pluginCode('counter');
}, 180_000);

let txSeq = 0;
function callTx(sender: string, plugin: string, method: string, args: string[], gasLimit = 1_000_000n): MempoolTx {
  const hash = '0x' + (++txSeq).toString(16).padStart(64, '0');
  return {
    hash,
    kind: 'call',
    sender,
    nonce: BigInt(txSeq),
    body: { call: { plugin, method, args, gasLimit: String(gasLimit) } },
    code: null,
  };
}
function deployTx(sender: string, name: string, code: Uint8Array): MempoolTx {
  const hash = '0x' + (++txSeq).toString(16).padStart(64, '0');
  return { hash, kind: 'deploy', sender, nonce: BigInt(txSeq), body: { deploy: { name, gasLimit: '1000000' } }, code };
}

/** A node's side: runtime, registry, serial executor and committed state, all in memory. */
class Chain {
  readonly runtime = new WasmRuntime();
  readonly registry = new PluginRegistry(this.runtime, SPN);
  readonly serial = new SerialWasmExecutor(this.runtime, this.registry);
  readonly state = new StateCache();
  private number = 0n;
  /** Host requests the engines made, by plugin name. */
  readonly requests: string[] = [];

  nextBlock(): BlockContext {
    this.number += 1n;
    return {
      number: this.number,
      timeMs: 1_700_000_000_000n + this.number * 997n,
      parent: { number: this.number - 1n, hash: '0x', timeMs: 0n, vmHeader: null },
    };
  }

  /** Runs a block serially and commits it (writes into the state cache, deployed plugins into the registry). */
  async commit(txs: MempoolTx[], block = this.nextBlock()): Promise<BlockExecution> {
    const r = await this.serial.execute(block, txs, this.state);
    this.state.apply(r.writes);
    r.afterCommit?.();
    return r;
  }

  /** A worker-side engine: options and every host answer cross a structured clone, as between threads. */
  async engine(options: Partial<WasmTxEngineOptions> = {}): Promise<TxEngine> {
    const handler = wasmHostHandler(this.registry);
    const host = {
      request: async (kind: string, arg: unknown) => {
        if (kind === WASM_PLUGIN_REQUEST) this.requests.push(String(arg));
        return structuredClone(await handler(kind, arg));
      },
    };
    return createTxEngine(structuredClone({ spnId: SPN, ...options }), host);
  }
}

/** Committed state plus the writes of the block's earlier txs; records the keys each tx reads. */
class SequentialView implements TxStateView {
  readonly overlay = new Map<bigint, bigint>();
  reads: bigint[] = [];
  constructor(private readonly state: StateCache) {}
  get(key: bigint): bigint {
    this.reads.push(key);
    const v = this.overlay.get(key);
    return v !== undefined ? v : this.state.get(key);
  }
}

/** Runs a block through an engine tx by tx (results cloned as a worker would post them), then assembles it. */
async function runEngine(
  engine: TxEngine,
  block: BlockContext,
  txs: MempoolTx[],
  state: StateCache,
  input: 'payloads' | 'rows' = 'payloads',
): Promise<{ results: TxResult[]; reads: bigint[][] }> {
  // The engine takes payloads (as the workers get them) or the mempool rows themselves (as the coordinator's engine does).
  const blockTxs = input === 'rows' ? txs : txs.map(decodeWasmTx);
  await engine.beginBlock(structuredClone({ number: block.number, timeMs: block.timeMs }), structuredClone(blockTxs));
  const view = new SequentialView(state);
  const results: TxResult[] = [];
  const reads: bigint[][] = [];
  for (let i = 0; i < txs.length; i++) {
    view.reads = [];
    const r = structuredClone(await engine.executeTx(i, view));
    for (const [k, v] of r.writes) view.overlay.set(k, v);
    results.push(r);
    reads.push(view.reads);
  }
  return { results, reads };
}

function expectSameBlock(engine: BlockExecution, serial: BlockExecution): void {
  expect(engine.receipts).toEqual(serial.receipts);
  expect(JSON.stringify(engine.receipts)).toBe(JSON.stringify(serial.receipts)); // same fields in the same order (stored as JSON)
  expect([...engine.writes]).toEqual([...serial.writes]); // same keys, values and insertion order
  expect(engine.gasUsed).toBe(serial.gasUsed);
}

/** mulberry32: reproducible blocks. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const balanceOf = (state: StateCache, who: string): bigint => {
  const v = decodePluginValue(state.get(pluginStateKey('token', Buffer.from(`bal:${who}`))));
  return v ? Buffer.from(v).readBigUInt64BE() : 0n;
};

describe('Wasm TxEngine', () => {
  it('gives, block after block, the receipts, writes and gas of SerialWasmExecutor (random blocks)', async () => {
    // Why: this is the engine's whole contract. The mix covers every receipt shape the serial
    // executor produces (success with events and return data, reverts by the plugin, unknown
    // plugin / method caught before the runtime, out of gas below the base cost and mid-call,
    // traps, out of memory), deletions (a balance drained to 0 writes tree value 0), self
    // transfers, and both contention patterns (few accounts: most txs touch the same keys; many
    // accounts: mostly disjoint). State carries over between blocks, so later blocks read what
    // earlier ones wrote. A second engine with a 2-entry key cache checks that cache eviction
    // changes nothing.
    const chain = new Chain();
    await chain.commit([deployTx(OWNER, 'token', tokenCode), deployTx(OWNER, 'counter', counterCode)]);
    const few = [0, 1, 2].map(address);
    const many = Array.from({ length: 150 }, (_, i) => address(100 + i));
    await chain.commit([...few, ...many.slice(0, 100)].map((a) => callTx(OWNER, 'token', 'mint', [a, '1000'])));

    const engine = await chain.engine();
    const tinyCache = await chain.engine({ keyCacheSize: 2 });
    const random = rng(20240611);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const int = (n: number) => Math.floor(random() * n);

    const statuses = new Map<string, number>();
    let txCount = 0;
    let deletes = 0;
    const BLOCKS = 120;
    for (let b = 0; b < BLOCKS; b++) {
      const accounts = b % 3 === 0 ? few : b % 3 === 1 ? many : [...few, ...many.slice(0, 10)];
      const size = b % 17 === 5 ? 0 : 1 + int(60);
      const txs: MempoolTx[] = [];
      for (let t = 0; t < size; t++) {
        const from = pick(accounts);
        const to = random() < 0.05 ? from : pick(accounts);
        const r = random();
        if (r < 0.35) txs.push(callTx(from, 'token', 'transfer', [to, String(1 + int(random() < 0.8 ? 50 : 5_000))]));
        else if (r < 0.42)
          txs.push(callTx(from, 'token', 'transfer', [to, String(balanceOf(chain.state, from))])); // drains: deletes the key
        else if (r < 0.5) txs.push(callTx(OWNER, 'token', 'mint', [to, String(1 + int(1_000_000))]));
        else if (r < 0.53)
          txs.push(callTx(from, 'token', 'mint', [to, '5'])); // not the owner: reverts
        else if (r < 0.57)
          txs.push(callTx(from, 'token', 'balanceOf', [to])); // return data
        else if (r < 0.65) txs.push(callTx(from, 'counter', 'increment', []));
        else if (r < 0.69) txs.push(callTx(from, 'counter', 'add', [String(int(1000))]));
        else if (r < 0.7)
          txs.push(callTx(from, 'counter', 'add', ['18446744073709551615'])); // overflow revert
        else if (r < 0.72) txs.push(callTx(from, 'counter', 'get', []));
        else if (r < 0.75)
          txs.push(callTx(from, pick(['nope', 'Token', '']), 'transfer', [to, '1'])); // unknown plugin
        else if (r < 0.78)
          txs.push(callTx(from, pick(['token', 'counter']), pick(['burn', 'init', '_start', 'memory']), [])); // no such method
        else if (r < 0.83)
          txs.push(callTx(from, 'token', 'transfer', [to, '1'], BigInt(int(45_000)))); // out of gas (below base cost or mid-call)
        else if (r < 0.85)
          txs.push(callTx(from, 'counter', 'spin', [], 60_000n)); // endless loop: out of gas
        else if (r < 0.87)
          txs.push(callTx(from, 'counter', pick(['fail', 'crash']), [])); // traps
        else if (r < 0.875)
          txs.push(callTx(from, 'counter', 'grow', [], 10_000_000n)); // out of memory
        else if (r < 0.9)
          txs.push(callTx(from, 'token', 'transfer', pick([['0x1234', '5'], [to, '-5'], [to]]))); // malformed args revert
        else txs.push(callTx(from, 'token', 'transfer', [to, String(1 + int(20))]));
      }

      const block = chain.nextBlock();
      const a = await runEngine(engine, block, txs, chain.state);
      const c = await runEngine(tinyCache, block, txs, chain.state, 'rows');
      const serial = await chain.commit(txs, block);
      const assembled = assembleWasmBlock(a.results);
      expectSameBlock(assembled, serial);
      // With the writes merged already (as the split first pass hands them over), the same block.
      const merged = new Map<bigint, bigint>();
      for (const r of a.results) for (const [k, v] of r.writes) merged.set(k, v);
      expectSameBlock(assembleWasmBlock(a.results, merged), serial);
      // The workers' receipts come back through the engine's output codec (and a structured clone) exactly as they were.
      const outputs = a.results.map((r) => r.output);
      const decoded = txOutputCodec.decode(structuredClone(txOutputCodec.encode(outputs)));
      expect(decoded).toStrictEqual(outputs);
      expect(decoded.map((o) => JSON.stringify(o))).toEqual(outputs.map((o) => JSON.stringify(o))); // fields in the same order, as stored
      // The block's payloads reach the workers through the payload codec (and a structured clone) exactly as they were.
      const payloads = txs.map((tx) => wasmTxPayload(decodeWasmTx(tx)));
      const wire = (list: readonly unknown[]) => structuredClone(txPayloadCodec.encode(list));
      expect(txPayloadCodec.decode(wire(payloads))).toStrictEqual(payloads);
      expect(txPayloadCodec.decode(wire(txs))).toStrictEqual(payloads); // from the mempool rows themselves
      expect(txs.map(wasmTxPayloadOf)).toStrictEqual(payloads); // a row read as decodeWasmTx reads it
      expectSameBlock(assembleWasmBlock(c.results), serial);
      expect(c.reads).toEqual(a.reads);

      txCount += txs.length;
      for (const receipt of serial.receipts as WasmReceipt[]) {
        const kind =
          receipt.status === 'reverted'
            ? `reverted: ${String(receipt.error)
                .replace(/"[^"]*"/g, '"…"')
                .replace(/'[^']*'/g, "'…'")}`
            : receipt.status;
        statuses.set(kind, (statuses.get(kind) ?? 0) + 1);
      }
      for (const v of serial.writes.values()) if (v === 0n) deletes++;
    }

    // The mix really produced every shape it is meant to.
    if (process.env.WASM_ENGINE_SPEC_STATS) console.log(txCount, 'txs', deletes, 'deletes', Object.fromEntries(statuses));
    const seen = [...statuses.keys()];
    for (const expected of [
      'success',
      'out_of_gas',
      'trap',
      'out_of_memory',
      'reverted: insufficient balance',
      'reverted: only the owner can mint',
      'reverted: counter overflow',
    ]) {
      expect(seen).toContain(expected);
    }
    expect(seen.some((s) => s.startsWith('reverted: unknown plugin'))).toBe(true);
    expect(seen.some((s) => s.includes('has no method'))).toBe(true);
    expect(seen.some((s) => s.startsWith('reverted: invalid'))).toBe(true);
    expect(deletes).toBeGreaterThan(0);
    expect(txCount).toBeGreaterThan(2_000);
    // Deployed plugins were fetched once per engine, whatever the number of blocks; unknown names are asked again each block that calls them.
    expect(chain.requests.filter((n) => n === 'token')).toHaveLength(2);
    expect(chain.requests.filter((n) => n === 'counter')).toHaveLength(2);
  }, 300_000);

  it('reads a mempool row into its payload and wire form as decodeWasmTx reads it (declared keys, any gas limit notation)', () => {
    const row = (call: Record<string, unknown>, kind = 'call'): MempoolTx => ({
      hash: '0x01',
      kind,
      sender: '0x' + '12'.repeat(20),
      nonce: 3n,
      body: kind === 'deploy' ? { deploy: { name: 'p', gasLimit: '1' } } : { call },
      code: null,
    });
    const rows = [
      row({ plugin: 'token', method: 'transfer', args: ['0xab', 7], gasLimit: '0x10', reads: ['a'], writes: ['b'] }),
      row({ plugin: 'token', method: 'mint', args: [], gasLimit: 25 }),
      row({ plugin: 'c', method: 'm', args: ['"quoted"\n'], gasLimit: ' 9 ' }),
      row({}, 'deploy'),
    ];
    const payloads = rows.map((r) => wasmTxPayload(decodeWasmTx(r)));
    expect(rows.map(wasmTxPayloadOf)).toStrictEqual(payloads);
    expect(txPayloadCodec.decode(structuredClone(txPayloadCodec.encode(rows)))).toStrictEqual(payloads);
    expect(payloads[0]).toEqual({
      kind: 'call',
      sender: rows[0].sender,
      call: { plugin: 'token', method: 'transfer', args: ['0xab', '7'], gasLimit: 16n },
    });
  });

  it('reports a deployment serialOnly (the plugin registry is not versioned state)', async () => {
    // Why: a deployment changes what later calls of the block can run; the executor must fall
    // back to serial execution for the whole block, so the engine must never run it itself.
    const chain = new Chain();
    const engine = await chain.engine();
    const txs = [callTx(OWNER, 'token', 'mint', [address(0), '5']), deployTx(OWNER, 'token', tokenCode)];
    await engine.beginBlock(chain.nextBlock(), txs.map(decodeWasmTx));
    const view = new SequentialView(chain.state);
    const r = await engine.executeTx(1, view);
    expect(r.serialOnly).toBe(SERIAL_ONLY_DEPLOYMENT);
    expect(r.writes.size).toBe(0);
    expect(view.reads).toEqual([]);
    // And assembly refuses such a result rather than build a block without the deployment.
    const first = await engine.executeTx(0, view);
    expect(() => assembleWasmBlock([first, r])).toThrow(/tx 1 must run serially \(plugin deployment\)/);
  });

  it('lets a DependencyAbort of the view out of executeTx, at any read, and stays usable', async () => {
    // Why: Block-STM relies on it. An ESTIMATE read must abandon the execution (the runtime
    // rethrows its StorageView's exceptions as host failures), never become a failed receipt;
    // and the engine (runtime, spare memory, current call) must be clean for the next tx.
    const chain = new Chain();
    await chain.commit([deployTx(OWNER, 'token', tokenCode)]);
    await chain.commit([callTx(OWNER, 'token', 'mint', [address(0), '100'])]);
    const engine = await chain.engine();
    const txs = [callTx(address(0), 'token', 'transfer', [address(1), '40'])];
    const block = chain.nextBlock();
    await engine.beginBlock(block, txs.map(decodeWasmTx));
    for (const abortAt of [0, 1]) {
      let reads = 0;
      const view: TxStateView = {
        get: (key) => {
          if (reads++ === abortAt) throw new DependencyAbort(7);
          return chain.state.get(key);
        },
      };
      let err: unknown;
      try {
        await engine.executeTx(0, view);
      } catch (e) {
        err = e;
      }
      expect(isDependencyAbort(err)).toBe(true);
      expect(err).toBeInstanceOf(DependencyAbort);
      expect((err as DependencyAbort).blocking).toBe(7);
    }
    const again = await runEngine(engine, block, txs, chain.state);
    expectSameBlock(assembleWasmBlock(again.results), await chain.commit(txs, block));
    expect((again.results[0].output as WasmReceipt).status).toBe('success');
  });

  it('reads every key through the view, failed calls included', async () => {
    // Why: the view records the tx's read set, which Block-STM validates; a reverted call's
    // outcome depends on what it read too, so its reads must be there although it writes nothing.
    const chain = new Chain();
    await chain.commit([deployTx(OWNER, 'token', tokenCode)]);
    await chain.commit([callTx(OWNER, 'token', 'mint', [address(0), '10'])]);
    const engine = await chain.engine();
    const txs = [callTx(address(0), 'token', 'transfer', [address(1), '11']), callTx(address(0), 'token', 'transfer', [address(1), '4'])];
    const { results, reads } = await runEngine(engine, chain.nextBlock(), txs, chain.state);
    const bal = (i: number) => pluginStateKey('token', Buffer.from(`bal:${address(i)}`));
    expect((results[0].output as WasmReceipt).error).toBe('insufficient balance');
    expect(results[0].writes.size).toBe(0);
    expect(reads[0]).toEqual([bal(0)]);
    expect(reads[1]).toEqual([bal(0), bal(1)]);
    expect([...results[1].writes.keys()]).toEqual([bal(0), bal(1)]);
  });

  it('fetches a plugin deployed after the engine started, or takes it from the committed payload', async () => {
    // Why: workers have no DB. A name unknown when a block began must not stay unknown once a
    // later (serial) block deploys it, and `committed` may hand the code over ahead of use.
    const chain = new Chain();
    const engine = await chain.engine();
    const callCounter = () => [callTx(OWNER, 'counter', 'increment', [])];

    let txs = callCounter();
    let block = chain.nextBlock();
    let run = await runEngine(engine, block, txs, chain.state);
    expectSameBlock(assembleWasmBlock(run.results), await chain.commit(txs, block));
    expect((run.results[0].output as WasmReceipt).error).toBe('unknown plugin "counter"');

    await chain.commit([deployTx(OWNER, 'counter', counterCode)]);
    txs = callCounter();
    block = chain.nextBlock();
    run = await runEngine(engine, block, txs, chain.state);
    expectSameBlock(assembleWasmBlock(run.results), await chain.commit(txs, block));
    expect((run.results[0].output as WasmReceipt).status).toBe('success');
    expect(chain.requests).toEqual(['counter', 'counter']);

    // Announced at commit: no request at all.
    const fresh = await chain.engine();
    const deploy = await chain.commit([deployTx(OWNER, 'token', tokenCode)]);
    expect(deploy.receipts[0].status).toBe('success');
    fresh.committed?.(structuredClone({ plugins: chain.registry.list().map(wasmPluginCode) }));
    txs = [callTx(OWNER, 'token', 'mint', [address(3), '9']), ...callCounter()];
    block = chain.nextBlock();
    run = await runEngine(fresh, block, txs, chain.state);
    expectSameBlock(assembleWasmBlock(run.results), await chain.commit(txs, block));
    expect(chain.requests).toEqual(['counter', 'counter']);
  });

  it('runs txs appended to the block after beginBlock, plugins they alone call included', async () => {
    // Why: workers get a block's txs in pieces and start on the first ones at once; a later piece
    // may call a plugin (deployed, or not) that no tx of the first piece called.
    const chain = new Chain();
    await chain.commit([deployTx(OWNER, 'token', tokenCode), deployTx(OWNER, 'counter', counterCode)]);
    const txs = [
      callTx(OWNER, 'token', 'mint', [address(1), '7']),
      callTx(OWNER, 'counter', 'increment', []),
      callTx(OWNER, 'nosuch', 'run', []),
      callTx(OWNER, 'token', 'mint', [address(2), '8']),
    ];
    const block = chain.nextBlock();
    const engine = await chain.engine();
    const payloads = txs.map(decodeWasmTx);
    const growing = payloads.slice(0, 1);
    await engine.beginBlock(structuredClone({ number: block.number, timeMs: block.timeMs }), growing);
    expect(chain.requests).toEqual(['token']);
    growing.push(...structuredClone(payloads.slice(1)));
    const view = new SequentialView(chain.state);
    const results: TxResult[] = [];
    for (let i = 0; i < txs.length; i++) {
      const r = structuredClone(await engine.executeTx(i, view));
      for (const [k, v] of r.writes) view.overlay.set(k, v);
      results.push(r);
    }
    expect(chain.requests).toEqual(['token', 'counter', 'nosuch']);
    expect((results[2].output as WasmReceipt).error).toBe('unknown plugin "nosuch"');
    expectSameBlock(assembleWasmBlock(results), await chain.commit(txs, block));
  });

  it('refuses plugins stored by a differently configured runtime', async () => {
    // Why: the worker's runtime must be configured as the node's; a mismatch must fail loudly
    // (the block then runs serially), not charge other gas.
    const chain = new Chain();
    await chain.commit([deployTx(OWNER, 'token', tokenCode)]);
    const engine = await chain.engine({ runtime: { maxMemoryPages: 8 } });
    await expect(
      engine.beginBlock(chain.nextBlock(), [callTx(OWNER, 'token', 'mint', [address(0), '1'])].map(decodeWasmTx)),
    ).rejects.toThrow(/another runtime configuration/);
  });

  it("host handler: a deployed plugin's stored code, undefined for an unknown name, an error for other requests", async () => {
    // Why: it is the only way plugin code reaches a worker; its answer must be cloneable.
    const chain = new Chain();
    await chain.commit([deployTx(OWNER, 'token', tokenCode)]);
    const handler = wasmHostHandler(chain.registry);
    const code = structuredClone(handler(WASM_PLUGIN_REQUEST, 'token')) as WasmPluginCode;
    expect(code).toMatchObject({ name: 'token', deployer: OWNER, blockNo: 1n });
    expect(code.meteredCode).toEqual(chain.registry.get('token')!.plugin.meteredCode);
    expect(handler(WASM_PLUGIN_REQUEST, 'nope')).toBeUndefined();
    expect(() => handler('evmCode', '0x00')).toThrow(/unknown request kind/);
  });
});

describe('txOutputCodec with messages', () => {
  it('carries the messages of a receipt, and keeps the fields in the order receipts are stored', () => {
    const outputs = [
      {
        status: 'success',
        gasUsed: '1200',
        events: [{ name: 'Sent', data: '{}' }],
        returnData: '0x',
        messages: [
          { srcPlugin: 'bridge', dstSpn: 'spn-b', plugin: 'bridge', method: 'receive', args: ['0xab', '5'] },
          { srcPlugin: 'bridge', dstSpn: 'spn-c', plugin: 'other', method: 'm', args: [] },
        ],
      },
      { status: 'reverted', gasUsed: '10', error: 'no', events: [], returnData: '0x' },
      undefined,
      { status: 'success', gasUsed: '7', events: [], returnData: '0x01' },
    ];
    const decoded = txOutputCodec.decode(structuredClone(txOutputCodec.encode(outputs)));
    expect(decoded).toStrictEqual(outputs);
    expect(decoded.map((o) => JSON.stringify(o))).toEqual(outputs.map((o) => JSON.stringify(o)));
  });
});
