/**
 * Two caches that @ethereumjs/evm 10.1 lacks, installed on its classes once per thread (every
 * engine does it when it is created, before it creates a VM, so the node's thread and each parallel worker have them),
 * with the opcode loop of interpreter-sync-steps.ts:
 *
 * - **Jump-destination analysis, per contract code.** On the first JUMP/JUMPI of every call the
 *   interpreter walks the whole code (`Interpreter._getValidJumpDestinations`): a byte array of
 *   valid JUMPDESTs, the opcode entry of every byte and a BigInt for every PUSH immediate. For an
 *   ERC-20 transfer that was ~10 % of the tx's time and ~60 KB of its ~550 KB of garbage, every
 *   call anew, for code that never changes. The result depends only on the code's bytes and the
 *   EVM's opcode table, and the interpreter only reads it, so it is kept per (code, opcode table):
 *   a WeakMap on the code's Uint8Array (the state manager hands out one array per code hash), so
 *   it goes when the code does.
 * - **`Common.isActivatedEIP` as a Set lookup.** It is `Array.includes` over the ~80 active EIPs,
 *   asked several times per executed opcode (~8 % of an ERC-20 transfer's time). The Set is kept
 *   per `_activatedEIPsCache` array, which Common replaces (never mutates) when the hardfork or
 *   the EIPs change, so the answer is always the array's.
 *
 * Results are unchanged by construction (the same function of the same inputs, computed once);
 * interpreter-caches.spec.ts checks them against the library's own on real contract code.
 */
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Common } from '@ethereumjs/common';
import { EVM } from '@ethereumjs/evm';
import { type InterpreterRun, syncStepRun } from './interpreter-sync-steps';

/** The part of @ethereumjs/evm's (unexported) Interpreter the cache wraps. */
interface InterpreterProto {
  _getValidJumpDestinations(this: { _evm: object }, code: Uint8Array): unknown;
  run: InterpreterRun & { [WRAPPED]?: unknown };
}

/** Marks a wrapper installed here (so a second install is a no-op); its value is the library's own function. */
export const WRAPPED = Symbol.for('rollup-mesh.interpreter-caches');

type Analysis = (this: { _evm: object }, code: Uint8Array) => unknown;

/** `original` with its results kept per (code array, the EVM's opcode table). */
export function cachedJumpAnalysis(original: Analysis): Analysis {
  const byCode = new WeakMap<Uint8Array, WeakMap<object, unknown>>();
  const wrapper = function (this: { _evm: object }, code: Uint8Array): unknown {
    const table = (this._evm as { _opcodeMap: object })._opcodeMap;
    let byTable = byCode.get(code);
    if (byTable === undefined) byCode.set(code, (byTable = new WeakMap()));
    let analysis = byTable.get(table);
    if (analysis === undefined) byTable.set(table, (analysis = original.call(this, code)));
    return analysis;
  };
  Object.defineProperty(wrapper, WRAPPED, { value: original });
  return wrapper;
}

/** `Common.isActivatedEIP` over a Set of the active EIPs. */
function installEipSet(): void {
  const proto = Common.prototype as unknown as { isActivatedEIP: ((eip: number) => boolean) & { [WRAPPED]?: unknown } };
  if (proto.isActivatedEIP[WRAPPED] !== undefined) return;
  const original = proto.isActivatedEIP;
  const sets = new WeakMap<readonly number[], Set<number>>();
  // The last array asked about: Common.copy() shares the array, so the VM's, the EVM's and every
  // tx's Common ask about the same one (a WeakMap lookup per call cost a third of the gain).
  let lastActive: readonly number[] | undefined;
  let lastSet = new Set<number>();
  const wrapper = function (this: { _activatedEIPsCache: readonly number[] }, eip: number): boolean {
    const active = this._activatedEIPsCache;
    if (active !== lastActive) {
      let set = sets.get(active);
      if (set === undefined) sets.set(active, (set = new Set(active)));
      lastActive = active;
      lastSet = set;
    }
    return lastSet.has(eip);
  };
  Object.defineProperty(wrapper, WRAPPED, { value: original });
  proto.isActivatedEIP = wrapper as typeof proto.isActivatedEIP;
}

/**
 * The Interpreter class of the @ethereumjs/evm build this thread runs: the CommonJS build under
 * Node (the compiled node), the ES module build where this code is loaded as ESM (vitest).
 */
export async function liveInterpreterPrototype(): Promise<InterpreterProto | undefined> {
  const cjsIndex = require.resolve('@ethereumjs/evm');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cjs = require(cjsIndex) as { EVM: unknown };
  const file = cjs.EVM === EVM ? join(dirname(cjsIndex), 'interpreter.js') : join(dirname(cjsIndex), '..', 'esm', 'interpreter.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = (cjs.EVM === EVM ? require(file) : await import(pathToFileURL(file).href)) as {
    Interpreter?: { prototype: InterpreterProto };
  };
  return mod.Interpreter?.prototype;
}

let installing: Promise<boolean> | undefined;

/**
 * Installs both caches and the inline opcode loop (`syncStepRun`) in this thread (once; later
 * calls return the same promise). Resolves to whether the jump-destination cache and the loop are
 * in place: false if this @ethereumjs/evm has no such method (a version that changed it), in which
 * case it runs as the library has it. The library's own `run` stays on the wrapper as its `WRAPPED`.
 */
export function installInterpreterCaches(): Promise<boolean> {
  installing ??= (async () => {
    installEipSet();
    const proto = await liveInterpreterPrototype();
    const current = proto?._getValidJumpDestinations as (Analysis & { [WRAPPED]?: unknown }) | undefined;
    if (proto === undefined || typeof current !== 'function') return false;
    if (current[WRAPPED] === undefined) proto._getValidJumpDestinations = cachedJumpAnalysis(current);
    if (typeof proto.run === 'function' && proto.run[WRAPPED] === undefined) {
      const run = syncStepRun(proto.run);
      Object.defineProperty(run, WRAPPED, { value: proto.run });
      proto.run = run;
    }
    return true;
  })();
  return installing;
}
