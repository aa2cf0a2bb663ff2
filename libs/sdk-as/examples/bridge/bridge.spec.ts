import { readFileSync } from 'node:fs';
import { MESSAGE_CALLER } from '@mesh/core';
import { CallContext, ExecutionResult, MemoryStorage, PreparedPlugin, WasmRuntime } from '@mesh/vm-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '../../src/build';

// The bridge example, compiled for real (asc) and run through WasmRuntime.
const OWNER = '0x' + 'a0'.repeat(20);
const BOB = '0x' + 'b0'.repeat(20);
const CAROL = '0x' + 'c0'.repeat(20);

let runtime: WasmRuntime;
let bridge: PreparedPlugin;

beforeAll(async () => {
  const built = await buildPlugin(__dirname);
  runtime = new WasmRuntime();
  bridge = runtime.prepare(new Uint8Array(readFileSync(built.wasmPath)));
}, 180_000);

const ctx = (caller: string): CallContext => ({ caller, blockHeight: 1n, blockTime: 1n, gasLimit: 1_000_000n });

function deploy(): MemoryStorage {
  const state = new MemoryStorage();
  state.apply(runtime.executeInit(bridge, [], ctx(OWNER), state));
  state.apply(runtime.execute(bridge, 'mint', [BOB, '1000'], ctx(OWNER), state));
  return state;
}

function call(state: MemoryStorage, caller: string, method: string, args: string[]): ExecutionResult {
  const r = runtime.execute(bridge, method, args, ctx(caller), state);
  state.apply(r);
  return r;
}

const balance = (state: MemoryStorage, who: string) => Buffer.from(call(state, CAROL, 'balanceOf', [who]).returnData).toString();

describe('bridge example', () => {
  it('exports the token methods, send and receive', () => {
    expect([...bridge.methods].sort()).toEqual(['balanceOf', 'mint', 'receive', 'send', 'transfer']);
  });

  it('send burns the amount here and sends receive(to, amount) to the bridge of the other SPN', () => {
    const state = deploy();
    const r = call(state, BOB, 'send', ['spn-b', CAROL, '300']);
    expect(r.status).toBe('success');
    expect(r.messages).toEqual([{ dstSpn: 'spn-b', plugin: 'bridge', method: 'receive', args: [CAROL, '300'] }]);
    expect(r.events.map((e) => e.name)).toEqual(['Transfer', 'Sent']);
    expect(balance(state, BOB)).toBe('700');
  });

  it('send more than the balance, or nothing, reverts and sends nothing', () => {
    const state = deploy();
    expect(call(state, BOB, 'send', ['spn-b', CAROL, '1001'])).toMatchObject({
      status: 'reverted',
      error: 'insufficient balance',
      messages: [],
    });
    expect(call(state, BOB, 'send', ['spn-b', CAROL, '0'])).toMatchObject({ status: 'reverted', error: 'nothing to send' });
    expect(call(state, BOB, 'send', ['Not An Id', CAROL, '1']).error).toMatch(/^send_message: "Not An Id" is not an SPN id/);
    expect(balance(state, BOB)).toBe('1000');
  });

  it('receive credits a relayed message from a bridge plugin, and refuses anything else', () => {
    const state = deploy();
    const r = call(state, MESSAGE_CALLER, 'receive', ['spn-a', 'bridge', CAROL, '300']);
    expect(r.status).toBe('success');
    expect(r.events.map((e) => e.name)).toEqual(['Transfer', 'Received']);
    expect(balance(state, CAROL)).toBe('300');
    expect(call(state, BOB, 'receive', ['spn-a', 'bridge', BOB, '5'])).toMatchObject({
      status: 'reverted',
      error: 'receive takes relayed messages only',
    });
    expect(call(state, MESSAGE_CALLER, 'receive', ['spn-a', 'token', BOB, '5']).error).toBe(
      "messages from plugin 'token' are not accepted",
    );
    expect(balance(state, BOB)).toBe('1000');
  });
});
