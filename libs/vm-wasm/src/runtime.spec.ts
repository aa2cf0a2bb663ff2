import { createHash } from 'node:crypto';
import { InvalidInputError } from '@mesh/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeArgs } from './abi';
import { PluginRejectedError, UnknownMethodError } from './errors';
import { DEFAULT_GAS_SCHEDULE } from './gas';
import { MemoryStorage } from './memory-storage';
import { WasmRuntime } from './runtime';
import { CallContext } from './types';

// Hand-written modules in the text format, assembled with binaryen (shipped with assemblyscript).
type Binaryen = typeof import('assemblyscript/binaryen').default;
let binaryen: Binaryen;
function wat(text: string): Uint8Array {
  const mod = binaryen.parseText(text);
  mod.setFeatures(
    binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.SignExt | binaryen.Features.MutableGlobals,
  );
  if (!mod.validate()) throw new Error('test module does not validate');
  const bytes = mod.emitBinary();
  mod.dispose();
  return bytes;
}

const BASE = DEFAULT_GAS_SCHEDULE.callBase;
const ALICE = '0x' + 'a1'.repeat(20);
const ctx = (over: Partial<CallContext> = {}): CallContext => ({
  caller: ALICE,
  blockHeight: 42n,
  blockTime: 1_700_000_000_123n,
  gasLimit: 1_000_000n,
  ...over,
});
const hex = (s: string) => Buffer.from(s).toString('hex');
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

const HOST = `
  (import "mesh" "storage_get" (func $get (param i32 i32 i32) (result i32)))
  (import "mesh" "storage_set" (func $set (param i32 i32 i32 i32)))
  (import "mesh" "storage_delete" (func $del (param i32 i32)))
  (import "mesh" "caller" (func $caller (param i32)))
  (import "mesh" "block_height" (func $height (result i64)))
  (import "mesh" "block_time" (func $time (result i64)))
  (import "mesh" "args_len" (func $args_len (result i32)))
  (import "mesh" "args_read" (func $args_read (param i32)))
  (import "mesh" "emit" (func $emit (param i32 i32 i32 i32)))
  (import "mesh" "revert" (func $revert (param i32 i32)))
  (import "mesh" "set_return" (func $ret (param i32 i32)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))`;

// Memory layout: 0 "key", 8 "val", 16 "other", 32 "Ping", 40 '{"x":1}', 64 "no way", 256.. scratch.
const PLUGIN = `(module ${HOST}
  (memory (export "memory") 1 4)
  (data (i32.const 0) "key")
  (data (i32.const 8) "val")
  (data (i32.const 16) "other")
  (data (i32.const 32) "Ping")
  (data (i32.const 40) "{\\"x\\":1}")
  (data (i32.const 64) "no way")
  (data (i32.const 108) "\\06\\00\\00\\00b\\00o\\00o\\00")
  (func (export "init") (call $set (i32.const 0) (i32.const 3) (i32.const 8) (i32.const 3)))
  (func (export "put") (call $set (i32.const 0) (i32.const 3) (i32.const 8) (i32.const 3)))
  ;; set, read back into 256, return what was read
  (func (export "putGet") (local $n i32)
    (call $set (i32.const 0) (i32.const 3) (i32.const 8) (i32.const 3))
    (local.set $n (call $get (i32.const 0) (i32.const 3) (i32.const 256)))
    (call $ret (i32.const 256) (local.get $n)))
  (func (export "getKey") (local $n i32)
    (local.set $n (call $get (i32.const 0) (i32.const 3) (i32.const 256)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (call $ret (i32.const 64) (i32.const 2)) (return)))
    (call $ret (i32.const 256) (local.get $n)))
  (func (export "delGet")
    (call $del (i32.const 0) (i32.const 3))
    (if (i32.ne (call $get (i32.const 0) (i32.const 3) (i32.const 256)) (i32.const -1)) (then (unreachable))))
  (func (export "emitThenRevert")
    (call $set (i32.const 16) (i32.const 5) (i32.const 8) (i32.const 3))
    (call $emit (i32.const 32) (i32.const 4) (i32.const 40) (i32.const 7))
    (call $revert (i32.const 64) (i32.const 6)))
  (func (export "emitOk")
    (call $emit (i32.const 32) (i32.const 4) (i32.const 40) (i32.const 7)))
  (func (export "longValue") (call $set (i32.const 0) (i32.const 3) (i32.const 256) (i32.const 32)))
  (func (export "emptyValue") (call $set (i32.const 0) (i32.const 3) (i32.const 8) (i32.const 0)))
  (func (export "longKey") (call $set (i32.const 256) (i32.const 65) (i32.const 8) (i32.const 3)))
  (func (export "badPointer") (call $set (i32.const 0) (i32.const 3) (i32.const 262140) (i32.const 8)))
  (func (export "context")
    (call $caller (i32.const 256))
    (i64.store (i32.const 276) (call $height))
    (i64.store (i32.const 284) (call $time))
    (call $ret (i32.const 256) (i32.const 36)))
  (func (export "echoArgs") (local $n i32)
    (local.set $n (call $args_len))
    (call $args_read (i32.const 512))
    (call $ret (i32.const 512) (local.get $n)))
  (func (export "abortWithMessage") (call $abort (i32.const 112) (i32.const 0) (i32.const 7) (i32.const 3)))
  (func (export "two") (drop (i32.const 1)))
  (func (export "branch") (if (i32.const 1) (then (nop) (nop)) (else (nop))))
  (func (export "count") (local $i i32)
    (local.set $i (i32.wrap_i64 (call $height)))
    (loop $l (br_if $l (local.tee $i (i32.sub (local.get $i) (i32.const 1))))))
  (func (export "spin")
    (call $set (i32.const 0) (i32.const 3) (i32.const 8) (i32.const 3))
    (loop $l (br $l)))
  (func $rec (export "recurse") (call $rec))
  (func (export "grow1") (if (i32.lt_s (memory.grow (i32.const 1)) (i32.const 0)) (then (unreachable))))
  (func (export "growForever") (loop $l (br_if $l (i32.ge_s (memory.grow (i32.const 1)) (i32.const 0)))) (unreachable))
  (func (export "fill") (memory.fill (i32.const 0) (i32.const 0) (i32.const 65536)))
  (func (export "divZero") (drop (i32.div_s (i32.const 1) (i32.wrap_i64 (call $time)))) (drop (i32.div_s (i32.const 1) (i32.const 0))))
  (func (export "_hidden"))
  (func (export "withParam") (param i32))
  (func (export "withResult") (result i32) (i32.const 1))
)`;

let runtime: WasmRuntime;
let code: Uint8Array;

beforeAll(async () => {
  binaryen = (await import('assemblyscript/binaryen')).default;
  runtime = new WasmRuntime();
  code = wat(PLUGIN);
});

describe('WasmRuntime.prepare', () => {
  it('lists the callable methods, init and the code hash', () => {
    const plugin = runtime.prepare(code);
    expect(plugin.hasInit).toBe(true);
    expect(plugin.methods).toContain('put');
    expect(plugin.methods).not.toContain('init');
    expect(plugin.methods).not.toContain('_hidden');
    expect(plugin.methods).not.toContain('withParam');
    expect(plugin.methods).not.toContain('withResult');
    expect(plugin.methods).not.toContain('memory');
    expect(plugin.codeHash).toBe(createHash('sha256').update(code).digest('hex'));
    expect(plugin.meteredCode.length).toBeGreaterThan(code.length);
  });

  it('refuses bytes that are not WebAssembly', () => {
    const attempt = () => runtime.prepare(new TextEncoder().encode('definitely not wasm'));
    expect(attempt).toThrow(PluginRejectedError);
    expect(attempt).toThrow(/not a valid WebAssembly module/);
    try {
      attempt();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as PluginRejectedError).code).toBe('INVALID_INPUT');
      expect((e as PluginRejectedError).details).toMatchObject({ reason: 'invalid_wasm' });
    }
    expect(() => runtime.prepare(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]))).toThrow(PluginRejectedError);
  });

  it.each([
    ['env', 'seed', '(func (result f64))', 'env.seed'],
    ['env', 'trace', '(func (param i32 i32 f64 f64 f64 f64 f64))', 'env.trace'],
    ['wasi_snapshot_preview1', 'fd_write', '(func (param i32 i32 i32 i32) (result i32))', 'wasi_snapshot_preview1.fd_write'],
    ['mesh', 'storage_scan', '(func (param i32))', 'mesh.storage_scan'],
    ['Date', 'now', '(func (result f64))', 'Date.now'],
  ])('refuses an import outside the ABI: %s.%s', (module, field, desc, name) => {
    const bytes = wat(`(module (import "${module}" "${field}" ${desc}) (memory (export "memory") 1) (func (export "f")))`);
    let error: unknown;
    try {
      runtime.prepare(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PluginRejectedError);
    expect((error as Error).message).toContain(`import ${name} is not part of the host ABI`);
    expect((error as PluginRejectedError).details).toMatchObject({ reason: 'forbidden_import', import: name });
  });

  it('refuses an ABI import with the wrong signature, and imported memories or globals', () => {
    expect(() => runtime.prepare(wat(`(module (import "mesh" "caller" (func (param i64))) (memory (export "memory") 1))`))).toThrow(
      /import mesh.caller has signature \(i64\) -> \(\), the ABI says \(i32\) -> \(\)/,
    );
    expect(() => runtime.prepare(wat(`(module (import "env" "memory" (memory 1)) (export "memory" (memory 0)))`))).toThrow(
      /import env.memory is not part of the host ABI/,
    );
  });

  it('refuses modules without an exported memory, or with more memory than the cap', () => {
    expect(() => runtime.prepare(wat(`(module (func (export "f")))`))).toThrow(/exactly one memory/);
    expect(() => runtime.prepare(wat(`(module (memory 1) (func (export "f")))`))).toThrow(/export its memory as 'memory'/);
    expect(() => runtime.prepare(wat(`(module (memory (export "memory") 17))`))).toThrow(
      /initial memory of 17 pages exceeds the cap of 16/,
    );
    expect(() => new WasmRuntime({ maxMemoryPages: 32 }).prepare(wat(`(module (memory (export "memory") 17))`))).not.toThrow();
  });

  it('refuses reserved export names, a malformed init and already prepared code', () => {
    expect(() => runtime.prepare(wat(`(module (memory (export "memory") 1) (global (export "__mesh_gas") i32 (i32.const 0)))`))).toThrow(
      /export name __mesh_gas is reserved/,
    );
    expect(() => runtime.prepare(wat(`(module (memory (export "memory") 1) (func (export "init") (param i32)))`))).toThrow(/export init/);
    expect(() => runtime.prepare(runtime.prepare(code).meteredCode)).toThrow(PluginRejectedError);
  });
});

describe('WasmRuntime.execute', () => {
  it('throws UnknownMethodError for a method the plugin does not have or that is not callable', () => {
    const plugin = runtime.prepare(code);
    for (const method of ['nope', '_hidden', 'withParam', 'memory', 'constructor']) {
      expect(() => runtime.execute(plugin, method, [], ctx(), new MemoryStorage())).toThrow(UnknownMethodError);
    }
    expect(() => runtime.execute(plugin, 'nope', [], ctx(), new MemoryStorage())).toThrow(InvalidInputError);
  });

  it('runs init (executeInit, or execute with "init") with the deployer as caller', () => {
    const plugin = runtime.prepare(code);
    const result = runtime.executeInit(plugin, [], ctx(), new MemoryStorage());
    expect(result.status).toBe('success');
    expect(result.writes.get(hex('key'))).toEqual(new TextEncoder().encode('val'));
    expect(runtime.execute(plugin, 'init', [], ctx(), new MemoryStorage()).status).toBe('success');
    const noInit = runtime.prepare(wat(`(module (memory (export "memory") 1) (func (export "f")))`));
    expect(noInit.hasInit).toBe(false);
    expect(runtime.executeInit(noInit, [], ctx(), new MemoryStorage())).toMatchObject({ status: 'success', gasUsed: BASE });
    expect(() => runtime.execute(noInit, 'init', [], ctx(), new MemoryStorage())).toThrow(UnknownMethodError);
  });

  it('reads see the call’s own writes; writes, reads and deletes are reported by hex key', () => {
    const plugin = runtime.prepare(code);
    const r = runtime.execute(plugin, 'putGet', [], ctx(), new MemoryStorage());
    expect(r.status).toBe('success');
    expect(text(r.returnData)).toBe('val');
    expect([...r.writes.keys()]).toEqual([hex('key')]);
    expect([...r.reads]).toEqual([hex('key')]);

    const storage = new MemoryStorage(new Map([[hex('key'), new Uint8Array([7, 8])]]));
    expect(runtime.execute(plugin, 'getKey', [], ctx(), storage).returnData).toEqual(new Uint8Array([7, 8]));
    expect(text(runtime.execute(plugin, 'getKey', [], ctx(), new MemoryStorage()).returnData)).toBe('no');

    const del = runtime.execute(plugin, 'delGet', [], ctx(), storage);
    expect(del.status).toBe('success');
    expect(del.writes.get(hex('key'))).toBeNull();
  });

  it('collects events on success; a revert discards writes and events but charges gas', () => {
    const plugin = runtime.prepare(code);
    const ok = runtime.execute(plugin, 'emitOk', [], ctx(), new MemoryStorage());
    expect(ok.events).toEqual([{ name: 'Ping', data: '{"x":1}' }]);
    const r = runtime.execute(plugin, 'emitThenRevert', [], ctx(), new MemoryStorage());
    expect(r).toMatchObject({ status: 'reverted', error: 'no way', events: [] });
    expect(r.writes.size).toBe(0);
    expect(r.returnData.length).toBe(0);
    expect(r.gasUsed).toBeGreaterThan(BASE);
  });

  it.each([
    ['longValue', 'storage_set: value length 32 outside 1..31'],
    ['emptyValue', 'storage_set: value length 0 outside 1..31'],
    ['longKey', 'storage_set: key length 65 outside 1..64'],
  ])('storage limits fail the call: %s', (method, error) => {
    const r = runtime.execute(runtime.prepare(code), method, [], ctx(), new MemoryStorage());
    expect(r).toMatchObject({ status: 'reverted', error });
    expect(r.writes.size).toBe(0);
  });

  it('a host call with a pointer outside memory traps', () => {
    const r = runtime.execute(runtime.prepare(code), 'badPointer', [], ctx(), new MemoryStorage());
    expect(r.status).toBe('trap');
    expect(r.error).toMatch(/storage_set: memory access out of bounds/);
  });

  it('gives the plugin the caller, block height and time, and the encoded arguments', () => {
    const plugin = runtime.prepare(code);
    const r = runtime.execute(plugin, 'context', [], ctx({ caller: '0x' + 'AB'.repeat(20) }), new MemoryStorage());
    expect(Buffer.from(r.returnData.subarray(0, 20)).toString('hex')).toBe('ab'.repeat(20));
    const view = new DataView(r.returnData.buffer, r.returnData.byteOffset);
    expect(view.getBigInt64(20, true)).toBe(42n);
    expect(view.getBigInt64(28, true)).toBe(1_700_000_000_123n);

    const args = ['0x' + '12'.repeat(20), '1000', '', 'héllo'];
    const echoed = runtime.execute(plugin, 'echoArgs', args, ctx(), new MemoryStorage()).returnData;
    expect(echoed).toEqual(encodeArgs(args));
    expect([...echoed.subarray(0, 4)]).toEqual([42, 0, 0, 0]);
    expect(() => runtime.execute(plugin, 'context', [], ctx({ caller: 'alice' }), new MemoryStorage())).toThrow(InvalidInputError);
  });

  it('decodes an AssemblyScript abort message', () => {
    const r = runtime.execute(runtime.prepare(code), 'abortWithMessage', [], ctx(), new MemoryStorage());
    expect(r).toMatchObject({ status: 'trap', error: 'abort: boo' });
  });

  it('wasm traps are a status, not an exception', () => {
    const r = runtime.execute(runtime.prepare(code), 'divZero', [], ctx(), new MemoryStorage());
    expect(r.status).toBe('trap');
    expect(r.error).toMatch(/wasm trap: .*divi/i);
  });

  it('rethrows a failure of the StorageView itself (a host problem, not a plugin fault)', () => {
    const broken = {
      get(): Uint8Array | undefined {
        throw new Error('database is down');
      },
    };
    expect(() => runtime.execute(runtime.prepare(code), 'getKey', [], ctx(), broken)).toThrow('database is down');
  });
});

describe('gas', () => {
  it('charges the base cost plus one per instruction of each metered block', () => {
    const plugin = runtime.prepare(code);
    expect(runtime.execute(plugin, 'two', [], ctx(), new MemoryStorage()).gasUsed).toBe(BASE + 2n);
    // i32.const + if, then the taken arm (two nops); the else arm is not charged.
    expect(runtime.execute(plugin, 'branch', [], ctx(), new MemoryStorage()).gasUsed).toBe(BASE + 4n);
  });

  it('is deterministic and linear in the work done', () => {
    const plugin = runtime.prepare(code);
    const gas = (height: bigint) => runtime.execute(plugin, 'count', [], ctx({ blockHeight: height }), new MemoryStorage()).gasUsed;
    expect(gas(100n)).toBe(gas(100n));
    const perIteration = (gas(2000n) - gas(1000n)) / 1000n;
    expect(gas(3000n) - gas(2000n)).toBe(perIteration * 1000n);
    expect(perIteration).toBeGreaterThan(0n);
    expect(perIteration).toBeLessThan(10n);
  });

  it('an endless loop ends out of gas with gasUsed = gasLimit and no writes', () => {
    const plugin = runtime.prepare(code);
    const r = runtime.execute(plugin, 'spin', [], ctx({ gasLimit: 200_000n }), new MemoryStorage());
    expect(r).toMatchObject({ status: 'out_of_gas', gasUsed: 200_000n });
    expect(r.writes.size).toBe(0);
    expect(r.error).toMatch(/out of gas/);
  });

  it('a gas limit below the base cost is out of gas at once; a gas limit outside i64 is refused', () => {
    const plugin = runtime.prepare(code);
    const r = runtime.execute(plugin, 'two', [], ctx({ gasLimit: 10n }), new MemoryStorage());
    expect(r).toMatchObject({ status: 'out_of_gas', gasUsed: 10n });
    expect(() => runtime.execute(plugin, 'two', [], ctx({ gasLimit: -1n }), new MemoryStorage())).toThrow(InvalidInputError);
    expect(() => runtime.execute(plugin, 'two', [], ctx({ gasLimit: 2n ** 63n }), new MemoryStorage())).toThrow(InvalidInputError);
    expect(runtime.execute(plugin, 'two', [], ctx({ gasLimit: 2n ** 63n - 1n }), new MemoryStorage()).status).toBe('success');
  });

  it('host calls cost gas; running out inside one is out of gas too', () => {
    const plugin = runtime.prepare(code);
    const put = runtime.execute(plugin, 'put', [], ctx(), new MemoryStorage()).gasUsed;
    const s = DEFAULT_GAS_SCHEDULE;
    expect(put).toBeGreaterThanOrEqual(BASE + s.hostCall + s.storageWrite + 6n * s.storageWriteByte);
    const r = runtime.execute(plugin, 'put', [], ctx({ gasLimit: put - 1n }), new MemoryStorage());
    expect(r).toMatchObject({ status: 'out_of_gas', gasUsed: put - 1n });
  });

  it('memory.grow and bulk memory operations are charged by size', () => {
    const plugin = runtime.prepare(code);
    const grow = runtime.execute(plugin, 'grow1', [], ctx(), new MemoryStorage());
    expect(grow.status).toBe('success');
    expect(grow.gasUsed).toBeGreaterThanOrEqual(BASE + DEFAULT_GAS_SCHEDULE.memoryPage);
    const fill = runtime.execute(plugin, 'fill', [], ctx(), new MemoryStorage());
    expect(fill.gasUsed).toBeGreaterThanOrEqual(BASE + 65536n / 32n);
  });

  it('a start function runs metered, after the gas is set', () => {
    const plugin = runtime.prepare(
      wat(`(module (memory (export "memory") 1) (func $start (loop $l (br $l))) (start $start) (func (export "f")))`),
    );
    expect(runtime.execute(plugin, 'f', [], ctx({ gasLimit: 50_000n }), new MemoryStorage())).toMatchObject({
      status: 'out_of_gas',
      gasUsed: 50_000n,
    });
  });
});

describe('limits', () => {
  it('growing memory beyond the cap is out_of_memory; a smaller maximum of the module’s own applies', () => {
    const noMax = wat(`(module (memory (export "memory") 1)
      (func (export "growForever") (loop $l (br_if $l (i32.ge_s (memory.grow (i32.const 1)) (i32.const 0)))) (unreachable)))`);
    const r = runtime.execute(runtime.prepare(noMax), 'growForever', [], ctx(), new MemoryStorage());
    expect(r.status).toBe('out_of_memory');
    expect(r.error).toMatch(/beyond 16 pages \(1024 KiB\)/);
    expect(r.gasUsed).toBeGreaterThanOrEqual(BASE + 15n * DEFAULT_GAS_SCHEDULE.memoryPage);
    // PLUGIN declares a maximum of 4 pages.
    const own = runtime.execute(runtime.prepare(code), 'growForever', [], ctx(), new MemoryStorage());
    expect(own).toMatchObject({ status: 'out_of_memory' });
    expect(own.error).toMatch(/beyond 4 pages/);
  });

  it('endless recursion traps deterministically on the call-depth budget', () => {
    const plugin = runtime.prepare(code);
    const a = runtime.execute(plugin, 'recurse', [], ctx({ gasLimit: 10_000_000n }), new MemoryStorage());
    const b = runtime.execute(plugin, 'recurse', [], ctx({ gasLimit: 10_000_000n }), new MemoryStorage());
    expect(a).toMatchObject({ status: 'trap', error: 'call stack too deep' });
    expect(b.gasUsed).toBe(a.gasUsed);
  });

  it('every way out of a function gives its stack budget back (return, br to the function label, fall-through)', () => {
    const plugin = runtime.prepare(
      wat(`(module (memory (export "memory") 1)
        (func $early (param i32) (result i32) (if (local.get 0) (then (return (i32.const 1)))) (i32.const 2))
        (func $brOut (param i32) (result i32) (block $b (drop (br_if 1 (i32.const 3) (local.get 0)))) (i32.const 4))
        (func $table (param i32) (block $a (block $b (br_table $a $b 2 (local.get 0)))))
        (func (export "many") (local $i i32)
          (loop $l
            (drop (call $early (i32.and (local.get $i) (i32.const 1))))
            (drop (call $brOut (i32.and (local.get $i) (i32.const 1))))
            (call $table (i32.rem_u (local.get $i) (i32.const 3)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 30000))))))`),
    );
    expect(runtime.execute(plugin, 'many', [], ctx({ gasLimit: 100_000_000n }), new MemoryStorage()).status).toBe('success');
  });

  it('every call starts from fresh memory, whatever the previous call did to it', () => {
    const plugin = runtime.prepare(
      wat(`(module ${HOST} (memory (export "memory") 1 4) (data (i32.const 16) "seed")
        (func (export "scribble") (i32.store (i32.const 16) (i32.const -1)) (i32.store (i32.const 4000) (i32.const 7)))
        (func (export "scribbleAndGrow") (i32.store (i32.const 4000) (i32.const 9)) (drop (memory.grow (i32.const 2))))
        (func (export "scribbleAndTrap") (i32.store (i32.const 4000) (i32.const 5)) (unreachable))
        (func (export "peek")
          (i32.store (i32.const 0) (i32.load (i32.const 4000)))
          (i32.store (i32.const 4) (memory.size))
          (call $ret (i32.const 0) (i32.const 20))))`),
    );
    const fresh = runtime.execute(plugin, 'peek', [], ctx(), new MemoryStorage());
    expect(Buffer.from(fresh.returnData).toString('hex')).toBe(
      '00000000' + '01000000' + '0'.repeat(16) + Buffer.from('seed').toString('hex'),
    );
    for (const dirty of ['scribble', 'scribbleAndGrow', 'scribbleAndTrap']) {
      runtime.execute(plugin, dirty, [], ctx(), new MemoryStorage());
      expect(runtime.execute(plugin, 'peek', [], ctx(), new MemoryStorage())).toEqual(fresh);
    }
  });

  it('refuses features the metering does not cover (SIMD)', async () => {
    const mod = binaryen.parseText(`(module (memory (export "memory") 1) (func (export "f") (drop (v128.const i64x2 1 2))))`);
    mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128);
    const bytes = mod.emitBinary();
    mod.dispose();
    expect(() => runtime.prepare(bytes)).toThrow(/unsupported WebAssembly feature: SIMD/);
  });
});

describe('robustness', () => {
  it('mutated modules are either refused with PluginRejectedError or run with a status', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const bytes = code.slice();
      for (let k = 1 + rand(3); k > 0; k--) bytes[8 + rand(bytes.length - 8)] = rand(256);
      let plugin;
      try {
        plugin = runtime.prepare(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(PluginRejectedError);
        continue;
      }
      accepted++;
      for (const method of plugin.methods.slice(0, 8)) {
        const r = runtime.execute(plugin, method, ['x'], ctx({ gasLimit: 200_000n }), new MemoryStorage());
        expect(['success', 'reverted', 'out_of_gas', 'trap', 'out_of_memory']).toContain(r.status);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('instance reuse', () => {
  // Mutable globals (i32, i64, f64), a data segment, a table: every call must see them as a new
  // instance would, whatever the previous call did before it stopped.
  const STATEFUL = `(module ${HOST}
    (memory (export "memory") 1 4)
    (data (i32.const 16) "seed")
    (global $n (mut i32) (i32.const 7))
    (global $w (mut i64) (i64.const -3))
    (global $f (mut f64) (f64.const 1.5))
    (table 2 funcref)
    (elem (i32.const 0) $one $two)
    (type $t (func (result i32)))
    (func $one (result i32) (i32.const 1))
    (func $two (result i32) (i32.const 2))
    (func $dirty
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (global.set $w (i64.mul (global.get $w) (i64.const 5)))
      (global.set $f (f64.add (global.get $f) (f64.const 2)))
      (i32.store (i32.const 16) (i32.const -1))
      (i32.store (i32.const 4000) (i32.add (i32.load (i32.const 4000)) (i32.const 1))))
    (func $deep (param $d i32) (if (local.get $d) (then (call $deep (i32.sub (local.get $d) (i32.const 1))))))
    (func (export "report")
      (call $dirty)
      (i32.store (i32.const 100) (global.get $n))
      (i64.store (i32.const 104) (global.get $w))
      (f64.store (i32.const 112) (global.get $f))
      (i32.store (i32.const 120) (i32.load (i32.const 4000)))
      (i32.store (i32.const 124) (call_indirect (type $t) (i32.const 1)))
      (i32.store (i32.const 128) (memory.size))
      (call $ret (i32.const 16) (i32.const 116)))
    (func (export "dirtyAndTrap") (call $dirty) (unreachable))
    (func (export "dirtyAndRevert") (call $dirty) (call $revert (i32.const 16) (i32.const 4)))
    (func (export "dirtyAndSpin") (call $dirty) (loop $l (br $l)))
    (func (export "dirtyAndRecurse") (call $dirty) (call $deep (i32.const 1000000)))
    (func (export "dirtyAndGrow") (call $dirty) (drop (memory.grow (i32.const 1))))
    (func (export "dirtyAndGrowTooFar") (call $dirty) (drop (memory.grow (i32.const 100))) (unreachable)))`;

  it('a resettable plugin keeps its instance, and every call still starts from the fresh state', () => {
    const plugin = runtime.prepare(wat(STATEFUL));
    expect(plugin.resetGlobals).toBeDefined();
    const first = runtime.execute(plugin, 'report', [], ctx(), new MemoryStorage());
    expect(first.status).toBe('success');
    const out = Buffer.from(first.returnData);
    expect(out.readInt32LE(100 - 16)).toBe(8);
    expect(out.readBigInt64LE(104 - 16)).toBe(-15n);
    expect(out.readDoubleLE(112 - 16)).toBe(3.5);
    expect(out.readInt32LE(120 - 16)).toBe(1);
    expect(out.readInt32LE(124 - 16)).toBe(2);
    expect(plugin.live).toBeDefined();
    const dirty = ['dirtyAndTrap', 'dirtyAndRevert', 'dirtyAndSpin', 'dirtyAndRecurse', 'dirtyAndGrow', 'dirtyAndGrowTooFar', 'report'];
    for (const method of dirty) {
      const r = runtime.execute(plugin, method, [], ctx({ gasLimit: 200_000n }), new MemoryStorage());
      expect(r.status === 'success' || method !== 'report').toBe(true);
      expect(runtime.execute(plugin, 'report', [], ctx(), new MemoryStorage())).toEqual(first);
    }
  });

  it('gives the same results as a new instance per call, call after call (differential)', () => {
    const reused = runtime.prepare(code);
    expect(reused.resetGlobals).toBeDefined();
    const methods = reused.methods;
    const a = new MemoryStorage();
    const b = new MemoryStorage();
    let seed = 99;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 120; i++) {
      const method = methods[rand(methods.length)];
      const c = ctx({ gasLimit: BigInt(2_000 + rand(400_000)) });
      const x = runtime.execute(reused, method, [String(rand(9))], c, a);
      // A new runtime and a new load: nothing can be left over from an earlier call.
      const fresh = new WasmRuntime();
      const y = fresh.execute(fresh.load(reused.meteredCode), method, [String(rand(9))], c, b);
      expect(x).toEqual(y);
      a.apply(x);
      b.apply(y);
    }
  });

  it('a plugin whose code can drop segments or change tables gets a new instance per call', () => {
    const plugin = runtime.prepare(
      wat(`(module ${HOST} (memory (export "memory") 1 4) (data $p "once")
        (func (export "take") (memory.init $p (i32.const 0) (i32.const 0) (i32.const 4)) (data.drop $p)
          (call $ret (i32.const 0) (i32.const 4))))`),
    );
    expect(plugin.resetGlobals).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      const r = runtime.execute(plugin, 'take', [], ctx(), new MemoryStorage());
      expect(r.status).toBe('success');
      expect(text(r.returnData)).toBe('once');
    }
    expect(plugin.live).toBeUndefined();
  });

  it('an instance is only reused by the runtime whose host functions it imports', () => {
    const plugin = runtime.prepare(wat(STATEFUL));
    const other = new WasmRuntime();
    const x = runtime.execute(plugin, 'report', [], ctx(), new MemoryStorage());
    const y = other.execute(plugin, 'report', [], ctx({ caller: '0x' + 'b2'.repeat(20) }), new MemoryStorage());
    expect(y).toEqual(x);
    expect(runtime.execute(plugin, 'report', [], ctx(), new MemoryStorage())).toEqual(x);
  });
});

describe('load', () => {
  it('loads stored metered code without re-instrumenting it, with the same behaviour', () => {
    const prepared = runtime.prepare(code);
    const loaded = runtime.load(prepared.meteredCode);
    expect(loaded.methods).toEqual(prepared.methods);
    expect(loaded.codeHash).toBe(prepared.codeHash);
    expect(loaded.hasInit).toBe(true);
    expect(loaded.meteredCode).toEqual(prepared.meteredCode);
    const a = runtime.execute(prepared, 'count', [], ctx(), new MemoryStorage());
    const b = runtime.execute(loaded, 'count', [], ctx(), new MemoryStorage());
    expect(b.gasUsed).toBe(a.gasUsed);
    // A fresh runtime with the same configuration loads it too (an SPN restart).
    expect(new WasmRuntime().load(prepared.meteredCode).methods).toEqual(prepared.methods);
  });

  it('refuses code that was not prepared, or prepared under another configuration', () => {
    expect(() => runtime.load(code)).toThrow(/not a prepared plugin/);
    const other = new WasmRuntime({ gasSchedule: { instruction: 2n } });
    expect(() => other.load(runtime.prepare(code).meteredCode)).toThrow(/another runtime configuration/);
    expect(() => other.execute(runtime.prepare(code), 'two', [], ctx(), new MemoryStorage())).toThrow(InvalidInputError);
  });
});

describe('unmetered runtime (benchmarks only)', () => {
  it('runs the same calls without charging gas', () => {
    const unmetered = new WasmRuntime({ metering: false });
    const plugin = unmetered.prepare(code);
    const r = unmetered.execute(plugin, 'putGet', [], ctx(), new MemoryStorage());
    expect(r).toMatchObject({ status: 'success', gasUsed: 0n });
    expect(text(r.returnData)).toBe('val');
    expect(unmetered.execute(plugin, 'growForever', [], ctx(), new MemoryStorage()).status).toBe('out_of_memory');
  });
});
