import { createHash } from 'node:crypto';
import { InvalidInputError, MESSAGE_LIMITS, type OutboundMessage } from '@mesh/core';
import { ADDRESS_BYTES, encodeArgs, formatFuncType, HOST_IMPORTS, MAX_KEY_BYTES, MAX_VALUE_BYTES, sameFuncType } from './abi';
import { PluginRejectedError, UnknownMethodError } from './errors';
import { parseOutboundMessage } from './outbound-message';
import { DEFAULT_GAS_SCHEDULE, GasSchedule } from './gas';
import { CallContext, ExecutionResult, ExecutionStatus, PluginEvent, StorageView } from './types';
import { Wasm, WasmGlobal, WasmInstance, WasmMemory, WasmModule } from './wasm/api';
import { WasmFormatError } from './wasm/binary';
import { EXPORT_GAS, EXPORT_OOM, EXPORT_STACK, EXPORT_START, instrument, MEMORY_IMPORT, META_SECTION } from './wasm/instrument';
import { EXTERNAL, Limits, ParsedModule, parseModule } from './wasm/module';
import { resetGlobalExport, resettableGlobals, resettableModule } from './wasm/reset';

export interface WasmRuntimeOptions {
  /** Memory cap in 64 KiB pages; default 16 (1 MiB). */
  maxMemoryPages?: number;
  gasSchedule?: Partial<GasSchedule>;
  /**
   * Default true. `false` prepares plugins without gas or call-depth instrumentation and charges
   * nothing (gasUsed is always 0): for measuring the cost of metering, never for a node.
   */
  metering?: boolean;
  /** Largest module accepted by `prepare`; default 1 MiB. */
  maxCodeBytes?: number;
  /** Call-depth budget in stack slots (a function takes 4 + params + locals); default 32768. */
  stackBudget?: number;
}

const META_VERSION = 1;
const MAX_TABLE_ELEMENTS = 16_384;
const MAX_MESSAGE_BYTES = 1_024;
const RESERVED_EXPORT_PREFIX = '__mesh_';
const PAGE_BYTES = 65_536;
/** The gas counter is an i64 in the plugin. */
const MAX_GAS_LIMIT = 2n ** 63n - 1n;

/** A plugin ready to run: validated, instrumented and compiled. */
export class PreparedPlugin {
  /** @internal */
  readonly methodSet: ReadonlySet<string>;
  /** @internal A zeroed-on-use memory of the initial size, kept between calls (plugins that are not resettable). */
  spareMemory: WasmMemory | undefined;
  /** @internal The instance kept between calls of a resettable plugin, with its fresh state. */
  live: LiveInstance | undefined;

  /** @internal */
  constructor(
    /** Callable methods (exported `() -> ()` functions, not `init`, not starting with `_`). */
    readonly methods: string[],
    /** The instrumented module, as the SPN stores it; `WasmRuntime.load` takes it back. */
    readonly meteredCode: Uint8Array,
    /** sha256 (hex) of the code as uploaded. */
    readonly codeHash: string,
    readonly hasInit: boolean,
    /** @internal */ readonly module: WasmModule,
    /** @internal */ readonly meteringKey: string,
    /** @internal */ readonly hasStart: boolean,
    /** @internal Initial memory in pages. */ readonly initialPages: number,
    /** @internal Memory maximum in pages (the module's own, or the runtime's cap if lower). */ readonly maxPages: number,
    /** @internal Mutable globals to restore when reusing an instance; undefined: a new instance per call. */
    readonly resetGlobals: readonly number[] | undefined,
  ) {
    this.methodSet = new Set(methods);
  }
}

/**
 * An instance reused across calls, and what it looked like right after instantiation: restoring
 * `memorySnapshot` and `globalValues` gives exactly the state of a new instance (wasm/reset.ts).
 * It is bound to the runtime whose host functions it imports.
 */
interface LiveInstance {
  runtime: WasmRuntime;
  instance: WasmInstance;
  memory: WasmMemory;
  memorySnapshot: Uint8Array;
  globals: WasmGlobal<unknown>[];
  globalValues: unknown[];
}

/** Stops a call from inside a host function; carries the status the receipt gets. */
class HostStop {
  constructor(
    readonly status: Exclude<ExecutionStatus, 'success'>,
    readonly message: string,
  ) {}
}

/** A failure of the host itself (the StorageView threw): not the plugin's fault, rethrown. */
class HostFailure {
  constructor(readonly error: unknown) {}
}

interface MeshMeta {
  v: number;
  codeHash: string;
  key: string;
}

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder('utf-8');
const utf16 = new TextDecoder('utf-16le');
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function reject(message: string, details?: Record<string, unknown>): never {
  throw new PluginRejectedError(message, details);
}

export class WasmRuntime {
  readonly gasSchedule: Readonly<GasSchedule>;
  readonly maxMemoryPages: number;
  readonly metering: boolean;
  private readonly maxCodeBytes: number;
  private readonly stackBudget: number;
  private readonly meteringKey: string;
  private readonly mesh: Record<string, unknown>;
  private readonly env: Record<string, unknown>;

  // State of the call in progress (execution is synchronous and never re-entered).
  private memory!: WasmMemory;
  private gas: WasmGlobal<bigint> | undefined;
  private storage!: StorageView;
  private writes!: Map<string, Uint8Array | null>;
  private reads!: Set<string>;
  private events!: PluginEvent[];
  private messages!: OutboundMessage[];
  private returnData: Uint8Array = EMPTY;
  private args: Uint8Array = EMPTY;
  private caller: Uint8Array = EMPTY;
  private blockHeight = 0n;
  private blockTime = 0n;

  // Host costs as bigints, precomputed.
  private readonly cost: {
    get: bigint;
    set: bigint;
    del: bigint;
    emit: bigint;
    message: bigint;
    call: bigint;
  };

  constructor(options: WasmRuntimeOptions = {}) {
    this.gasSchedule = Object.freeze({ ...DEFAULT_GAS_SCHEDULE, ...options.gasSchedule });
    for (const [name, value] of Object.entries(this.gasSchedule)) {
      if (typeof value !== 'bigint' || value < 0n) throw new InvalidInputError(`gas schedule entry ${name} must be a non-negative bigint`);
    }
    this.maxMemoryPages = options.maxMemoryPages ?? 16;
    if (!Number.isInteger(this.maxMemoryPages) || this.maxMemoryPages < 1 || this.maxMemoryPages > 65536) {
      throw new InvalidInputError('maxMemoryPages must be an integer in 1..65536');
    }
    this.metering = options.metering ?? true;
    this.maxCodeBytes = options.maxCodeBytes ?? 1 << 20;
    this.stackBudget = options.stackBudget ?? 32_768;
    const s = this.gasSchedule;
    this.meteringKey = this.metering
      ? `v${META_VERSION};instr=${s.instruction};page=${s.memoryPage};bulk32=${s.bulkMemory32};pages=${this.maxMemoryPages};stack=${this.stackBudget}`
      : `v${META_VERSION};unmetered;pages=${this.maxMemoryPages}`;
    this.cost = {
      call: s.hostCall,
      get: s.hostCall + s.storageRead,
      set: s.hostCall + s.storageWrite,
      del: s.hostCall + s.storageDelete,
      emit: s.hostCall + s.emit,
      message: s.hostCall + s.message,
    };
    const { mesh, env } = this.hostImports();
    this.mesh = mesh;
    this.env = env;
  }

  /** Validates an uploaded module, checks its imports against the ABI, injects metering and caps memory. */
  prepare(code: Uint8Array): PreparedPlugin {
    if (!(code instanceof Uint8Array)) reject('code must be a Uint8Array', { reason: 'not_bytes' });
    if (code.length > this.maxCodeBytes)
      reject(`module is ${code.length} bytes, the limit is ${this.maxCodeBytes}`, { reason: 'too_large' });
    if (!Wasm.validate(code)) {
      let why = 'not a valid WebAssembly module';
      try {
        new Wasm.Module(code);
      } catch (e) {
        why = `not a valid WebAssembly module (${(e as Error).message})`;
      }
      reject(why, { reason: 'invalid_wasm' });
    }
    const m = this.parse(code);
    this.checkModule(m, false);
    const codeHash = createHash('sha256').update(code).digest('hex');
    const meta: MeshMeta = { v: META_VERSION, codeHash, key: this.meteringKey };
    let metered: Uint8Array;
    try {
      metered = instrument(m, {
        metering: this.metering,
        instructionCost: this.gasSchedule.instruction,
        memoryPageCost: this.gasSchedule.memoryPage,
        bulkMemory32Cost: this.gasSchedule.bulkMemory32,
        maxMemoryPages: this.maxMemoryPages,
        stackBudget: this.stackBudget,
        meta: new TextEncoder().encode(JSON.stringify(meta)),
      });
    } catch (e) {
      if (e instanceof WasmFormatError) reject(e.message, { reason: 'unsupported' });
      throw e;
    }
    return this.compile(m, metered, codeHash, code.length);
  }

  /** Loads already-metered code (as stored by the SPN) without re-instrumenting it. */
  load(meteredCode: Uint8Array): PreparedPlugin {
    if (!(meteredCode instanceof Uint8Array)) reject('code must be a Uint8Array', { reason: 'not_bytes' });
    const m = this.parse(meteredCode);
    const section = m.customs.find((c) => c.name === META_SECTION);
    if (!section) reject('not a prepared plugin (no mesh.plugin section): upload it through prepare()', { reason: 'not_prepared' });
    let meta: MeshMeta;
    try {
      meta = JSON.parse(utf8.decode(section.content)) as MeshMeta;
    } catch {
      reject('corrupt mesh.plugin section', { reason: 'not_prepared' });
    }
    if (meta.v !== META_VERSION || meta.key !== this.meteringKey) {
      reject(
        `prepared for another runtime configuration (${meta.key}, this runtime is ${this.meteringKey}): prepare the original code again`,
        {
          reason: 'configuration_mismatch',
        },
      );
    }
    this.checkModule(m, true);
    return this.compile(m, meteredCode, meta.codeHash, meteredCode.length);
  }

  /**
   * Runs one method. Unknown method: throws UnknownMethodError. Plugin faults are statuses, never
   * exceptions. `init` is accepted too when the plugin has one (deployment only: the SPN must not
   * let a user call it; it is not in `methods`).
   */
  execute(plugin: PreparedPlugin, method: string, args: string[], ctx: CallContext, storage: StorageView): ExecutionResult {
    this.checkPlugin(plugin);
    if (!plugin.methodSet.has(method) && !(method === 'init' && plugin.hasInit)) throw new UnknownMethodError(method, plugin.methods);
    return this.run(plugin, method, args, ctx, storage);
  }

  /**
   * Runs the plugin's `init` export once at deployment (ctx.caller is the deployer). Without an
   * `init` export this only charges the call's base cost (and runs a start function, if any).
   */
  executeInit(plugin: PreparedPlugin, args: string[], ctx: CallContext, storage: StorageView): ExecutionResult {
    this.checkPlugin(plugin);
    return this.run(plugin, plugin.hasInit ? 'init' : undefined, args, ctx, storage);
  }

  // ---------------------------------------------------------------------------------------------

  private parse(code: Uint8Array): ParsedModule {
    try {
      return parseModule(code);
    } catch (e) {
      if (e instanceof WasmFormatError) reject(e.message, { reason: 'unsupported' });
      throw e;
    }
  }

  private checkModule(m: ParsedModule, prepared: boolean): void {
    for (const imp of m.imports) {
      const name = `${imp.module}.${imp.field}`;
      if (prepared && imp.module === MEMORY_IMPORT.module && imp.field === MEMORY_IMPORT.field && imp.kind === EXTERNAL.memory) continue;
      const expected = HOST_IMPORTS[imp.module]?.[imp.field];
      if (!expected || imp.kind !== EXTERNAL.func) {
        reject(`import ${name} is not part of the host ABI (allowed: mesh.*, env.abort)`, { reason: 'forbidden_import', import: name });
      }
      const actual = m.types[imp.typeIndex];
      if (!sameFuncType(actual, expected)) {
        reject(`import ${name} has signature ${formatFuncType(actual)}, the ABI says ${formatFuncType(expected)}`, {
          reason: 'import_signature',
          import: name,
        });
      }
    }
    const memory = this.memoryLimits(m, prepared);
    if (memory.min > this.maxMemoryPages) {
      reject(`initial memory of ${memory.min} pages exceeds the cap of ${this.maxMemoryPages}`, { reason: 'memory' });
    }
    const memoryExport = m.exports.find((e) => e.name === 'memory');
    if (!memoryExport || memoryExport.kind !== EXTERNAL.memory) reject("a plugin must export its memory as 'memory'", { reason: 'memory' });
    for (const t of m.tables) {
      if (t.min > MAX_TABLE_ELEMENTS) reject(`table of ${t.min} elements exceeds ${MAX_TABLE_ELEMENTS}`, { reason: 'table' });
    }
    if (!prepared) {
      const reserved = m.exports.find((e) => e.name.startsWith(RESERVED_EXPORT_PREFIX));
      if (reserved) reject(`export name ${reserved.name} is reserved`, { reason: 'reserved_export' });
      if (m.customs.some((c) => c.name === META_SECTION))
        reject('module is already prepared: upload the original code', { reason: 'reserved_export' });
    } else {
      const gas = m.exports.find((e) => e.name === EXPORT_GAS);
      if (!gas || gas.kind !== EXTERNAL.global) reject('not a prepared plugin (no gas counter)', { reason: 'not_prepared' });
    }
    const init = m.exports.find((e) => e.name === 'init');
    if (init && (init.kind !== EXTERNAL.func || !this.isMethodType(m, init.index))) {
      reject('export init must be a function with no parameters and no result', { reason: 'init_signature' });
    }
  }

  /** The plugin's memory: defined in an uploaded module, imported from the host in a prepared one. */
  private memoryLimits(m: ParsedModule, prepared: boolean): Limits {
    if (!prepared) {
      if (m.memories.length !== 1) reject('a plugin must define exactly one memory', { reason: 'memory' });
      return m.memories[0];
    }
    const imported = m.imports.find((i) => i.module === MEMORY_IMPORT.module && i.field === MEMORY_IMPORT.field);
    if (m.memories.length !== 0 || !imported?.limits)
      reject('not a prepared plugin (memory is not provided by the host)', { reason: 'not_prepared' });
    return imported.limits;
  }

  private isMethodType(m: ParsedModule, funcIndex: number): boolean {
    const imported = m.imports.filter((i) => i.kind === EXTERNAL.func);
    const typeIndex = funcIndex < imported.length ? imported[funcIndex].typeIndex : m.functions[funcIndex - imported.length];
    const t = m.types[typeIndex];
    return t !== undefined && t.params.length === 0 && t.results.length === 0;
  }

  private compile(m: ParsedModule, code: Uint8Array, codeHash: string, size: number): PreparedPlugin {
    // `m` is the uploaded module when preparing; reuse is decided on the code that runs.
    const metered = m.memories.length === 0 ? m : this.parse(code);
    const resetGlobals = resettableGlobals(metered);
    let module: WasmModule;
    try {
      module = new Wasm.Module(resetGlobals ? resettableModule(code, metered, resetGlobals) : code);
    } catch (e) {
      // Instrumentation produced an invalid module: a bug here, not in the plugin.
      throw new Error(`vm-wasm: instrumented module does not compile (${(e as Error).message}); original size ${size} bytes`);
    }
    const methods = m.exports
      .filter(
        (e) =>
          e.kind === EXTERNAL.func && !e.name.startsWith('_') && e.name !== 'init' && e.name !== 'memory' && this.isMethodType(m, e.index),
      )
      .map((e) => e.name);
    const hasInit = m.exports.some((e) => e.name === 'init');
    const hasStart = m.start !== undefined || m.exports.some((e) => e.name === EXPORT_START);
    const memory = this.memoryLimits(m, m.memories.length === 0);
    const maxPages = Math.min(memory.max ?? this.maxMemoryPages, this.maxMemoryPages);
    return new PreparedPlugin(methods, code, codeHash, hasInit, module, this.meteringKey, hasStart, memory.min, maxPages, resetGlobals);
  }

  private checkPlugin(plugin: PreparedPlugin): void {
    if (!(plugin instanceof PreparedPlugin)) throw new InvalidInputError('plugin must come from WasmRuntime.prepare() or load()');
    if (plugin.meteringKey !== this.meteringKey) {
      throw new InvalidInputError('plugin was prepared by a runtime with another configuration', {
        plugin: plugin.meteringKey,
        runtime: this.meteringKey,
      });
    }
  }

  private run(plugin: PreparedPlugin, method: string | undefined, args: string[], ctx: CallContext, storage: StorageView): ExecutionResult {
    if (!ADDRESS.test(ctx.caller)) throw new InvalidInputError(`caller must be 0x + 40 hex digits, got ${ctx.caller}`);
    const gasLimit = ctx.gasLimit;
    if (typeof gasLimit !== 'bigint' || gasLimit < 0n || gasLimit > MAX_GAS_LIMIT) {
      throw new InvalidInputError(`gasLimit must be a bigint in 0..${MAX_GAS_LIMIT}, got ${String(gasLimit)}`);
    }
    const reads = new Set<string>();
    const result = (status: ExecutionStatus, gasUsed: bigint, error?: string): ExecutionResult => {
      const ok = status === 'success';
      const r: ExecutionResult = {
        status,
        gasUsed,
        writes: ok ? this.writes : new Map(),
        reads,
        events: ok ? this.events : [],
        returnData: ok ? this.returnData : EMPTY,
        messages: ok ? this.messages : [],
      };
      if (error !== undefined) r.error = error;
      return r;
    };
    if (this.metering && gasLimit < this.gasSchedule.callBase) {
      return result('out_of_gas', gasLimit, `gas limit ${gasLimit} is below the base cost of a call (${this.gasSchedule.callBase})`);
    }

    this.storage = storage;
    this.writes = new Map();
    this.reads = reads;
    this.events = [];
    this.messages = [];
    this.returnData = EMPTY;
    this.args = encodeArgs(args);
    this.caller = Buffer.from(ctx.caller.slice(2), 'hex');
    this.blockHeight = BigInt.asIntN(64, ctx.blockHeight);
    this.blockTime = BigInt.asIntN(64, ctx.blockTime);
    this.gas = undefined;

    const initialBytes = plugin.initialPages * PAGE_BYTES;
    let live = plugin.live?.runtime === this ? plugin.live : undefined;
    let memory: WasmMemory;
    if (live) {
      // Back to the state of a fresh instance (whatever the previous call did, even if it trapped).
      memory = live.memory;
      new Uint8Array(memory.buffer).set(live.memorySnapshot);
      for (let i = 0; i < live.globals.length; i++) live.globals[i].value = live.globalValues[i];
    } else {
      // The memory a fresh instance would have: the initial pages, all zero (the data segments are
      // written by instantiation). A memory that grew during its call is not reused.
      const spare = plugin.spareMemory;
      plugin.spareMemory = undefined;
      if (spare === undefined || spare.buffer.byteLength !== initialBytes) {
        memory = new Wasm.Memory({ initial: plugin.initialPages, maximum: plugin.maxPages });
      } else {
        memory = spare;
        new Uint8Array(memory.buffer).fill(0);
      }
    }
    this.memory = memory;

    let instance: WasmInstance | undefined = live?.instance;
    try {
      if (instance === undefined) {
        instance = new Wasm.Instance(plugin.module, { mesh: this.mesh, env: this.env, [MEMORY_IMPORT.module]: { memory } });
        if (plugin.resetGlobals) live = this.keepLive(plugin, instance, memory);
      }
      const ex = instance.exports;
      if (this.metering) {
        this.gas = ex[EXPORT_GAS] as WasmGlobal<bigint>;
        this.gas.value = gasLimit - this.gasSchedule.callBase;
      }
      if (plugin.hasStart) (ex[EXPORT_START] as () => void)();
      if (method !== undefined) (ex[method] as () => void)();
      return result('success', this.used(gasLimit));
    } catch (e) {
      if (e instanceof HostFailure) throw e.error;
      if (e instanceof HostStop) return result(e.status, e.status === 'out_of_gas' ? gasLimit : this.used(gasLimit), e.message);
      if (instance === undefined) {
        // Instantiation itself failed (a data or element segment out of bounds).
        return result('trap', this.metering ? this.gasSchedule.callBase : 0n, `instantiation failed: ${(e as Error).message}`);
      }
      const ex = instance.exports;
      if (this.gas && this.gas.value < 0n) return result('out_of_gas', gasLimit, `out of gas (limit ${gasLimit})`);
      if ((ex[EXPORT_OOM] as WasmGlobal<number>).value !== 0) {
        return result(
          'out_of_memory',
          this.used(gasLimit),
          `out of memory: the plugin tried to grow its memory beyond ${plugin.maxPages} pages (${plugin.maxPages * 64} KiB)`,
        );
      }
      if (this.metering && (ex[EXPORT_STACK] as WasmGlobal<number>).value < 0) {
        return result('trap', this.used(gasLimit), 'call stack too deep');
      }
      if (e instanceof Wasm.RuntimeError) return result('trap', this.used(gasLimit), `wasm trap: ${e.message}`);
      if (e instanceof RangeError) return result('trap', this.used(gasLimit), `host stack exhausted: ${e.message}`);
      throw e;
    } finally {
      // A memory that grew cannot give a fresh instance's state: drop it, and its instance.
      const sameSize = memory.buffer.byteLength === initialBytes;
      if (live) {
        if (!sameSize) plugin.live = undefined;
      } else if (sameSize) plugin.spareMemory = memory;
      this.storage = undefined as unknown as StorageView;
      this.memory = undefined as unknown as WasmMemory;
    }
  }

  /** Keeps a just-created instance of a resettable plugin, with a snapshot of its fresh state. */
  private keepLive(plugin: PreparedPlugin, instance: WasmInstance, memory: WasmMemory): LiveInstance {
    const globals = plugin.resetGlobals!.map((g) => instance.exports[resetGlobalExport(g)] as WasmGlobal<unknown>);
    const live: LiveInstance = {
      runtime: this,
      instance,
      memory,
      memorySnapshot: new Uint8Array(memory.buffer).slice(),
      globals,
      globalValues: globals.map((g) => g.value),
    };
    plugin.live = live;
    return live;
  }

  private used(gasLimit: bigint): bigint {
    if (!this.gas) return 0n;
    const left = this.gas.value;
    return left <= 0n ? gasLimit : gasLimit - left;
  }

  private charge(cost: bigint): void {
    const gas = this.gas;
    if (gas === undefined) return;
    const left = gas.value - cost;
    if (left < 0n) throw new HostStop('out_of_gas', 'out of gas in a host call');
    gas.value = left;
  }

  /** A view of plugin memory, bounds-checked. */
  private view(fn: string, ptr: number, len: number): Uint8Array {
    const buffer = this.memory.buffer;
    const p = ptr >>> 0;
    const n = len >>> 0;
    if (p + n > buffer.byteLength) throw new HostStop('trap', `${fn}: memory access out of bounds (${p}+${n})`);
    return new Uint8Array(buffer, p, n);
  }

  private keyHex(fn: string, ptr: number, len: number): string {
    const n = len >>> 0;
    if (n < 1 || n > MAX_KEY_BYTES) throw new HostStop('reverted', `${fn}: key length ${n} outside 1..${MAX_KEY_BYTES}`);
    const key = this.view(fn, ptr, n);
    return Buffer.from(key.buffer, key.byteOffset, n).toString('hex');
  }

  private text(fn: string, ptr: number, len: number, limit = Infinity): string {
    const n = Math.min(len >>> 0, limit);
    return utf8.decode(this.view(fn, ptr, n));
  }

  /** An AssemblyScript string (UTF-16LE, byte length in the u32 before it), or undefined. */
  private asString(ptr: number): string | undefined {
    const p = ptr >>> 0;
    const buffer = this.memory.buffer;
    if (p < 4 || p > buffer.byteLength) return undefined;
    const len = new DataView(buffer).getUint32(p - 4, true);
    if (p + len > buffer.byteLength) return undefined;
    return utf16.decode(new Uint8Array(buffer, p, Math.min(len, MAX_MESSAGE_BYTES) & ~1));
  }

  private hostImports(): { mesh: Record<string, unknown>; env: Record<string, unknown> } {
    const s = this.gasSchedule;
    const cost = this.cost;
    const mesh = {
      storage_get: (keyPtr: number, keyLen: number, outPtr: number): number => {
        const hex = this.keyHex('storage_get', keyPtr, keyLen);
        this.charge(cost.get + s.storageReadByte * BigInt(keyLen >>> 0));
        this.reads.add(hex);
        let value: Uint8Array | null | undefined = this.writes.get(hex);
        if (value === undefined) {
          try {
            value = this.storage.get(Buffer.from(hex, 'hex'));
          } catch (e) {
            throw new HostFailure(e);
          }
        }
        if (value === null || value === undefined) return -1;
        if (value.length > MAX_VALUE_BYTES)
          throw new HostStop('trap', `storage_get: stored value of ${value.length} bytes exceeds ${MAX_VALUE_BYTES}`);
        this.charge(s.storageReadByte * BigInt(value.length));
        this.view('storage_get', outPtr, value.length).set(value);
        return value.length;
      },
      storage_set: (keyPtr: number, keyLen: number, valPtr: number, valLen: number): void => {
        const n = valLen >>> 0;
        if (n < 1 || n > MAX_VALUE_BYTES) throw new HostStop('reverted', `storage_set: value length ${n} outside 1..${MAX_VALUE_BYTES}`);
        const hex = this.keyHex('storage_set', keyPtr, keyLen);
        this.charge(cost.set + s.storageWriteByte * BigInt((keyLen >>> 0) + n));
        this.writes.set(hex, this.view('storage_set', valPtr, n).slice());
      },
      storage_delete: (keyPtr: number, keyLen: number): void => {
        const hex = this.keyHex('storage_delete', keyPtr, keyLen);
        this.charge(cost.del + s.storageWriteByte * BigInt(keyLen >>> 0));
        this.writes.set(hex, null);
      },
      caller: (outPtr: number): void => {
        this.charge(cost.call);
        this.view('caller', outPtr, ADDRESS_BYTES).set(this.caller);
      },
      block_height: (): bigint => {
        this.charge(cost.call);
        return this.blockHeight;
      },
      block_time: (): bigint => {
        this.charge(cost.call);
        return this.blockTime;
      },
      args_len: (): number => {
        this.charge(cost.call);
        return this.args.length;
      },
      args_read: (outPtr: number): void => {
        this.charge(cost.call + s.copyByte * BigInt(this.args.length));
        this.view('args_read', outPtr, this.args.length).set(this.args);
      },
      emit: (namePtr: number, nameLen: number, dataPtr: number, dataLen: number): void => {
        this.charge(cost.emit + s.emitByte * BigInt((nameLen >>> 0) + (dataLen >>> 0)));
        this.events.push({ name: this.text('emit', namePtr, nameLen), data: this.text('emit', dataPtr, dataLen) });
      },
      revert: (msgPtr: number, msgLen: number): void => {
        const n = Math.min(msgLen >>> 0, MAX_MESSAGE_BYTES);
        this.charge(cost.call + s.copyByte * BigInt(n));
        throw new HostStop('reverted', this.text('revert', msgPtr, n));
      },
      set_return: (ptr: number, len: number): void => {
        this.charge(cost.call + s.copyByte * BigInt(len >>> 0));
        this.returnData = this.view('set_return', ptr, len).slice();
      },
      send_message: (ptr: number, len: number): void => {
        const n = len >>> 0;
        if (this.messages.length >= MESSAGE_LIMITS.perCall)
          throw new HostStop('reverted', `send_message: a call sends at most ${MESSAGE_LIMITS.perCall} messages`);
        if (n > MESSAGE_LIMITS.bytes)
          throw new HostStop('reverted', `send_message: the message takes ${n} bytes, the limit is ${MESSAGE_LIMITS.bytes}`);
        this.charge(cost.message + s.messageByte * BigInt(n));
        const message = parseOutboundMessage(this.view('send_message', ptr, n));
        if (typeof message === 'string') throw new HostStop('reverted', message);
        this.messages.push(message);
      },
    };
    const env = {
      abort: (msgPtr: number, filePtr: number, line: number, column: number): void => {
        this.charge(cost.call);
        const message = this.asString(msgPtr) ?? 'abort';
        const file = this.asString(filePtr);
        throw new HostStop('trap', file ? `abort: ${message} (${file}:${line}:${column})` : `abort: ${message}`);
      },
    };
    return { mesh, env };
  }
}
