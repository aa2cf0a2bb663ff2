/**
 * Rewrites a validated plugin module for execution:
 *
 * - **Gas.** A mutable i64 global (exported as `__mesh_gas`) holds the gas left. Every metered
 *   block starts with `gas -= cost; if (gas < 0) unreachable`, where `cost` is the number of
 *   instructions of the block times the instruction cost. Metered blocks begin at function entry,
 *   after `loop`, `if`, `else`, after the `end` of a `loop` or an `if`, and after the `end` of a
 *   `block` that some branch targets: every branch target is the start of a metered block, so
 *   no instruction runs without its block having been paid for. A block is charged in full on
 *   entry (a `br_if` taken half-way pays for the rest of its block); dead code after `br`,
 *   `br_table`, `return` and `unreachable` is not counted.
 * - **Call depth.** A mutable i32 global (`__mesh_stack`) is a budget of stack slots: each function
 *   takes `4 + params + locals + its highest operand stack` on entry and gives it back on exit (the body is wrapped in a block
 *   so that branches out of the function also pass the epilogue; `return` gets the epilogue
 *   inserted before it). Exhausting it traps deterministically, long before V8's own stack limit.
 * - **Memory.** The memory maximum is capped; `memory.grow` becomes a call to a helper that
 *   charges per page granted and sets `__mesh_oom` when the grow fails; `memory.copy`, `fill`
 *   and `init` become helpers that charge per 32 bytes.
 * - **Memory import.** The module's own memory becomes an import (`__mesh.memory`, same limits,
 *   the maximum capped) that it still exports as `memory`: the host hands each call a zeroed
 *   memory of the initial size, which is what a fresh instance would have, without paying for a
 *   new memory reservation per call.
 * - **Start.** A start function is removed and exported as `__mesh_start`, so that the host can
 *   set the gas before it runs.
 *
 * Only appends (types, functions, globals, exports): no existing index changes, so calls,
 * element segments and branch depths in the original code stay valid as they are.
 */
import { ByteWriter, nameBytes, Reader, sLeb, u32Leb, WasmFormatError } from './binary';
import { EXTERNAL, FuncType, ParsedModule, SECTION, VALTYPE, readValType } from './module';

export const EXPORT_GAS = '__mesh_gas';
export const EXPORT_STACK = '__mesh_stack';
export const EXPORT_OOM = '__mesh_oom';
export const EXPORT_START = '__mesh_start';
export const META_SECTION = 'mesh.plugin';
/** The plugin's memory becomes this import, so the host can reuse one memory across calls. */
export const MEMORY_IMPORT = { module: '__mesh', field: 'memory' } as const;

export interface InstrumentOptions {
  /** When false: no gas and no call-depth accounting (benchmarks only). Memory handling stays. */
  metering: boolean;
  instructionCost: bigint;
  memoryPageCost: bigint;
  bulkMemory32Cost: bigint;
  maxMemoryPages: number;
  stackBudget: number;
  /** Content of the `mesh.plugin` custom section. */
  meta: Uint8Array;
}

// Instruction kinds the instrumenter cares about.
const K_OTHER = 0;
const K_BLOCK = 1;
const K_LOOP = 2;
const K_IF = 3;
const K_ELSE = 4;
const K_END = 5;
const K_BR = 6;
const K_BR_IF = 7;
const K_BR_TABLE = 8;
const K_RETURN = 9;
const K_UNREACHABLE = 10;
const K_GROW = 11;
const K_COPY = 12;
const K_FILL = 13;
const K_INIT = 14;

interface Instr {
  kind: number;
  /** Opcode; 0xfc00 + sub-opcode for the 0xfc prefix. */
  op: number;
  /** Function index (call), type index (call_indirect), block type (block/loop/if: -64 empty, a value type, or a type index). */
  arg: number;
  start: number;
  end: number;
  /** Branch depths (br, br_if, br_table) or the data index (memory.init). */
  imm?: number[];
}

const UNSUPPORTED: Record<number, string> = {
  0x06: 'exception handling',
  0x07: 'exception handling',
  0x08: 'exception handling',
  0x09: 'exception handling',
  0x0a: 'exception handling',
  0x18: 'exception handling',
  0x19: 'exception handling',
  0x1f: 'exception handling',
  0x12: 'tail calls',
  0x13: 'tail calls',
  0x14: 'typed function references',
  0x15: 'typed function references',
  0xd3: 'typed function references',
  0xd4: 'typed function references',
  0xd5: 'typed function references',
  0xd6: 'typed function references',
  0xfb: 'garbage collection',
  0xfd: 'SIMD',
  0xfe: 'threads and atomics',
};

const BLOCK_EMPTY = -64;

/** Reads a block type: BLOCK_EMPTY, a value type byte, or a type index. */
function readBlockType(r: Reader): number {
  const b = r.peek();
  if (b === 0x40) {
    r.pos++;
    return BLOCK_EMPTY;
  }
  if (b === VALTYPE.i32 || b === VALTYPE.i64 || b === VALTYPE.f32 || b === VALTYPE.f64) return r.byte();
  if (b === VALTYPE.v128 || b === VALTYPE.funcref || b === VALTYPE.externref) return r.byte();
  const index = r.s33();
  if (index < 0) throw new WasmFormatError('unsupported block type');
  return index;
}

function skipMemarg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32(); // multi-memory index
  r.u32();
}

/** Decodes a function body's instructions (the code after the locals, up to and including the final `end`). */
export function decodeInstructions(code: Uint8Array): Instr[] {
  const r = new Reader(code);
  const out: Instr[] = [];
  while (!r.done) {
    const start = r.pos;
    const op = r.byte();
    let kind = K_OTHER;
    let imm: number[] | undefined;
    let arg = 0;
    let code = op;
    switch (op) {
      case 0x00:
        kind = K_UNREACHABLE;
        break;
      case 0x01:
        break;
      case 0x02:
        kind = K_BLOCK;
        arg = readBlockType(r);
        break;
      case 0x03:
        kind = K_LOOP;
        arg = readBlockType(r);
        break;
      case 0x04:
        kind = K_IF;
        arg = readBlockType(r);
        break;
      case 0x05:
        kind = K_ELSE;
        break;
      case 0x0b:
        kind = K_END;
        break;
      case 0x0c:
        kind = K_BR;
        imm = [r.u32()];
        break;
      case 0x0d:
        kind = K_BR_IF;
        imm = [r.u32()];
        break;
      case 0x0e: {
        kind = K_BR_TABLE;
        imm = [];
        for (let n = r.u32(); n > 0; n--) imm.push(r.u32());
        imm.push(r.u32());
        break;
      }
      case 0x0f:
        kind = K_RETURN;
        break;
      case 0x10:
        arg = r.u32();
        break;
      case 0x11:
        arg = r.u32();
        r.u32();
        break;
      case 0x1a:
      case 0x1b:
        break;
      case 0x1c:
        for (let n = r.u32(); n > 0; n--) readValType(r);
        break;
      case 0x20:
      case 0x21:
      case 0x22:
      case 0x23:
      case 0x24:
      case 0x25:
      case 0x26:
        r.u32();
        break;
      case 0x3f:
        r.u32();
        break;
      case 0x40:
        if (r.u32() !== 0) throw new WasmFormatError('only one memory is supported');
        kind = K_GROW;
        break;
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
      case 0xd0:
        r.s33();
        break;
      case 0xd1:
        break;
      case 0xd2:
        r.u32();
        break;
      case 0xfc: {
        const sub = r.u32();
        code = 0xfc00 + sub;
        if (sub <= 7) break; // saturating float-to-int
        switch (sub) {
          case 8:
            kind = K_INIT;
            imm = [r.u32()];
            if (r.u32() !== 0) throw new WasmFormatError('only one memory is supported');
            break;
          case 9:
            r.u32();
            break;
          case 10:
            kind = K_COPY;
            if (r.u32() !== 0 || r.u32() !== 0) throw new WasmFormatError('only one memory is supported');
            break;
          case 11:
            kind = K_FILL;
            if (r.u32() !== 0) throw new WasmFormatError('only one memory is supported');
            break;
          case 12:
          case 14:
            r.u32();
            r.u32();
            break;
          case 13:
          case 15:
          case 16:
          case 17:
            r.u32();
            break;
          default:
            throw new WasmFormatError(`unsupported instruction 0xfc ${sub}`);
        }
        break;
      }
      default:
        if (op >= 0x28 && op <= 0x3e) skipMemarg(r);
        else if (op >= 0x45 && op <= 0xc4) {
          /* numeric, no immediates */
        } else if (UNSUPPORTED[op]) throw new WasmFormatError(`unsupported WebAssembly feature: ${UNSUPPORTED[op]}`);
        else throw new WasmFormatError(`unsupported instruction 0x${op.toString(16)}`);
    }
    out.push({ kind, op: code, arg, start, end: r.pos, imm });
  }
  if (out.length === 0 || out[out.length - 1].kind !== K_END) throw new WasmFormatError('function body does not end with end');
  return out;
}

interface Charge {
  pos: number;
  cost: number;
}

/**
 * Metered blocks of one function body: where each charge goes (byte offset in the code) and how
 * many instructions it pays for.
 */
export function meteredBlocks(instrs: Instr[]): Charge[] {
  // Pass 1: which `block`/`if` labels are branch targets, and what each `end` closes.
  interface Frame {
    kind: number;
    targeted: boolean;
  }
  const stack: Frame[] = [{ kind: K_BLOCK, targeted: false }]; // the function's own label
  const closes: (Frame | undefined)[] = new Array(instrs.length);
  const target = (depth: number) => {
    const frame = stack[stack.length - 1 - depth];
    if (!frame) throw new WasmFormatError('branch depth out of range');
    frame.targeted = true;
  };
  instrs.forEach((ins, i) => {
    switch (ins.kind) {
      case K_BLOCK:
      case K_LOOP:
      case K_IF:
        stack.push({ kind: ins.kind, targeted: false });
        break;
      case K_END:
        closes[i] = stack.pop();
        break;
      case K_BR:
      case K_BR_IF:
      case K_BR_TABLE:
        for (const depth of ins.imm!) target(depth);
        break;
    }
  });
  if (stack.length !== 0) throw new WasmFormatError('unbalanced blocks');

  // Pass 2: cut the instruction stream at the branch targets and count each piece.
  const charges: Charge[] = [];
  let pos = 0;
  let cost = 0;
  let dead = false;
  const last = instrs.length - 1;
  for (let i = 0; i <= last; i++) {
    const ins = instrs[i];
    if (ins.kind !== K_END && ins.kind !== K_ELSE && !dead) cost++;
    if (ins.kind === K_BR || ins.kind === K_BR_TABLE || ins.kind === K_RETURN || ins.kind === K_UNREACHABLE) dead = true;
    let cut = false;
    if (ins.kind === K_LOOP || ins.kind === K_IF || ins.kind === K_ELSE) cut = true;
    else if (ins.kind === K_END && i !== last) {
      const frame = closes[i]!;
      cut = frame.kind === K_LOOP || frame.kind === K_IF || frame.targeted;
    }
    if (cut || i === last) {
      if (cost > 0) charges.push({ pos, cost });
      pos = ins.end;
      cost = 0;
      dead = false;
    }
  }
  return charges;
}

/** Fixed (pops, pushes) of the opcodes whose effect does not depend on types; undefined = special. */
function fixedEffect(op: number): [number, number] | undefined {
  if (op >= 0x28 && op <= 0x35) return [1, 1]; // loads
  if (op >= 0x36 && op <= 0x3e) return [2, 0]; // stores
  if (op === 0x45 || op === 0x50) return [1, 1]; // eqz
  if (op >= 0x46 && op <= 0x66) return [2, 1]; // comparisons
  if ((op >= 0x67 && op <= 0x69) || (op >= 0x79 && op <= 0x7b) || (op >= 0x8b && op <= 0x91) || (op >= 0x99 && op <= 0x9f)) return [1, 1];
  if ((op >= 0x6a && op <= 0x78) || (op >= 0x7c && op <= 0x8a) || (op >= 0x92 && op <= 0x98) || (op >= 0xa0 && op <= 0xa6)) return [2, 1];
  if (op >= 0xa7 && op <= 0xc4) return [1, 1]; // conversions, sign extension
  if (op >= 0xfc00 && op <= 0xfc07) return [1, 1]; // saturating truncation
  switch (op) {
    case 0x01:
      return [0, 0];
    case 0x0d:
      return [1, 0];
    case 0x1a:
      return [1, 0];
    case 0x1b:
    case 0x1c:
      return [3, 1];
    case 0x20:
    case 0x23:
    case 0x3f:
    case 0x41:
    case 0x42:
    case 0x43:
    case 0x44:
    case 0xd0:
    case 0xd2:
    case 0xfc10:
      return [0, 1];
    case 0x21:
    case 0x24:
      return [1, 0];
    case 0x22:
    case 0x25:
    case 0x40:
    case 0xd1:
      return [1, 1];
    case 0x26:
      return [2, 0];
    case 0xfc09:
    case 0xfc0d:
      return [0, 0];
    case 0xfc08:
    case 0xfc0a:
    case 0xfc0b:
    case 0xfc0c:
    case 0xfc0e:
    case 0xfc11:
      return [3, 0];
    case 0xfc0f:
      return [2, 1];
  }
  return undefined;
}

/**
 * The highest the operand stack of one function can get (an upper bound in unreachable code).
 * Used only to size the function's frame for the call-depth budget, so it need not be exact,
 * only deterministic and not far below the truth.
 */
export function maxStackHeight(instrs: Instr[], types: FuncType[], funcTypes: FuncType[]): number {
  const blockType = (bt: number): FuncType => {
    if (bt === BLOCK_EMPTY) return { params: [], results: [] };
    if (bt < 0 || bt >= 0x40) return { params: [], results: [bt] };
    return types[bt] ?? { params: [], results: [] };
  };
  interface Frame {
    base: number;
    type: FuncType;
  }
  const frames: Frame[] = [{ base: 0, type: { params: [], results: [] } }];
  let height = 0;
  let max = 0;
  const effect = (pops: number, pushes: number) => {
    height = Math.max(height - pops, frames[frames.length - 1].base) + pushes;
    if (height > max) max = height;
  };
  const unreachable = () => {
    height = frames[frames.length - 1].base;
  };
  for (const ins of instrs) {
    const fixed = fixedEffect(ins.op);
    if (fixed) {
      effect(fixed[0], fixed[1]);
      continue;
    }
    switch (ins.op) {
      case 0x00:
      case 0x0c:
      case 0x0f:
        unreachable();
        break;
      case 0x0e:
        effect(1, 0);
        unreachable();
        break;
      case 0x02:
      case 0x03:
      case 0x04: {
        if (ins.op === 0x04) effect(1, 0);
        const type = blockType(ins.arg);
        const base = Math.max(height - type.params.length, frames[frames.length - 1].base);
        frames.push({ base, type });
        height = base + type.params.length;
        break;
      }
      case 0x05: {
        const frame = frames[frames.length - 1];
        height = frame.base + frame.type.params.length;
        break;
      }
      case 0x0b: {
        const frame = frames.length > 1 ? frames.pop()! : frames[0];
        height = frame.base + frame.type.results.length;
        if (height > max) max = height;
        break;
      }
      case 0x10: {
        const t = funcTypes[ins.arg];
        effect(t ? t.params.length : 0, t ? t.results.length : 0);
        break;
      }
      case 0x11: {
        const t = types[ins.arg];
        effect(1 + (t ? t.params.length : 0), t ? t.results.length : 0);
        break;
      }
      default:
        throw new WasmFormatError(`internal: no stack effect for opcode 0x${ins.op.toString(16)}`);
    }
  }
  return max;
}

// Byte sequences.
const OP = {
  unreachable: 0x00,
  block: 0x02,
  if: 0x04,
  end: 0x0b,
  call: 0x10,
  localGet: 0x20,
  localTee: 0x22,
  globalGet: 0x23,
  globalSet: 0x24,
  i32Const: 0x41,
  i64Const: 0x42,
  i32LtS: 0x48,
  i64LtS: 0x53,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64ShrU: 0x88,
  i64ExtendI32U: 0xad,
  memoryGrow: 0x40,
} as const;

function trapIfNegativeI64(g: number[]): number[] {
  return [OP.globalGet, ...g, OP.i64Const, 0, OP.i64LtS, OP.if, 0x40, OP.unreachable, OP.end];
}

function chargeBytes(g: number[], cost: bigint): number[] {
  return [OP.globalGet, ...g, OP.i64Const, ...sLeb(cost), OP.i64Sub, OP.globalSet, ...g, ...trapIfNegativeI64(g)];
}

function section(out: ByteWriter, id: number, content: ArrayLike<number>): void {
  out.push(id).sized(content);
}

export function instrument(m: ParsedModule, opts: InstrumentOptions): Uint8Array {
  const importedFuncs = m.imports.filter((i) => i.kind === EXTERNAL.func).length;
  if (m.imports.some((i) => i.kind === EXTERNAL.global)) throw new WasmFormatError('global imports are not supported');
  const decoded = m.bodies.map((b) => decodeInstructions(b.code));

  // New types, functions and globals, all appended.
  const types: FuncType[] = [...m.types];
  const newTypes: FuncType[] = [];
  const typeIndex = (t: FuncType): number => {
    const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
    const found = types.findIndex((x) => same(x.params, t.params) && same(x.results, t.results));
    if (found >= 0) return found;
    types.push(t);
    newTypes.push(t);
    return types.length - 1;
  };
  const i32 = VALTYPE.i32;
  const growType = typeIndex({ params: [i32], results: [i32] });
  const bulkType = typeIndex({ params: [i32, i32, i32], results: [] });
  const dataIndexes = new Set<number>();
  for (const instrs of decoded) for (const ins of instrs) if (ins.kind === K_INIT) dataIndexes.add(ins.imm![0]);
  const helperTypes: number[] = [];
  const helperBodies: number[][] = [];
  const nextFunc = () => importedFuncs + m.functions.length + helperTypes.length;

  const gasGlobal = u32Leb(m.globalCount);
  const stackGlobal = u32Leb(m.globalCount + 1);
  const oomGlobal = u32Leb(m.globalCount + 2);
  const charge = (cost: bigint) => chargeBytes(gasGlobal, cost);

  // memory.grow helper: charges per page granted, flags a failed grow.
  const growFunc = nextFunc();
  helperTypes.push(growType);
  helperBodies.push([
    ...[1, 1, i32], // one local i32
    OP.localGet,
    0,
    OP.memoryGrow,
    0,
    OP.localTee,
    1,
    OP.i32Const,
    0,
    OP.i32LtS,
    OP.if,
    0x40,
    OP.i32Const,
    1,
    OP.globalSet,
    ...oomGlobal,
    ...(opts.metering
      ? [
          0x05, // else: charge for the pages granted
          OP.globalGet,
          ...gasGlobal,
          OP.localGet,
          0,
          OP.i64ExtendI32U,
          OP.i64Const,
          ...sLeb(opts.memoryPageCost),
          OP.i64Mul,
          OP.i64Sub,
          OP.globalSet,
          ...gasGlobal,
          ...trapIfNegativeI64(gasGlobal),
        ]
      : []),
    OP.end,
    OP.localGet,
    1,
    OP.end,
  ]);

  // Bulk memory helpers: charge per started 32 bytes, then do the operation.
  const bulkCharge = opts.metering
    ? [
        OP.globalGet,
        ...gasGlobal,
        OP.localGet,
        2,
        OP.i64ExtendI32U,
        OP.i64Const,
        31,
        OP.i64Add,
        OP.i64Const,
        5,
        OP.i64ShrU,
        OP.i64Const,
        ...sLeb(opts.bulkMemory32Cost),
        OP.i64Mul,
        OP.i64Sub,
        OP.globalSet,
        ...gasGlobal,
        ...trapIfNegativeI64(gasGlobal),
      ]
    : [];
  const bulkHelper = (op: number[]): number => {
    const index = nextFunc();
    helperTypes.push(bulkType);
    helperBodies.push([0, ...bulkCharge, OP.localGet, 0, OP.localGet, 1, OP.localGet, 2, ...op, OP.end]);
    return index;
  };
  const copyFunc = opts.metering ? bulkHelper([0xfc, 10, 0, 0]) : -1;
  const fillFunc = opts.metering ? bulkHelper([0xfc, 11, 0]) : -1;
  const initFuncs = new Map<number, number>();
  if (opts.metering) for (const d of [...dataIndexes].sort((a, b) => a - b)) initFuncs.set(d, bulkHelper([0xfc, 8, ...u32Leb(d), 0]));

  const funcTypes: FuncType[] = [
    ...m.imports.filter((i) => i.kind === EXTERNAL.func).map((i) => m.types[i.typeIndex]),
    ...m.functions.map((t) => m.types[t]),
  ];

  // Rewrite the bodies.
  const bodies: Uint8Array[] = m.bodies.map((body, f) => {
    const instrs = decoded[f];
    const type = m.types[m.functions[f]];
    const out = new ByteWriter();
    const frame = opts.metering ? 4 + type.params.length + body.localCount + maxStackHeight(instrs, m.types, funcTypes) : 0;
    const stackOp = (op: number) => [OP.globalGet, ...stackGlobal, OP.i32Const, ...sLeb(BigInt(frame)), op, OP.globalSet, ...stackGlobal];
    const epilogue = opts.metering ? stackOp(OP.i32Add) : [];
    out.bytes(body.localsRaw);
    if (opts.metering) {
      out.bytes(stackOp(OP.i32Sub));
      out.push(OP.globalGet, ...stackGlobal, OP.i32Const, 0, OP.i32LtS, OP.if, 0x40, OP.unreachable, OP.end);
      out.push(OP.block);
      if (type.results.length === 0) out.push(0x40);
      else if (type.results.length === 1) out.push(type.results[0]);
      else out.bytes(sLeb(BigInt(typeIndex({ params: [], results: type.results }))));
    }
    const charges = opts.metering ? meteredBlocks(instrs) : [];
    let ci = 0;
    let copied = 0;
    const flushTo = (pos: number) => {
      out.bytes(body.code.subarray(copied, pos));
      copied = pos;
    };
    const chargesAt = (pos: number) => {
      while (ci < charges.length && charges[ci].pos === pos) {
        flushTo(pos);
        out.bytes(charge(BigInt(charges[ci].cost) * opts.instructionCost));
        ci++;
      }
    };
    for (const ins of instrs) {
      chargesAt(ins.start);
      let replacement: number[] | undefined;
      if (ins.kind === K_GROW) replacement = [OP.call, ...u32Leb(growFunc)];
      else if (ins.kind === K_COPY && opts.metering) replacement = [OP.call, ...u32Leb(copyFunc)];
      else if (ins.kind === K_FILL && opts.metering) replacement = [OP.call, ...u32Leb(fillFunc)];
      else if (ins.kind === K_INIT && opts.metering) replacement = [OP.call, ...u32Leb(initFuncs.get(ins.imm![0])!)];
      else if (ins.kind === K_RETURN && opts.metering) {
        flushTo(ins.start);
        out.bytes(epilogue);
      }
      if (replacement) {
        flushTo(ins.start);
        out.bytes(replacement);
        copied = ins.end;
      }
    }
    flushTo(body.code.length);
    if (ci !== charges.length) throw new Error('internal: unplaced gas charge');
    if (opts.metering) out.bytes(epilogue).push(OP.end);
    return out.finish();
  });

  // Globals: gas (i64), stack budget (i32), OOM flag (i32).
  const globals = new ByteWriter().u32(m.globalCount + 3).bytes(m.globalsRaw);
  globals.push(VALTYPE.i64, 1, OP.i64Const, 0, OP.end);
  globals.push(VALTYPE.i32, 1, OP.i32Const, ...sLeb(BigInt(opts.stackBudget)), OP.end);
  globals.push(VALTYPE.i32, 1, OP.i32Const, 0, OP.end);

  // Exports: the originals, our globals, and the former start function.
  const exportSec = new ByteWriter().u32(m.exports.length + 3 + (m.start !== undefined ? 1 : 0));
  for (const e of m.exports) exportSec.bytes(nameBytes(e.name)).push(e.kind).u32(e.index);
  exportSec.bytes(nameBytes(EXPORT_GAS)).push(EXTERNAL.global).u32(m.globalCount);
  exportSec
    .bytes(nameBytes(EXPORT_STACK))
    .push(EXTERNAL.global)
    .u32(m.globalCount + 1);
  exportSec
    .bytes(nameBytes(EXPORT_OOM))
    .push(EXTERNAL.global)
    .u32(m.globalCount + 2);
  if (m.start !== undefined) exportSec.bytes(nameBytes(EXPORT_START)).push(EXTERNAL.func).u32(m.start);

  // Emit in canonical section order.
  const out = new ByteWriter().push(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
  const typeSec = new ByteWriter().u32(types.length).bytes(m.typesRaw);
  for (const t of newTypes) typeSec.push(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
  section(out, SECTION.type, typeSec.finish());
  const mem = m.memories[0];
  const max = Math.min(mem.max ?? opts.maxMemoryPages, opts.maxMemoryPages);
  const importSec = new ByteWriter().u32(m.imports.length + 1).bytes(m.importsRaw);
  importSec.bytes(nameBytes(MEMORY_IMPORT.module)).bytes(nameBytes(MEMORY_IMPORT.field)).push(EXTERNAL.memory, 1).u32(mem.min).u32(max);
  section(out, SECTION.import, importSec.finish());
  const funcSec = new ByteWriter().u32(m.functions.length + helperTypes.length);
  for (const t of [...m.functions, ...helperTypes]) funcSec.u32(t);
  section(out, SECTION.function, funcSec.finish());
  if (m.tableSection) section(out, SECTION.table, m.tableSection);
  section(out, SECTION.global, globals.finish());
  section(out, SECTION.export, exportSec.finish());
  if (m.elementSection) section(out, SECTION.element, m.elementSection);
  if (m.dataCountSection) section(out, SECTION.dataCount, m.dataCountSection);
  const codeSec = new ByteWriter().u32(bodies.length + helperBodies.length);
  for (const b of bodies) codeSec.sized(b);
  for (const b of helperBodies) codeSec.sized(b);
  section(out, SECTION.code, codeSec.finish());
  if (m.dataSection) section(out, SECTION.data, m.dataSection);
  section(out, SECTION.custom, [...nameBytes(META_SECTION), ...opts.meta]);
  return out.finish();
}
