/**
 * An in-memory Wasm SPN for tests and benchmarks (no Postgres): a plugin registry with the
 * example token deployed, a StateCache, and helpers to build mempool txs and to commit blocks
 * through a BlockExecutor the way BlockProducer does (apply writes, then afterCommit).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WasmRuntime } from '@mesh/vm-wasm';
import type { BlockContext, BlockExecution, BlockExecutor, MempoolTx } from '../src/executor';
import { PluginRegistry } from '../src/wasm/plugin-registry';
import { StateCache } from '../src/state-cache';
import { SerialWasmExecutor } from '../src/wasm/wasm-executor';

export const OWNER = '0x' + 'ab'.repeat(20);
export const accountAddress = (i: number) => '0x' + (i + 1).toString(16).padStart(40, '0');

/** The example plugins as `npm run plugins:build` leaves them. */
export function examplePluginCode(name: 'token' | 'counter' | 'bridge'): Uint8Array {
  return new Uint8Array(readFileSync(join(__dirname, '../../sdk-as/examples', name, 'build', 'plugin.wasm')));
}

let seq = 0;
/** A call as ingress stores it; `declared`: the storage keys it declares (WasmCall.reads / writes). */
export function callTx(
  sender: string,
  plugin: string,
  method: string,
  args: string[],
  gasLimit = 1_000_000n,
  declared?: { reads: string[]; writes: string[] },
): MempoolTx {
  return {
    hash: `0x${(++seq).toString(16).padStart(64, '0')}`,
    kind: 'call',
    sender,
    nonce: 0n,
    body: { call: { plugin, method, args, gasLimit: String(gasLimit), ...declared } },
    code: null,
  };
}

/**
 * A relayed message as the inbox stores it (libs/spn-node Inbox): a call of `plugin.method` from
 * `MESSAGE_CALLER` with args `[srcSpn, srcPlugin, ...args]`.
 */
export function messageTx(srcSpn: string, nonce: number, srcPlugin: string, plugin: string, method: string, args: string[]): MempoolTx {
  const traceId = `0x${(++seq).toString(16).padStart(64, '0')}`;
  return {
    hash: traceId,
    kind: 'message',
    sender: `spn:${srcSpn}`,
    nonce: BigInt(nonce),
    body: {
      call: { plugin, method, args: [srcSpn, srcPlugin, ...args], gasLimit: '5000000' },
      message: { traceId, srcSpn, nonce, srcBatchNo: 1 },
    },
    code: null,
  };
}

export function deployTx(sender: string, name: string, code: Uint8Array, gasLimit = 1_000_000n): MempoolTx {
  return {
    hash: `0x${(++seq).toString(16).padStart(64, '0')}`,
    kind: 'deploy',
    sender,
    nonce: 0n,
    body: { deploy: { name, gasLimit: String(gasLimit) } },
    code,
  };
}

export class WasmTestChain {
  readonly runtime = new WasmRuntime();
  readonly registry = new PluginRegistry(this.runtime, 'spn-test');
  readonly state = new StateCache();
  readonly serial = new SerialWasmExecutor(this.runtime, this.registry);
  number = 0n;

  block(): BlockContext {
    const number = this.number + 1n;
    return { number, timeMs: 1_700_000_000_000n + number * 1000n, parent: { number: this.number, hash: '0x', timeMs: 0n, vmHeader: null } };
  }

  /** Executes and commits one block (state applied, then afterCommit, as BlockProducer does). */
  async commit(executor: BlockExecutor, txs: MempoolTx[]): Promise<BlockExecution> {
    const result = await executor.execute(this.block(), txs, this.state);
    this.state.apply(result.writes);
    result.afterCommit?.();
    this.number++;
    return result;
  }

  /** Deploys the token (and the counter) and mints `amount` to `accounts` accounts. */
  static async withToken(accounts: number, amount = 1_000_000_000n): Promise<WasmTestChain> {
    const chain = new WasmTestChain();
    await chain.commit(chain.serial, [
      deployTx(OWNER, 'token', examplePluginCode('token')),
      deployTx(OWNER, 'counter', examplePluginCode('counter')),
    ]);
    for (let i = 0; i < accounts; i += 500) {
      const mints = [];
      for (let j = i; j < Math.min(accounts, i + 500); j++) mints.push(callTx(OWNER, 'token', 'mint', [accountAddress(j), String(amount)]));
      const r = await chain.commit(chain.serial, mints);
      for (const receipt of r.receipts) if (receipt.status !== 'success') throw new Error(`mint failed: ${receipt.error}`);
    }
    return chain;
  }
}
