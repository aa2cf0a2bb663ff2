import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage, WasmRuntime } from '@mesh/vm-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin, PluginBuildError } from './build';

// A plugin outside the repository, importing the SDK as "mesh-sdk", exercising the SDK helpers
// the examples do not use.
const SOURCE = `
import { Args, Context, Storage, setReturnString, revert } from "mesh-sdk";

export function strings(): void {
  const key = Args.nextString();
  const value = Args.nextString();
  const before = Storage.has(key) ? "had" : "new";
  Storage.setString(key, value);
  setReturnString(before + ":" + Storage.getString(key) + ":" + Storage.getString("missing", "dflt"));
}

export function remove(): void {
  const key = Args.nextString();
  Storage.delete(key);
  setReturnString(Storage.has(key) ? "still" : "gone");
}

export function context(): void {
  setReturnString(Context.caller() + "@" + Context.blockHeight().toString() + "/" + Context.blockTime().toString());
}

export function address(): void {
  const a = Args.nextAddress();
  Storage.setAddress("a", a);
  const back = Storage.getAddress("a");
  if (back == null) revert("lost");
  setReturnString(back!);
}

export function rest(): void {
  let n = 0;
  while (Args.hasNext()) { Args.nextString(); n++; }
  setReturnString(n.toString());
}
`;

let work: string;
let runtime: WasmRuntime;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mesh-sdk-'));
  runtime = new WasmRuntime();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function writePlugin(name: string, source: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'assembly'), { recursive: true });
  writeFileSync(join(dir, 'assembly', 'index.ts'), source);
  return dir;
}

describe('buildPlugin and the SDK', () => {
  it('builds a plugin that imports "mesh-sdk" to <dir>/build/plugin.wasm, and the SDK helpers work', async () => {
    const built = await buildPlugin(writePlugin('helpers', SOURCE));
    expect(built.wasmPath).toBe(join(work, 'helpers', 'build', 'plugin.wasm'));
    const plugin = runtime.prepare(new Uint8Array(readFileSync(built.wasmPath)));
    const ctx = { caller: '0x' + 'Ab'.repeat(20), blockHeight: 12n, blockTime: 1_700_000_000_999n, gasLimit: 1_000_000n };
    const state = new MemoryStorage();
    const call = (method: string, args: string[] = []) => {
      const r = runtime.execute(plugin, method, args, ctx, state);
      expect(r.error).toBeUndefined();
      state.apply(r);
      return Buffer.from(r.returnData).toString();
    };
    expect(call('strings', ['name', 'héllo'])).toBe('new:héllo:dflt');
    expect(call('strings', ['name', 'again'])).toBe('had:again:dflt');
    expect(call('remove', ['name'])).toBe('gone');
    expect(state.values.size).toBe(0);
    expect(call('context')).toBe(`0x${'ab'.repeat(20)}@12/1700000000999`);
    expect(call('address', ['0x' + 'CD'.repeat(20)])).toBe('0x' + 'cd'.repeat(20));
    expect(call('rest', ['a', 'b', ''])).toBe('3');
    const tooLong = runtime.execute(plugin, 'strings', ['k', 'x'.repeat(32)], ctx, state);
    expect(tooLong).toMatchObject({ status: 'reverted', error: 'storage_set: value length 32 outside 1..31' });
  }, 180_000);

  it('reports compile errors as PluginBuildError and leaves no output', async () => {
    const dir = writePlugin('broken', 'export function f(): void { let x: i32 = "nope"; }');
    await expect(buildPlugin(dir)).rejects.toThrow(PluginBuildError);
    await expect(buildPlugin(dir)).rejects.toThrow(/does not compile/);
    expect(existsSync(join(dir, 'build', 'plugin.wasm'))).toBe(false);
    await expect(buildPlugin(join(work, 'missing'))).rejects.toThrow(/no plugin entry/);
  }, 180_000);
});
