import type { WasmCall } from '@mesh/core';
import type { CallContext, ExecutionStatus, PluginEvent, StorageView, WasmRuntime } from '@mesh/vm-wasm';
import { decodePluginValue, encodePluginValue, pluginStateKey } from './plugin-state-keys';
import type { DeployedPlugin, PluginRegistry } from './plugin-registry';

/** A transaction taken from the mempool, ready to run. */
export type ExecutableTx =
  | { hash: string; kind: 'call'; sender: string; nonce: bigint; call: WasmCall }
  | { hash: string; kind: 'deploy'; sender: string; nonce: bigint; name: string; gasLimit: bigint; code: Uint8Array };

export interface TxReceipt {
  status: ExecutionStatus;
  gasUsed: string;
  error?: string;
  events: PluginEvent[];
  returnData: string;
}

export interface BlockContext {
  height: bigint;
  timeMs: bigint;
}

/** Reads of committed state (tree key -> value, 0 = absent). */
export interface StateReader {
  get(key: bigint): bigint;
}

export interface BlockExecution {
  receipts: TxReceipt[];
  /** Net writes of the block: tree key -> new value (0 = deleted). */
  writes: Map<bigint, bigint>;
  /** Plugins that successful deploy transactions of this block created. */
  deployed: DeployedPlugin[];
  gasUsed: bigint;
}

/**
 * Runs the transactions of a block, in order, against committed state. The result must be what
 * serial execution gives; the parallel engine of a later issue implements this same interface.
 */
export interface BlockExecutor {
  execute(block: BlockContext, txs: readonly ExecutableTx[], state: StateReader): Promise<BlockExecution>;
}

/** Executes one tx after another on one Wasm runtime. */
export class SerialWasmExecutor implements BlockExecutor {
  constructor(
    private readonly runtime: WasmRuntime,
    private readonly plugins: PluginRegistry,
  ) {}

  async execute(block: BlockContext, txs: readonly ExecutableTx[], state: StateReader): Promise<BlockExecution> {
    const writes = new Map<bigint, bigint>();
    const deployed = new Map<string, DeployedPlugin>();
    const receipts: TxReceipt[] = [];
    let gasUsed = 0n;
    for (const tx of txs) {
      const receipt = this.executeTx(block, tx, state, writes, deployed);
      gasUsed += BigInt(receipt.gasUsed);
      receipts.push(receipt);
    }
    return { receipts, writes, deployed: [...deployed.values()], gasUsed };
  }

  private executeTx(
    block: BlockContext,
    tx: ExecutableTx,
    state: StateReader,
    writes: Map<bigint, bigint>,
    deployed: Map<string, DeployedPlugin>,
  ): TxReceipt {
    if (tx.kind === 'deploy') {
      if (this.plugins.get(tx.name) || deployed.has(tx.name)) {
        return failed('reverted', `a plugin named "${tx.name}" is already deployed`);
      }
      const plugin = this.runtime.prepare(tx.code);
      const entry: DeployedPlugin = { name: tx.name, plugin, deployer: tx.sender, blockNo: block.height, txHash: tx.hash };
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
  ): TxReceipt {
    const view = blockView(entry.name, state, writes);
    const ctx: CallContext = { caller, blockHeight: block.height, blockTime: block.timeMs, gasLimit };
    const result = this.runtime.execute(entry.plugin, method, args, ctx, view);
    if (result.status === 'success') {
      for (const [hexKey, value] of result.writes) {
        writes.set(pluginStateKey(entry.name, Buffer.from(hexKey, 'hex')), value ? encodePluginValue(value) : 0n);
      }
    }
    return {
      status: result.status,
      gasUsed: String(result.gasUsed),
      ...(result.error ? { error: result.error } : {}),
      events: result.status === 'success' ? result.events : [],
      returnData: '0x' + Buffer.from(result.returnData).toString('hex'),
    };
  }
}

function failed(status: ExecutionStatus, error: string): TxReceipt {
  return { status, gasUsed: '0', error, events: [], returnData: '0x' };
}

/** A plugin's storage as its call sees it: the block's earlier writes over committed state. */
export function blockView(plugin: string, state: StateReader, writes: ReadonlyMap<bigint, bigint>): StorageView {
  return {
    get(key: Uint8Array): Uint8Array | undefined {
      const treeKey = pluginStateKey(plugin, key);
      return decodePluginValue(writes.get(treeKey) ?? state.get(treeKey));
    },
  };
}
