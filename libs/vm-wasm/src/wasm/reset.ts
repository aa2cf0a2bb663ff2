/**
 * Instance reuse: what makes an instance of an instrumented plugin resettable to the state a fresh
 * instantiation would give it, and the module that lets the host do it.
 *
 * A fresh instance is: the imported memory zeroed and the active data segments written, every
 * global at its initial value, the tables as the active element segments made them, and every
 * passive segment still present. The host can restore the first two from a snapshot taken right
 * after instantiation (memory bytes, and the mutable globals, which `resettableModule` exports
 * under reserved names). The last two cannot be restored from JS, so a module whose code can
 * change them (table.set/grow/fill/copy/init, elem.drop, data.drop) is not resettable: it gets
 * a new instance per call, as before.
 *
 * The exports added here are not part of the stored (metered) code: `WasmRuntime` derives this
 * module from it when loading, so stored plugins and their metering are unchanged.
 */
import { ByteWriter, nameBytes, Reader, WasmFormatError } from './binary';
import { decodeInstructions } from './instrument';
import { EXTERNAL, ParsedModule, SECTION, VALTYPE } from './module';

/** Name under which global `index` is exported for resetting. */
export const resetGlobalExport = (index: number): string => `__mesh_reset_g${index}`;

/** Instructions that change tables or drop segments: state a snapshot cannot restore. */
const UNRESETTABLE_OPS = new Set([
  0x26, // table.set
  0xfc09, // data.drop
  0xfc0c, // table.init
  0xfc0d, // elem.drop
  0xfc0e, // table.copy
  0xfc0f, // table.grow
  0xfc11, // table.fill
]);

/** Skips one constant expression (up to and including its `end`). */
function skipConstExpr(r: Reader): void {
  for (;;) {
    const op = r.byte();
    switch (op) {
      case 0x0b:
        return;
      case 0x41:
        r.skipSleb(32);
        break;
      case 0x42:
        r.skipSleb(64);
        break;
      case 0x43:
        r.skip(4);
        break;
      case 0x44:
        r.skip(8);
        break;
      case 0x23: // global.get
      case 0xd2: // ref.func
        r.u32();
        break;
      case 0xd0: // ref.null
        r.s33();
        break;
      case 0x6a: // extended constant expressions: i32/i64 add, sub, mul
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;
      default:
        throw new WasmFormatError(`unsupported constant expression opcode 0x${op.toString(16)}`);
    }
  }
}

/**
 * The indexes of the module's mutable globals when an instance of it can be reset by restoring
 * memory and those globals; undefined when it cannot (or when this cannot tell).
 */
export function resettableGlobals(m: ParsedModule): number[] | undefined {
  try {
    for (const body of m.bodies) {
      for (const ins of decodeInstructions(body.code)) if (UNRESETTABLE_OPS.has(ins.op)) return undefined;
    }
    const mutable: number[] = [];
    const r = new Reader(m.globalsRaw);
    for (let i = 0; i < m.globalCount; i++) {
      const type = r.byte();
      const mut = r.byte();
      skipConstExpr(r);
      if (mut !== 1) continue;
      if (type === VALTYPE.v128) return undefined; // not reachable from JS
      mutable.push(i);
    }
    return mutable;
  } catch (e) {
    if (e instanceof WasmFormatError) return undefined;
    throw e;
  }
}

/** `code` with its export section extended by one export per global of `globals` (`resetGlobalExport`). */
export function resettableModule(code: Uint8Array, m: ParsedModule, globals: readonly number[]): Uint8Array {
  const exportEntries = new ByteWriter().u32(m.exports.length + globals.length);
  for (const e of m.exports) exportEntries.bytes(nameBytes(e.name)).push(e.kind).u32(e.index);
  for (const g of globals)
    exportEntries
      .bytes(nameBytes(resetGlobalExport(g)))
      .push(EXTERNAL.global)
      .u32(g);
  const exportSection = exportEntries.finish();

  const out = new ByteWriter().bytes(code.subarray(0, 8));
  const r = new Reader(code, 8);
  let replaced = false;
  while (!r.done) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u32();
    r.skip(size);
    if (id === SECTION.export) {
      out.push(SECTION.export).sized(exportSection);
      replaced = true;
    } else {
      out.bytes(code.subarray(start, r.pos));
    }
  }
  if (!replaced) throw new Error('vm-wasm: an instrumented module always has an export section');
  return out.finish();
}
