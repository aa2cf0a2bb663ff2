import { readFileSync } from 'node:fs';
import { CallContext, MemoryStorage, PreparedPlugin, WasmRuntime } from '@mesh/vm-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '../../src/build';

// The counter example, compiled for real (asc) and run through WasmRuntime.
const ALICE = '0x' + 'a1'.repeat(20);
let runtime: WasmRuntime;
let counter: PreparedPlugin;

beforeAll(async () => {
  const built = await buildPlugin(__dirname);
  runtime = new WasmRuntime();
  counter = runtime.prepare(new Uint8Array(readFileSync(built.wasmPath)));
}, 180_000);

const ctx = (gasLimit = 1_000_000n): CallContext => ({ caller: ALICE, blockHeight: 1n, blockTime: 1n, gasLimit });
const get = (state: MemoryStorage) => Buffer.from(runtime.execute(counter, 'get', [], ctx(), state).returnData).toString();

describe('counter example', () => {
  it('increments, adds and returns the count', () => {
    const state = new MemoryStorage();
    expect(get(state)).toBe('0');
    const inc = runtime.execute(counter, 'increment', [], ctx(), state);
    expect(inc.status).toBe('success');
    expect(inc.events).toEqual([{ name: 'Counted', data: '{"count":"1"}' }]);
    state.apply(inc);
    state.apply(runtime.execute(counter, 'add', ['41'], ctx(), state));
    expect(get(state)).toBe('42');
    expect(runtime.execute(counter, 'add', ['x'], ctx(), state)).toMatchObject({
      status: 'reverted',
      error: "invalid u64 argument 1: 'x'",
    });
  });

  it('spin() runs out of gas: gasUsed = gasLimit, no writes; the same every time', () => {
    const state = new MemoryStorage();
    const a = runtime.execute(counter, 'spin', [], ctx(300_000n), state);
    expect(a).toMatchObject({ status: 'out_of_gas', gasUsed: 300_000n, events: [] });
    expect(a.writes.size).toBe(0);
    expect(runtime.execute(counter, 'spin', [], ctx(300_000n), state)).toEqual(a);
  });

  it('grow() fails at the memory cap, with the reason, and writes nothing', () => {
    const r = runtime.execute(counter, 'grow', [], ctx(10_000_000n), new MemoryStorage());
    expect(r.status).toBe('out_of_memory');
    expect(r.error).toMatch(/beyond 16 pages/);
    expect(r.writes.size).toBe(0);
    expect(r.gasUsed).toBeLessThan(10_000_000n);
  });

  it('a failed assertion traps with its message; a wasm trap traps; neither writes', () => {
    const state = new MemoryStorage();
    const fail = runtime.execute(counter, 'fail', [], ctx(), state);
    expect(fail.status).toBe('trap');
    expect(fail.error).toMatch(/^abort: count is too small \(.*counter\/assembly\/index\.ts:\d+:\d+\)$/);
    expect(fail.writes.size).toBe(0);
    const crash = runtime.execute(counter, 'crash', [], ctx(), state);
    expect(crash).toMatchObject({ status: 'trap', error: 'wasm trap: unreachable' });
    expect(crash.writes.size).toBe(0);
  });

  it('the same call gives the same gas twice', () => {
    const a = runtime.execute(counter, 'add', ['5'], ctx(), new MemoryStorage());
    const b = runtime.execute(counter, 'add', ['5'], ctx(), new MemoryStorage());
    expect(a.status).toBe('success');
    expect(b.gasUsed).toBe(a.gasUsed);
  });
});
