/** The host ABI: every import a plugin may declare, with its exact signature. */
import { FuncType, VALTYPE } from './wasm/module';

const { i32, i64 } = VALTYPE;

export const HOST_IMPORTS: Readonly<Record<string, Readonly<Record<string, FuncType>>>> = {
  mesh: {
    storage_get: { params: [i32, i32, i32], results: [i32] },
    storage_set: { params: [i32, i32, i32, i32], results: [] },
    storage_delete: { params: [i32, i32], results: [] },
    caller: { params: [i32], results: [] },
    block_height: { params: [], results: [i64] },
    block_time: { params: [], results: [i64] },
    args_len: { params: [], results: [i32] },
    args_read: { params: [i32], results: [] },
    emit: { params: [i32, i32, i32, i32], results: [] },
    revert: { params: [i32, i32], results: [] },
    set_return: { params: [i32, i32], results: [] },
    send_message: { params: [i32, i32], results: [] },
  },
  env: {
    // AssemblyScript's abort(message, fileName, line, column)
    abort: { params: [i32, i32, i32, i32], results: [] },
  },
};

/** Limits of the storage interface: keys 1..64 bytes, values 1..31 bytes (a BN254 field element). */
export const MAX_KEY_BYTES = 64;
export const MAX_VALUE_BYTES = 31;
/** Bytes `mesh.caller` writes. */
export const ADDRESS_BYTES = 20;

const NAMES: Record<number, string> = {
  0x7f: 'i32',
  0x7e: 'i64',
  0x7d: 'f32',
  0x7c: 'f64',
  0x7b: 'v128',
  0x70: 'funcref',
  0x6f: 'externref',
};

export function formatFuncType(t: FuncType): string {
  const list = (v: number[]) => v.map((x) => NAMES[x] ?? `0x${x.toString(16)}`).join(', ');
  return `(${list(t.params)}) -> (${list(t.results)})`;
}

export function sameFuncType(a: FuncType, b: FuncType): boolean {
  const eq = (x: number[], y: number[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.params, b.params) && eq(a.results, b.results);
}

/**
 * Encodes call arguments as the plugin reads them through `args_read`: for each argument, its
 * UTF-8 byte length as a u32 little-endian, then the bytes.
 */
export function encodeArgs(args: readonly string[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts = args.map((a) => encoder.encode(a));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const p of parts) {
    view.setUint32(pos, p.length, true);
    out.set(p, pos + 4);
    pos += 4 + p.length;
  }
  return out;
}
