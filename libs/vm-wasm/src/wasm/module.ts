/**
 * Parses a WebAssembly module into the parts the instrumenter rewrites (types, functions,
 * memories, globals, exports, start, code) and keeps the others as raw section bytes.
 * The module is assumed to have passed `WebAssembly.validate`; this parser only has to be right
 * about the structure, and throws WasmFormatError on anything it does not support.
 */
import { Reader, WasmFormatError } from './binary';

export const SECTION = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
} as const;

export const EXTERNAL = { func: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;

export const VALTYPE = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b, funcref: 0x70, externref: 0x6f } as const;
const VALTYPES = new Set<number>(Object.values(VALTYPE));

export interface FuncType {
  params: number[];
  results: number[];
}

export interface Import {
  module: string;
  field: string;
  kind: number;
  /** For function imports. */
  typeIndex: number;
  /** For memory imports. */
  limits?: Limits;
}

export interface Export {
  name: string;
  kind: number;
  index: number;
}

export interface Limits {
  min: number;
  max?: number;
}

export interface FunctionBody {
  /** The locals declarations as they appear in the binary (count-prefixed vector). */
  localsRaw: Uint8Array;
  /** Number of locals declared (not counting parameters). */
  localCount: number;
  /** Instructions, including the final `end`. */
  code: Uint8Array;
}

export interface CustomSection {
  name: string;
  content: Uint8Array;
}

export interface ParsedModule {
  types: FuncType[];
  /** Raw type entries (without the count). */
  typesRaw: Uint8Array;
  imports: Import[];
  /** Raw import entries (without the count). */
  importsRaw: Uint8Array;
  /** Type index of each defined function. */
  functions: number[];
  tableSection?: Uint8Array;
  tables: Limits[];
  memories: Limits[];
  globalCount: number;
  /** Raw global entries (without the count). */
  globalsRaw: Uint8Array;
  exports: Export[];
  start?: number;
  elementSection?: Uint8Array;
  dataCountSection?: Uint8Array;
  dataSection?: Uint8Array;
  bodies: FunctionBody[];
  customs: CustomSection[];
}

export function readValType(r: Reader): number {
  const t = r.byte();
  if (!VALTYPES.has(t)) throw new WasmFormatError(`unsupported value type 0x${t.toString(16)} (GC and typed references are not supported)`);
  return t;
}

function readLimits(r: Reader, what: string): Limits {
  const flags = r.byte();
  if (flags === 0) return { min: r.u32() };
  if (flags === 1) {
    const min = r.u32();
    return { min, max: r.u32() };
  }
  throw new WasmFormatError(`unsupported ${what} limits (shared memory, memory64 and custom page sizes are not supported)`);
}

function readTypes(r: Reader): FuncType[] {
  const count = r.u32();
  const types: FuncType[] = [];
  for (let i = 0; i < count; i++) {
    const form = r.byte();
    if (form !== 0x60) throw new WasmFormatError(`unsupported type form 0x${form.toString(16)} (GC types are not supported)`);
    const params: number[] = [];
    for (let n = r.u32(); n > 0; n--) params.push(readValType(r));
    const results: number[] = [];
    for (let n = r.u32(); n > 0; n--) results.push(readValType(r));
    types.push({ params, results });
  }
  return types;
}

function readImports(r: Reader): Import[] {
  const imports: Import[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const module = r.name();
    const field = r.name();
    const kind = r.byte();
    let typeIndex = -1;
    let limits: Limits | undefined;
    switch (kind) {
      case EXTERNAL.func:
        typeIndex = r.u32();
        break;
      case EXTERNAL.table:
        readValType(r);
        readLimits(r, 'table');
        break;
      case EXTERNAL.memory:
        limits = readLimits(r, 'memory');
        break;
      case EXTERNAL.global:
        readValType(r);
        r.byte();
        break;
      case EXTERNAL.tag:
        r.byte();
        r.u32();
        break;
      default:
        throw new WasmFormatError(`unknown import kind ${kind}`);
    }
    imports.push({ module, field, kind, typeIndex, limits });
  }
  return imports;
}

function readBodies(r: Reader): FunctionBody[] {
  const bodies: FunctionBody[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const size = r.u32();
    const end = r.pos + size;
    const localsStart = r.pos;
    let localCount = 0;
    for (let groups = r.u32(); groups > 0; groups--) {
      localCount += r.u32();
      readValType(r);
    }
    const localsRaw = r.bytes.subarray(localsStart, r.pos);
    if (end > r.end || r.pos > end) throw new WasmFormatError('function body out of bounds');
    bodies.push({ localsRaw, localCount, code: r.bytes.subarray(r.pos, end) });
    r.pos = end;
  }
  return bodies;
}

export function parseModule(bytes: Uint8Array): ParsedModule {
  const r = new Reader(bytes);
  const magic = r.slice(4);
  if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) throw new WasmFormatError('not a WebAssembly module');
  const version = r.slice(4);
  if (version[0] !== 1 || version[1] !== 0 || version[2] !== 0 || version[3] !== 0) {
    throw new WasmFormatError('unsupported WebAssembly version (components are not supported)');
  }
  const m: ParsedModule = {
    types: [],
    typesRaw: new Uint8Array(),
    imports: [],
    importsRaw: new Uint8Array(),
    functions: [],
    tables: [],
    memories: [],
    globalCount: 0,
    globalsRaw: new Uint8Array(),
    exports: [],
    bodies: [],
    customs: [],
  };
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    const start = r.pos;
    const end = start + size;
    if (end > bytes.length) throw new WasmFormatError('section out of bounds');
    const content = bytes.subarray(start, end);
    const s = new Reader(bytes, start, end);
    switch (id) {
      case SECTION.custom: {
        const name = s.name();
        m.customs.push({ name, content: bytes.subarray(s.pos, end) });
        break;
      }
      case SECTION.type: {
        m.types = readTypes(s);
        const c = new Reader(bytes, start, end);
        c.u32();
        m.typesRaw = bytes.subarray(c.pos, end);
        break;
      }
      case SECTION.import: {
        m.imports = readImports(s);
        const c = new Reader(bytes, start, end);
        c.u32();
        m.importsRaw = bytes.subarray(c.pos, end);
        break;
      }
      case SECTION.function:
        for (let n = s.u32(); n > 0; n--) m.functions.push(s.u32());
        break;
      case SECTION.table:
        m.tableSection = content;
        for (let n = s.u32(); n > 0; n--) {
          if (s.peek() === 0x40) throw new WasmFormatError('table initialisers are not supported');
          readValType(s);
          m.tables.push(readLimits(s, 'table'));
        }
        break;
      case SECTION.memory:
        for (let n = s.u32(); n > 0; n--) m.memories.push(readLimits(s, 'memory'));
        break;
      case SECTION.global:
        m.globalCount = s.u32();
        m.globalsRaw = bytes.subarray(s.pos, end);
        break;
      case SECTION.export:
        for (let n = s.u32(); n > 0; n--) {
          const name = s.name();
          const kind = s.byte();
          m.exports.push({ name, kind, index: s.u32() });
        }
        break;
      case SECTION.start:
        m.start = s.u32();
        break;
      case SECTION.element:
        m.elementSection = content;
        break;
      case SECTION.code:
        m.bodies = readBodies(s);
        break;
      case SECTION.data:
        m.dataSection = content;
        break;
      case SECTION.dataCount:
        m.dataCountSection = content;
        break;
      default:
        throw new WasmFormatError(`unsupported section id ${id} (exception tags and other proposals are not supported)`);
    }
    r.pos = end;
  }
  if (m.bodies.length !== m.functions.length) throw new WasmFormatError('function and code sections disagree');
  return m;
}
