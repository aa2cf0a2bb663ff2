import { readFileSync } from 'node:fs';
import { CallContext, ExecutionResult, MemoryStorage, PreparedPlugin, WasmRuntime } from '@mesh/vm-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '../../src/build';

// The token example, compiled for real (asc) and run through WasmRuntime.
const OWNER = '0x' + 'a0'.repeat(20);
const BOB = '0x' + 'b0'.repeat(20);
const CAROL = '0x' + 'c0'.repeat(20);
const ZERO = '0x' + '00'.repeat(20);
const balanceKey = (address: string) => Buffer.from(`bal:${address}`).toString('hex');
const u64 = (value: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(value);
  return new Uint8Array(b);
};

let runtime: WasmRuntime;
let token: PreparedPlugin;

beforeAll(async () => {
  const built = await buildPlugin(__dirname);
  runtime = new WasmRuntime();
  token = runtime.prepare(new Uint8Array(readFileSync(built.wasmPath)));
}, 180_000);

function deploy(): MemoryStorage {
  const state = new MemoryStorage();
  const r = runtime.executeInit(token, [], ctx(OWNER), state);
  expect(r.status).toBe('success');
  return state.apply(r);
}

function ctx(caller: string, gasLimit = 1_000_000n): CallContext {
  return { caller, blockHeight: 7n, blockTime: 1_700_000_000_000n, gasLimit };
}

function call(state: MemoryStorage, caller: string, method: string, args: string[]): ExecutionResult {
  const r = runtime.execute(token, method, args, ctx(caller), state);
  state.apply(r);
  return r;
}

const balance = (state: MemoryStorage, who: string) => Buffer.from(call(state, CAROL, 'balanceOf', [who]).returnData).toString();

describe('token example', () => {
  it('exports its methods and an init', () => {
    expect(token.methods.sort()).toEqual(['balanceOf', 'mint', 'transfer']);
    expect(token.hasInit).toBe(true);
  });

  it('init records the deployer as owner', () => {
    const state = deploy();
    expect(state.values.get(Buffer.from('owner').toString('hex'))).toEqual(new Uint8Array(Buffer.from('a0'.repeat(20), 'hex')));
  });

  it('the owner mints; Transfer event from the zero address; balances stored as u64 under bal:<addr>', () => {
    const state = deploy();
    const r = call(state, OWNER, 'mint', [BOB.toUpperCase().replace('0X', '0x'), '1000']);
    expect(r.status).toBe('success');
    expect(r.events).toEqual([{ name: 'Transfer', data: JSON.stringify({ from: ZERO, to: BOB, amount: '1000' }) }]);
    expect(r.writes).toEqual(new Map([[balanceKey(BOB), u64(1000n)]]));
    expect(balance(state, BOB)).toBe('1000');
  });

  it('transfers move balances and emit Transfer', () => {
    const state = deploy();
    call(state, OWNER, 'mint', [BOB, '1000']);
    const r = call(state, BOB, 'transfer', [CAROL, '250']);
    expect(r.status).toBe('success');
    expect(r.events).toEqual([{ name: 'Transfer', data: JSON.stringify({ from: BOB, to: CAROL, amount: '250' }) }]);
    expect(balance(state, BOB)).toBe('750');
    expect(balance(state, CAROL)).toBe('250');
    expect(r.reads).toEqual(new Set([balanceKey(BOB), balanceKey(CAROL)]));
    // Transferring everything deletes the sender's key.
    const all = call(state, BOB, 'transfer', [CAROL, '750']);
    expect(all.writes.get(balanceKey(BOB))).toBeNull();
    expect(balance(state, BOB)).toBe('0');
    expect(balance(state, CAROL)).toBe('1000');
  });

  it('a mint by anyone else reverts with the reason and writes nothing', () => {
    const state = deploy();
    const r = call(state, BOB, 'mint', [BOB, '1000']);
    expect(r).toMatchObject({ status: 'reverted', error: 'only the owner can mint', events: [] });
    expect(r.writes.size).toBe(0);
    expect(r.gasUsed).toBeGreaterThan(0n);
    expect(balance(state, BOB)).toBe('0');
  });

  it('a transfer above the balance reverts "insufficient balance"', () => {
    const state = deploy();
    call(state, OWNER, 'mint', [BOB, '10']);
    const r = call(state, BOB, 'transfer', [CAROL, '11']);
    expect(r).toMatchObject({ status: 'reverted', error: 'insufficient balance' });
    expect(r.writes.size).toBe(0);
    expect(balance(state, BOB)).toBe('10');
  });

  it('malformed arguments revert with a clear message', () => {
    const state = deploy();
    expect(call(state, OWNER, 'mint', ['0x1234', '5']).error).toBe("invalid address argument 1: '0x1234'");
    expect(call(state, OWNER, 'mint', [BOB, '-5']).error).toBe("invalid u64 argument 2: '-5'");
    expect(call(state, OWNER, 'mint', [BOB, '18446744073709551616']).error).toBe("u64 argument 2 out of range: '18446744073709551616'");
    expect(call(state, OWNER, 'mint', [BOB]).error).toBe('missing argument 2');
  });

  it('the same call costs the same gas every time', () => {
    const a = deploy();
    const b = deploy();
    call(a, OWNER, 'mint', [BOB, '1000']);
    call(b, OWNER, 'mint', [BOB, '1000']);
    const ra = call(a, BOB, 'transfer', [CAROL, '1']);
    const rb = call(b, BOB, 'transfer', [CAROL, '1']);
    expect(ra.gasUsed).toBe(rb.gasUsed);
    expect(ra.gasUsed).toBeGreaterThan(0n);
  });

  it('a transfer with too little gas is out of gas and changes nothing', () => {
    const state = deploy();
    call(state, OWNER, 'mint', [BOB, '1000']);
    const r = runtime.execute(token, 'transfer', [CAROL, '1'], ctx(BOB, 5_000n), state);
    expect(r).toMatchObject({ status: 'out_of_gas', gasUsed: 5_000n, events: [] });
    expect(r.writes.size).toBe(0);
  });
});
