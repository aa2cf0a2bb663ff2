import { MESSAGE_LIMITS } from '@mesh/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GAS_SCHEDULE } from './gas';
import { MemoryStorage } from './memory-storage';
import { parseOutboundMessage } from './outbound-message';
import { PreparedPlugin, WasmRuntime } from './runtime';
import { encodeArgs } from './abi';
import type { CallContext } from './types';

// `mesh.send_message` takes the same encoding as call args, so this module's `send` passes its own
// args on as the message: send(dstSpn, plugin, method, ...args).
const MODULE = `(module
  (import "mesh" "args_len" (func $args_len (result i32)))
  (import "mesh" "args_read" (func $args_read (param i32)))
  (import "mesh" "send_message" (func $send (param i32 i32)))
  (import "mesh" "revert" (func $revert (param i32 i32)))
  (memory (export "memory") 2 4)
  (data (i32.const 0) "no")
  (func $forward (call $args_read (i32.const 1024)) (call $send (i32.const 1024) (call $args_len)))
  (func (export "send") (call $forward))
  (func (export "sendTwice") (call $forward) (call $forward))
  (func (export "sendThenRevert") (call $forward) (call $revert (i32.const 0) (i32.const 2)))
  (func (export "sendMany") (local $i i32)
    (loop $again
      (call $forward)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const ${MESSAGE_LIMITS.perCall + 1}))))))`;

let runtime: WasmRuntime;
let plugin: PreparedPlugin;
const ctx = (gasLimit = 1_000_000n): CallContext => ({ caller: '0x' + 'a1'.repeat(20), blockHeight: 1n, blockTime: 1n, gasLimit });
const run = (method: string, args: string[], gasLimit?: bigint) =>
  runtime.execute(plugin, method, args, ctx(gasLimit), new MemoryStorage());

beforeAll(async () => {
  const binaryen = (await import('assemblyscript/binaryen')).default;
  const mod = binaryen.parseText(MODULE);
  mod.setFeatures(binaryen.Features.BulkMemory | binaryen.Features.MutableGlobals);
  if (!mod.validate()) throw new Error('test module does not validate');
  runtime = new WasmRuntime();
  plugin = runtime.prepare(mod.emitBinary());
  mod.dispose();
});

describe('mesh.send_message', () => {
  it('a successful call returns the messages it sent, in order', () => {
    const r = run('sendTwice', ['spn-b', 'bridge', 'receive', '0xabc', '5']);
    expect(r.status).toBe('success');
    const message = { dstSpn: 'spn-b', plugin: 'bridge', method: 'receive', args: ['0xabc', '5'] };
    expect(r.messages).toEqual([message, message]);
  });

  it('costs its base and per-byte gas', () => {
    const bytes = encodeArgs(['spn-b', 'bridge', 'receive', 'x']).length;
    const once = run('send', ['spn-b', 'bridge', 'receive', 'x']);
    const twice = run('sendTwice', ['spn-b', 'bridge', 'receive', 'x']);
    const s = DEFAULT_GAS_SCHEDULE;
    expect(twice.gasUsed - once.gasUsed).toBeGreaterThanOrEqual(s.hostCall + s.message + s.messageByte * BigInt(bytes));
  });

  it('a call that fails after sending sends nothing', () => {
    const r = run('sendThenRevert', ['spn-b', 'bridge', 'receive']);
    expect(r).toMatchObject({ status: 'reverted', error: 'no', messages: [] });
    const poor = run('send', ['spn-b', 'bridge', 'receive'], DEFAULT_GAS_SCHEDULE.callBase + 100n);
    expect(poor).toMatchObject({ status: 'out_of_gas', messages: [] });
  });

  it('a malformed message reverts the call with the reason', () => {
    expect(run('send', ['Spn B', 'bridge', 'receive'])).toMatchObject({
      status: 'reverted',
      error: 'send_message: "Spn B" is not an SPN id (1 to 32 characters a-z, 0-9 or -)',
      messages: [],
    });
    expect(run('send', ['spn-b', 'Bridge!', 'receive']).error).toBe('send_message: "Bridge!" is not a plugin name');
    expect(run('send', ['spn-b', 'bridge', '1x']).error).toBe('send_message: "1x" is not a method name');
    expect(run('send', ['spn-b', 'bridge']).error).toBe('send_message: a message names its destination SPN, plugin and method');
    const tooBig = run('send', ['spn-b', 'bridge', 'receive', 'x'.repeat(MESSAGE_LIMITS.bytes)]);
    expect(tooBig.status).toBe('reverted');
    expect(tooBig.error).toMatch(/^send_message: the message takes \d+ bytes, the limit is 4096$/);
  });

  it(`a call sends at most ${MESSAGE_LIMITS.perCall} messages`, () => {
    expect(run('sendMany', ['spn-b', 'bridge', 'receive'])).toMatchObject({
      status: 'reverted',
      error: `send_message: a call sends at most ${MESSAGE_LIMITS.perCall} messages`,
    });
  });
});

describe('parseOutboundMessage', () => {
  it('reads what encodeArgs writes, and names what is wrong with bytes that are not a message', () => {
    expect(parseOutboundMessage(encodeArgs(['spn-1', 'p', 'm']))).toEqual({ dstSpn: 'spn-1', plugin: 'p', method: 'm', args: [] });
    expect(parseOutboundMessage(new Uint8Array([1, 0]))).toBe('send_message: truncated length prefix');
    expect(parseOutboundMessage(new Uint8Array([9, 0, 0, 0, 65]))).toBe('send_message: a string runs past the end of the message');
    expect(parseOutboundMessage(new Uint8Array([1, 0, 0, 0, 0xff]))).toBe('send_message: a string is not valid UTF-8');
    const manyArgs = encodeArgs(['spn-1', 'p', 'm', ...new Array(MESSAGE_LIMITS.args + 1).fill('a')]);
    expect(parseOutboundMessage(manyArgs)).toBe(`send_message: ${MESSAGE_LIMITS.args + 1} args, the limit is ${MESSAGE_LIMITS.args}`);
  });
});
