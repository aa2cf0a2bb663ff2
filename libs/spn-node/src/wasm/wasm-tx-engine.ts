/**
 * The Wasm side of the parallel executor's contract (libs/executor `engine.ts`):
 *
 * - `createTxEngine` (worker side, no DB): runs one call tx of a block against a `TxStateView`
 *   exactly as `SerialWasmExecutor` runs it, reporting the call's tree writes and its receipt.
 * - `wasmHostHandler` (main side): answers the engine's requests for deployed plugins' code from
 *   the node's `PluginRegistry`.
 * - `assembleWasmBlock` (main side): the ordered results -> the `BlockExecution` that
 *   `SerialWasmExecutor.execute` returns for the same (deployment-free) block.
 *
 * Deployments are not run here: the plugin registry is not versioned state, so a block with a
 * `deploy` tx is reported `serialOnly` and runs on the serial executor.
 */
import type { WasmCall } from '@mesh/core';
import type { EngineHost, TxEngine, TxEngineFactory, TxOutputCodec, TxPayloadCodec, TxResult, TxStateView } from '@mesh/executor';
import {
  WasmRuntime,
  type CallContext,
  type ExecutionStatus,
  type PluginEvent,
  type PreparedPlugin,
  type StorageView,
  type WasmRuntimeOptions,
} from '@mesh/vm-wasm';
import type { BlockExecution, MempoolTx, ReceiptMessage } from '../executor';
import type { DeployedPlugin, PluginRegistry } from './plugin-registry';
import { decodePluginValue, encodePluginValue, PluginKeyCache } from './plugin-state-keys';
import { callerOf, decodeCallFields, receiptMessages, type WasmReceipt, type WasmTx } from './wasm-executor';

/** `EngineHost.request` kind: a deployed plugin's stored code by name (arg: the name). */
export const WASM_PLUGIN_REQUEST = 'wasmPlugin';

/** Text of `TxResult.serialOnly` for a deployment. */
export const SERIAL_ONLY_DEPLOYMENT = 'plugin deployment';

/** Options of the Wasm TxEngine (structured-cloneable). */
export interface WasmTxEngineOptions {
  spnId: string;
  /**
   * Exactly the options of the node's own WasmRuntime (`WasmVm` uses the defaults: leave unset).
   * Host-call gas costs are not part of a plugin's metering key, so a different gas schedule
   * would not be refused by `load`: it would silently charge other gas.
   */
  runtime?: WasmRuntimeOptions;
  /** Plugin-state keys (keccak) kept, over all plugins; default 65,536 (some 10-15 MB). 0 disables the cache. */
  keyCacheSize?: number;
}

/** A deployed plugin as the main side hands it to engines (structured-cloneable). */
export interface WasmPluginCode {
  name: string;
  /** As stored (`PreparedPlugin.meteredCode`): `WasmRuntime.load` takes it back. */
  meteredCode: Uint8Array;
  deployer: string;
  blockNo: bigint;
  txHash: string;
}

/** `TxEngine.committed` payload: plugins deployed by the committed block (optional: engines also ask). */
export interface WasmCommitted {
  plugins?: readonly WasmPluginCode[];
}

/** The block environment a Wasm tx sees (a `BlockContext` will do). */
export interface WasmBlockEnv {
  number: bigint;
  timeMs: bigint;
}

/**
 * A tx as the engine gets it: what a call needs, no more (a `WasmTx` will do). Blocks go to the
 * workers as these: the hash, nonces and a second copy of the sender cost serialisation time on
 * both sides for nothing.
 */
export type WasmTxPayload =
  { kind: 'call'; sender: string; call: Pick<WasmCall, 'plugin' | 'method' | 'args' | 'gasLimit'> } | { kind: 'deploy' };

/**
 * A block's tx as the engine takes it: a payload (what the workers get), or the mempool's row
 * itself, decoded only when the tx runs here or goes to a worker (`wasmTxPayloadOf`). The
 * coordinator's engine gets the rows: a block's first txs start without decoding the whole
 * block first, and the txs a worker runs are decoded once, into its payload text.
 */
export type WasmTxInput = WasmTxPayload | MempoolTx;

/**
 * A block tx's payload. A mempool row's call is read as `decodeWasmTx` reads it
 * (`decodeCallFields`), without building the whole `WasmTx` first: equal to `wasmTxPayload(decodeWasmTx(row))`.
 */
export function wasmTxPayloadOf(tx: WasmTxInput): WasmTxPayload {
  if (!('body' in tx)) return tx;
  if (tx.kind === 'deploy') return { kind: 'deploy' };
  return { kind: 'call', sender: callerOf(tx), call: decodeCallFields(rowCall(tx)) };
}

/** A call row's body (as `decodeWasmTx` reads it: a row that is not a deployment is a call). */
function rowCall(row: MempoolTx): Record<string, unknown> {
  return (row.body as { call: Record<string, unknown> }).call;
}

/** The plugin a block tx calls, if it is a call (a mempool row is not decoded for it). */
function calledPlugin(tx: WasmTxInput): string | undefined {
  if (tx.kind === 'deploy') return undefined;
  return 'body' in tx ? String(rowCall(tx).plugin) : (tx as Extract<WasmTxPayload, { kind: 'call' }>).call.plugin;
}

export function wasmTxPayload(tx: WasmTx): WasmTxPayload {
  if (tx.kind === 'deploy') return { kind: 'deploy' };
  const { plugin, method, args, gasLimit } = tx.call;
  return { kind: 'call', sender: tx.sender, call: { plugin, method, args, gasLimit } };
}

/** What `executeTx` puts in `TxResult.output`: the receipt, as `SerialWasmExecutor` builds it. */
export type WasmTxOutput = WasmReceipt;

const DEFAULT_KEY_CACHE_SIZE = 65_536;

export function wasmPluginCode(d: DeployedPlugin): WasmPluginCode {
  return { name: d.name, meteredCode: d.plugin.meteredCode, deployer: d.deployer, blockNo: d.blockNo, txHash: d.txHash };
}

/** Answers an engine's `host.request(kind, arg)` on the main thread (libs/executor's HostHandler shape). */
export type WasmHostHandler = (kind: string, arg: unknown) => unknown;

/**
 * Main side: answers the engines' requests from the node's registry. `wasmPlugin` (arg: name)
 * -> `WasmPluginCode | undefined` (undefined: no such plugin, yet). Other kinds throw.
 */
export function wasmHostHandler(registry: PluginRegistry): WasmHostHandler {
  return (kind: string, arg: unknown): WasmPluginCode | undefined => {
    if (kind !== WASM_PLUGIN_REQUEST) throw new Error(`wasm engine host: unknown request kind "${kind}"`);
    if (typeof arg !== 'string') throw new Error('wasm engine host: wasmPlugin takes a plugin name');
    const d = registry.get(arg);
    return d ? wasmPluginCode(d) : undefined;
  };
}

/** A plugin the engine can run. */
interface LoadedPlugin {
  name: string;
  plugin: PreparedPlugin;
}

/** Worker side: one Wasm runtime, the plugins it has loaded, the current block. */
export class WasmTxEngine implements TxEngine {
  readonly spnId: string;
  private readonly runtime: WasmRuntime;
  private readonly keys: PluginKeyCache;
  /** Plugins loaded so far (a deployed plugin never changes: cached for good). */
  private readonly plugins = new Map<string, LoadedPlugin>();
  /** Plugins the current block calls that the main side did not know when the block began. */
  private missing = new Set<string>();
  private block: WasmBlockEnv = { number: 0n, timeMs: 0n };
  private txs: readonly WasmTxInput[] = [];

  // The call in progress (the runtime is synchronous and never re-entered): one context and one
  // StorageView serve every call; the storage reads through the tx's TxStateView.
  private readonly ctx: CallContext = { caller: '', blockHeight: 0n, blockTime: 0n, gasLimit: 0n };
  private current: LoadedPlugin | undefined;
  private view: TxStateView | undefined;
  private readonly storage: StorageView = {
    get: (key: Uint8Array): Uint8Array | undefined => {
      const treeKey = this.keys.getBytes(this.current!.name, key);
      return decodePluginValue(this.view!.get(treeKey));
    },
  };

  constructor(
    options: WasmTxEngineOptions,
    private readonly host: EngineHost,
  ) {
    this.spnId = options.spnId;
    this.runtime = new WasmRuntime(options.runtime);
    this.keys = new PluginKeyCache(options.keyCacheSize ?? DEFAULT_KEY_CACHE_SIZE);
  }

  async beginBlock(block: unknown, txs: readonly unknown[]): Promise<void> {
    const env = block as WasmBlockEnv;
    this.block = { number: env.number, timeMs: env.timeMs };
    this.txs = txs as readonly WasmTxInput[];
    this.missing = new Set();
    let wanted: Set<string> | undefined;
    // A split piece's worker gets its own txs only: the array has holes below them.
    for (const tx of this.txs as readonly (WasmTxInput | undefined)[]) {
      const plugin = tx && calledPlugin(tx);
      if (plugin !== undefined && !this.plugins.has(plugin)) (wanted ??= new Set()).add(plugin);
    }
    if (wanted) await Promise.all([...wanted].map((name) => this.resolve(name)));
  }

  /** Asks the main side for a plugin's code: loaded, or known missing (not deployed, yet) for this block. */
  private async resolve(name: string): Promise<void> {
    const code = (await this.host.request(WASM_PLUGIN_REQUEST, name)) as WasmPluginCode | undefined;
    if (code === undefined) this.missing.add(name);
    else if (!this.plugins.has(name)) this.add(code);
  }

  executeTx(index: number, view: TxStateView): TxResult | Promise<TxResult> {
    const input = this.txs[index];
    if (input === undefined) throw new Error(`wasm engine: no tx ${index} in this block (${this.txs.length} txs)`);
    const tx = wasmTxPayloadOf(input);
    if (tx.kind === 'deploy') return { writes: new Map(), output: undefined, serialOnly: SERIAL_ONLY_DEPLOYMENT };
    const call = tx.call;
    const entry = this.plugins.get(call.plugin);
    if (entry === undefined) {
      // A tx that arrived after beginBlock (the block's txs come in pieces) may call a plugin not seen yet.
      if (!this.missing.has(call.plugin)) return this.resolve(call.plugin).then(() => this.executeTx(index, view));
      return noWrites(failed(`unknown plugin "${call.plugin}"`));
    }
    if (!entry.plugin.methods.includes(call.method)) {
      return noWrites(failed(`plugin "${call.plugin}" has no method "${call.method}"`));
    }

    const ctx = this.ctx;
    ctx.caller = tx.sender;
    ctx.blockHeight = this.block.number;
    ctx.blockTime = this.block.timeMs;
    ctx.gasLimit = call.gasLimit;
    this.current = entry;
    this.view = view;
    let result;
    try {
      // A DependencyAbort thrown by `view` comes out of here as itself (the runtime rethrows
      // exceptions of its StorageView unchanged).
      result = this.runtime.execute(entry.plugin, call.method, call.args, ctx, this.storage);
    } finally {
      this.current = undefined;
      this.view = undefined;
    }

    const writes = new Map<bigint, bigint>();
    const ok = result.status === 'success';
    if (ok)
      for (const [hexKey, value] of result.writes) writes.set(this.keys.get(entry.name, hexKey), value ? encodePluginValue(value) : 0n);
    // Same fields, in the same order, as SerialWasmExecutor's receipt.
    const gasUsed = String(result.gasUsed);
    const events = ok ? result.events : [];
    const returnData = hex(result.returnData);
    const receipt: WasmReceipt = result.error
      ? { status: result.status, gasUsed, error: result.error, events, returnData }
      : { status: result.status, gasUsed, events, returnData, ...receiptMessages(entry.name, result.messages) };
    return { writes, output: receipt };
  }

  committed(payload: unknown): void {
    const plugins = (payload as WasmCommitted | undefined)?.plugins;
    if (plugins) for (const p of plugins) if (!this.plugins.has(p.name)) this.add(p);
  }

  private add(code: WasmPluginCode): void {
    const meteredCode = code.meteredCode instanceof Uint8Array ? code.meteredCode : new Uint8Array(code.meteredCode);
    this.plugins.set(code.name, { name: code.name, plugin: this.runtime.load(meteredCode) });
  }
}

export const createTxEngine: TxEngineFactory = (options, host) => new WasmTxEngine(options as WasmTxEngineOptions, host);

/**
 * The workers' receipts as one flat array of their strings per message (libs/executor
 * TxOutputCodec): per receipt its status, gasUsed, returnData, error (or 0), the number of its
 * events, then each event's name and data, the number of its messages, then each message's
 * source plugin, destination SPN, plugin, method, number of args and args; a missing output (a deployment's, serial-only) is a
 * single 0. A structured clone copies the strings as they are. Measured here, 30 transfer receipts
 * with their message: 9.2-9.6 µs to build and serialise and ~9.5 µs to deserialise and rebuild,
 * against 15.2-17.2 and 13.2-13.6 µs as one JSON text of arrays (an earlier session: 14.9 and
 * 11.1 µs as JSON arrays, 23.2 and 22.7 µs as JSON objects, ~3 times that cloned as objects).
 * Rebuilt with the fields in the order `SerialWasmExecutor` gives them (receipts are stored as
 * their JSON text).
 */
export const txOutputCodec: TxOutputCodec = {
  encode: (outputs) => {
    const wire: (string | number)[] = [];
    for (const r of outputs as readonly (WasmTxOutput | undefined)[]) {
      if (r === undefined) {
        wire.push(0);
        continue;
      }
      wire.push(r.status, r.gasUsed, r.returnData, r.error ?? 0, r.events.length);
      for (const e of r.events) wire.push(e.name, e.data);
      const messages = r.messages ?? [];
      wire.push(messages.length);
      for (const m of messages) wire.push(m.srcPlugin, m.dstSpn, m.plugin, m.method, m.args.length, ...m.args);
    }
    return wire;
  },
  decode: (encoded) => {
    const wire = encoded as readonly (string | number)[];
    const outputs: (WasmTxOutput | undefined)[] = [];
    for (let at = 0; at < wire.length;) {
      if (wire[at] === 0) {
        outputs.push(undefined);
        at++;
        continue;
      }
      const count = wire[at + 4] as number;
      const events: PluginEvent[] = new Array(count);
      for (let j = 0; j < count; j++) events[j] = { name: wire[at + 5 + 2 * j] as string, data: wire[at + 6 + 2 * j] as string };
      const status = wire[at] as ExecutionStatus;
      const gasUsed = wire[at + 1] as string;
      const returnData = wire[at + 2] as string;
      const error = wire[at + 3] as string | 0;
      at += 5 + 2 * count;
      const messageCount = wire[at++] as number;
      if (messageCount === 0) {
        outputs.push(error === 0 ? { status, gasUsed, events, returnData } : { status, gasUsed, error, events, returnData });
        continue;
      }
      const messages: ReceiptMessage[] = new Array(messageCount);
      for (let j = 0; j < messageCount; j++) {
        const argCount = wire[at + 4] as number;
        const args = wire.slice(at + 5, at + 5 + argCount) as string[];
        messages[j] = {
          srcPlugin: wire[at] as string,
          dstSpn: wire[at + 1] as string,
          plugin: wire[at + 2] as string,
          method: wire[at + 3] as string,
          args,
        };
        at += 5 + argCount;
      }
      // Only a successful call sends messages, and its receipt has no error.
      outputs.push({ status, gasUsed, events, returnData, messages });
    }
    return outputs;
  },
};

/**
 * The block's payloads to the workers as one flat array of their strings per message (libs/executor
 * TxPayloadCodec): per call its sender, plugin, method, gas limit (decimal digits), the number of
 * its args, then the args; a deployment is a single 0. A structured clone copies strings as they
 * are, so no text is escaped or parsed. Measured here, 120 transfer payloads (from mempool rows)
 * with their 'begin' message: 74-81 µs to build and serialise here and 50-60 µs to deserialise and
 * rebuild in the worker, against 107-119 µs and 69-77 µs as one JSON text (cloning the rows
 * themselves: 177 µs and 195 µs without the message). Mempool rows are read straight into it, as
 * `wasmTxPayloadOf` reads them.
 */
export const txPayloadCodec: TxPayloadCodec = {
  encode: (txs) => {
    const wire: (string | number)[] = [];
    for (const tx of txs as readonly WasmTxInput[]) {
      const t = wasmTxPayloadOf(tx);
      if (t.kind === 'deploy') wire.push(0);
      else wire.push(t.sender, t.call.plugin, t.call.method, t.call.gasLimit.toString(), t.call.args.length, ...t.call.args);
    }
    return wire;
  },
  decode: (encoded) => {
    const wire = encoded as readonly (string | number)[];
    const txs: WasmTxPayload[] = [];
    for (let at = 0; at < wire.length;) {
      if (wire[at] === 0) {
        txs.push({ kind: 'deploy' });
        at++;
        continue;
      }
      const argCount = wire[at + 4] as number;
      const args = wire.slice(at + 5, at + 5 + argCount) as string[];
      const call = { plugin: wire[at + 1] as string, method: wire[at + 2] as string, args, gasLimit: BigInt(wire[at + 3] as string) };
      txs.push({ kind: 'call', sender: wire[at] as string, call });
      at += 5 + argCount;
    }
    return txs;
  },
};

/** `createTxEngine` under a name that can be re-exported next to other VMs' engines. */
export const createWasmTxEngine = createTxEngine;

/** `txOutputCodec` under a name that can be re-exported next to other VMs' engines. */
export const wasmTxOutputCodec = txOutputCodec;

/** `txPayloadCodec` under a name that can be re-exported next to other VMs' engines. */
export const wasmTxPayloadCodec = txPayloadCodec;

/**
 * Main side: the ordered results of a deployment-free block -> what `SerialWasmExecutor.execute`
 * returns for it (receipts, writes: every key a successful call wrote, last writer wins, gasUsed).
 * `merged`: the results' writes already merged so (the parallel run's, see ParallelResults).
 */
export function assembleWasmBlock(results: readonly TxResult[], merged?: Map<bigint, bigint>): BlockExecution {
  const receipts: WasmReceipt[] = new Array(results.length);
  const writes = merged ?? new Map<bigint, bigint>();
  // Gas adds up as a Number while the sum is exact (any real block), else again as a BigInt.
  let gas = 0;
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (r.serialOnly !== undefined) throw new Error(`wasm block assembly: tx ${i} must run serially (${r.serialOnly})`);
    const receipt = r.output as WasmReceipt;
    if (merged === undefined) for (const [key, value] of r.writes) writes.set(key, value);
    gas += Number(receipt.gasUsed);
    receipts[i] = receipt;
  }
  const gasUsed = Number.isSafeInteger(gas) ? BigInt(gas) : receipts.reduce((sum, r) => sum + BigInt(r.gasUsed), 0n);
  return { receipts, writes, gasUsed };
}

function hex(bytes: Uint8Array): string {
  return bytes.length === 0 ? '0x' : '0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function failed(error: string): WasmReceipt {
  return { status: 'reverted', gasUsed: '0', error, events: [], returnData: '0x' };
}

function noWrites(receipt: WasmReceipt): TxResult {
  return { writes: new Map(), output: receipt };
}

/** This module's path: what the parallel executor's workers load (`createTxEngine`). */
export const WASM_TX_ENGINE_MODULE: string = __filename;
