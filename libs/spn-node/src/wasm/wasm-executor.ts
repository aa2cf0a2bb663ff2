import { MESSAGE_CALLER, type OutboundMessage, type WasmCall } from '@mesh/core';
import type { SqlRunner } from '@mesh/state';
import type { CallContext, ExecutionStatus, PluginEvent, StorageView, WasmRuntime } from '@mesh/vm-wasm';
import type { BlockContext, BlockExecution, BlockExecutor, MempoolTx, ReceiptMessage, StateReader } from '../executor';
import { decodePluginValue, encodePluginValue, PluginKeyCache } from './plugin-state-keys';
import type { DeployedPlugin, PluginRegistry } from './plugin-registry';

/** A Wasm SPN transaction decoded from the mempool. */
export type WasmTx =
  | { hash: string; kind: 'call'; sender: string; nonce: bigint; call: WasmCall }
  | { hash: string; kind: 'deploy'; sender: string; nonce: bigint; name: string; gasLimit: bigint; code: Uint8Array };

export interface WasmReceipt {
  status: ExecutionStatus;
  gasUsed: string;
  error?: string;
  events: PluginEvent[];
  returnData: string;
  /** Only when the call sent any (so receipts of calls that send none keep their old form). */
  messages?: ReceiptMessage[];
  [field: string]: unknown;
}

/** A receipt's messages field: the successful call's messages, tagged with their plugin; none: no field. */
export function receiptMessages(plugin: string, messages: readonly OutboundMessage[]): { messages?: ReceiptMessage[] } {
  if (messages.length === 0) return {};
  return { messages: messages.map((m) => ({ srcPlugin: plugin, dstSpn: m.dstSpn, plugin: m.plugin, method: m.method, args: m.args })) };
}

/** Who a mempool row's call runs as: its sender, or `MESSAGE_CALLER` for a relayed message. */
export function callerOf(tx: Pick<MempoolTx, 'kind' | 'sender'>): string {
  return tx.kind === 'message' ? MESSAGE_CALLER : tx.sender;
}

/** Decodes a mempool row stored by WasmIngress (already verified there). */
export function decodeWasmTx(tx: MempoolTx): WasmTx {
  const body = tx.body as { call?: Record<string, unknown>; deploy?: Record<string, unknown> };
  if (tx.kind === 'deploy') {
    const d = body.deploy!;
    return {
      hash: tx.hash,
      kind: 'deploy',
      sender: tx.sender,
      nonce: tx.nonce,
      name: String(d.name),
      gasLimit: BigInt(String(d.gasLimit)),
      code: tx.code!,
    };
  }
  const c = body.call!;
  const call: WasmCall = { from: callerOf(tx), nonce: tx.nonce, ...decodeCallFields(c) };
  if (c.reads !== undefined || c.writes !== undefined) {
    call.reads = ((c.reads as unknown[] | undefined) ?? []).map(String);
    call.writes = ((c.writes as unknown[] | undefined) ?? []).map(String);
  }
  return { hash: tx.hash, kind: 'call', sender: callerOf(tx), nonce: tx.nonce, call };
}

/** What a call row's body says to run, as every reader of a mempool row reads it. */
export function decodeCallFields(c: Record<string, unknown>): Pick<WasmCall, 'plugin' | 'method' | 'args' | 'gasLimit'> {
  return {
    plugin: String(c.plugin),
    method: String(c.method),
    args: (c.args as unknown[]).map(String),
    gasLimit: BigInt(String(c.gasLimit)),
  };
}

/** Executes one tx after another on one Wasm runtime. */
export class SerialWasmExecutor implements BlockExecutor {
  private readonly keys = new PluginKeyCache();

  constructor(
    private readonly runtime: WasmRuntime,
    private readonly plugins: PluginRegistry,
  ) {}

  async execute(block: BlockContext, txs: readonly MempoolTx[], state: StateReader): Promise<BlockExecution> {
    const writes = new Map<bigint, bigint>();
    const deployed = new Map<string, DeployedPlugin>();
    const receipts: WasmReceipt[] = [];
    let gasUsed = 0n;
    for (const tx of txs) {
      const receipt = this.executeTx(block, decodeWasmTx(tx), state, writes, deployed);
      gasUsed += BigInt(receipt.gasUsed);
      receipts.push(receipt);
    }
    const plugins = [...deployed.values()];
    return {
      receipts,
      writes,
      gasUsed,
      persist: (sql, b) => persistPlugins(sql, this.plugins.spnId, plugins, b.number),
      afterCommit: () => plugins.forEach((p) => this.plugins.add(p)),
    };
  }

  private executeTx(
    block: BlockContext,
    tx: WasmTx,
    state: StateReader,
    writes: Map<bigint, bigint>,
    deployed: Map<string, DeployedPlugin>,
  ): WasmReceipt {
    if (tx.kind === 'deploy') {
      if (this.plugins.get(tx.name) || deployed.has(tx.name)) {
        return failed('reverted', `a plugin named "${tx.name}" is already deployed`);
      }
      const plugin = this.runtime.prepare(tx.code);
      const entry: DeployedPlugin = { name: tx.name, plugin, deployer: tx.sender, blockNo: block.number, txHash: tx.hash };
      if (!plugin.hasInit) {
        deployed.set(tx.name, entry);
        return { status: 'success', gasUsed: '0', events: [], returnData: '0x' };
      }
      const receipt = this.run(entry, 'init', [], tx.sender, tx.gasLimit, block, state, writes);
      if (receipt.status === 'success') deployed.set(tx.name, entry);
      return receipt;
    }
    const entry = this.plugins.get(tx.call.plugin) ?? deployed.get(tx.call.plugin);
    if (!entry) return failed('reverted', `unknown plugin "${tx.call.plugin}"`);
    if (!entry.plugin.methods.includes(tx.call.method))
      return failed('reverted', `plugin "${tx.call.plugin}" has no method "${tx.call.method}"`);
    return this.run(entry, tx.call.method, tx.call.args, tx.sender, tx.call.gasLimit, block, state, writes);
  }

  private run(
    entry: DeployedPlugin,
    method: string,
    args: string[],
    caller: string,
    gasLimit: bigint,
    block: BlockContext,
    state: StateReader,
    writes: Map<bigint, bigint>,
  ): WasmReceipt {
    const view = blockView(entry.name, state, writes, this.keys);
    const ctx: CallContext = { caller, blockHeight: block.number, blockTime: block.timeMs, gasLimit };
    const result = this.runtime.execute(entry.plugin, method, args, ctx, view);
    if (result.status === 'success') {
      for (const [hexKey, value] of result.writes) {
        writes.set(this.keys.get(entry.name, hexKey), value ? encodePluginValue(value) : 0n);
      }
    }
    return {
      status: result.status,
      gasUsed: String(result.gasUsed),
      ...(result.error ? { error: result.error } : {}),
      events: result.status === 'success' ? result.events : [],
      returnData: '0x' + Buffer.from(result.returnData).toString('hex'),
      ...receiptMessages(entry.name, result.messages),
    };
  }
}

async function persistPlugins(sql: SqlRunner, spnId: string, plugins: readonly DeployedPlugin[], blockNo: bigint): Promise<void> {
  for (const d of plugins) {
    await sql.query(
      'INSERT INTO spn_plugin (spn_id, name, code, code_hash, deployer, methods, block_no, tx_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [
        spnId,
        d.name,
        Buffer.from(d.plugin.meteredCode),
        d.plugin.codeHash,
        d.deployer,
        JSON.stringify(d.plugin.methods),
        String(blockNo),
        d.txHash,
      ],
    );
  }
}

function failed(status: ExecutionStatus, error: string): WasmReceipt {
  return { status, gasUsed: '0', error, events: [], returnData: '0x' };
}

/** A plugin's storage as its call sees it: the block's earlier writes over committed state. */
export function blockView(
  plugin: string,
  state: StateReader,
  writes: ReadonlyMap<bigint, bigint>,
  keys: PluginKeyCache = new PluginKeyCache(0),
): StorageView {
  return {
    get(key: Uint8Array): Uint8Array | undefined {
      const treeKey = keys.getBytes(plugin, key);
      return decodePluginValue(writes.get(treeKey) ?? state.get(treeKey));
    },
  };
}
