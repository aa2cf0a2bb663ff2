/**
 * The interpreter's opcode loop without a promise per opcode.
 *
 * @ethereumjs/evm 10.1's `Interpreter.run` awaits `runStep` for every opcode, and `runStep` is an
 * async function: every PUSH, DUP or ADD costs an async frame, a promise and a trip through the
 * microtask queue, though only the opcodes that touch state (SLOAD, CALL, ...) or price memory
 * (dynamic gas) ever wait for anything. Measured on ERC-20 transfers through the serial executor
 * (medians, the same blocks alternating): ~420 KB allocated per tx with the library's loop, ~290 KB
 * with this one, and 1.13x as many txs per second.
 *
 * `syncStepRun` is the library's `run` for legacy code with one change: an opcode whose gas is
 * static and whose handler returns no promise runs inline, with exactly the statements of
 * `runStep` that apply to it (the invalid-opcode check, `useGas`, the program counter, the
 * handler); every other opcode goes through the library's own `runStep`, awaited as before. So
 * is every opcode while a 'step' listener or DEBUG is on, or an EIP-7928 post-call out-of-gas
 * is pending. Everything else (EOF code, the profiler, the stateless EIPs 6800 and 7864, whose
 * code-chunk charges live in that loop) runs the library's `run` unchanged. The statements are
 * those of @ethereumjs/evm 10.1.3 (`dist/cjs/interpreter.js`); interpreter-sync-steps.spec.ts
 * runs random blocks with it and without it (the library's `run`) and compares every receipt,
 * the step trace and the state, so a version that changes the loop shows there.
 */
import { EVMError } from '@ethereumjs/evm';

const EVM_ERROR_TYPE = 'EVMError';
const STOP = EVMError.errorMessages.STOP;
const EOF_FORMAT = 0xef;
const JUMP = 0x56;
const JUMPI = 0x57;
const JUMPSUB = 0x5e;

/** An opcode table entry (`_opcodeMap[op]`, and the jump analysis' `opcodesCached`). */
interface OpEntry {
  opcodeInfo: { code: number; dynamicGas: boolean; isInvalid: boolean; feeBigInt: bigint };
  opHandler: (runState: RunState, common: unknown) => unknown;
}

interface RunState {
  code: Uint8Array;
  programCounter: number;
  opCode: number;
  gasLeft: bigint;
  validJumps: Uint8Array;
  cachedPushes: unknown;
  shouldDoJumpAnalysis: boolean;
  eip7928PostTargetCallOog?: unknown;
  eip8037BurnLeftoverAfterCreateHaltOntoAlive?: boolean;
  env: { accessWitness?: { commit(): void; revert(): void } };
}

/** What the loop uses of @ethereumjs/evm's (unexported) Interpreter. */
export interface SteppingInterpreter {
  _runState: RunState;
  _evm: { DEBUG: boolean; events: { listenerCount(event: string): number }; _opcodeMap: OpEntry[] };
  common: { isActivatedEIP(eip: number): boolean };
  profilerOpts?: { enabled?: boolean };
  _getValidJumpDestinations(code: Uint8Array): { jumps: Uint8Array; pushes: unknown; opcodesCached: OpEntry[] };
  runStep(opcodeObj?: OpEntry): Promise<void>;
  useGas(amount: bigint, context?: unknown): void;
}

export type InterpreterRun = (
  this: SteppingInterpreter,
  code: Uint8Array,
  opts?: { pc?: number },
) => Promise<{ runState: RunState; exceptionError?: unknown }>;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Runs one opcode: inline when it can (returns undefined), else through the library's
 * `runStep` or the handler's own promise (returned, to be awaited).
 */
function step(interp: SteppingInterpreter, cached: OpEntry | undefined): Promise<unknown> | undefined {
  const runState = interp._runState;
  const entry = cached ?? interp._evm._opcodeMap[runState.opCode];
  const info = entry.opcodeInfo;
  const evm = interp._evm;
  if (
    info.dynamicGas ||
    info.isInvalid ||
    runState.eip7928PostTargetCallOog !== undefined ||
    evm.DEBUG ||
    evm.events.listenerCount('step') > 0
  ) {
    return interp.runStep(entry);
  }
  interp.useGas(info.feeBigInt, info);
  runState.programCounter++;
  const result = entry.opHandler(runState, interp.common);
  if (isThenable(result)) return Promise.resolve(result).then(() => runState.env.accessWitness?.commit());
  runState.env.accessWitness?.commit();
  return undefined;
}

/** `original` (the library's `run`) with opcodes that need no waiting run inline. */
export function syncStepRun(original: InterpreterRun): InterpreterRun {
  return async function run(this: SteppingInterpreter, code, opts = {}) {
    const common = this.common;
    if (
      this.profilerOpts?.enabled === true ||
      (code[0] === EOF_FORMAT && common.isActivatedEIP(3540)) ||
      common.isActivatedEIP(6800) || // stateless: code-chunk charges live in the library's loop
      common.isActivatedEIP(7864)
    ) {
      return original.call(this, code, opts);
    }
    const runState = this._runState;
    runState.code = code;
    runState.programCounter = opts.pc ?? runState.programCounter;
    const pc = runState.programCounter;
    if (pc !== 0 && (pc < 0 || pc >= code.length)) throw new Error('Internal error: program counter not in range');
    let err: unknown;
    let cachedOpcodes: OpEntry[] | undefined;
    let doJumpAnalysis = true;
    while (runState.programCounter < runState.code.length) {
      const programCounter = runState.programCounter;
      let opCode: number;
      let opCodeObj: OpEntry | undefined;
      if (doJumpAnalysis) {
        opCode = runState.code[programCounter];
        if (opCode === JUMP || opCode === JUMPI || opCode === JUMPSUB) {
          const { jumps, pushes, opcodesCached } = this._getValidJumpDestinations(runState.code);
          runState.validJumps = jumps;
          runState.cachedPushes = pushes;
          runState.shouldDoJumpAnalysis = false;
          cachedOpcodes = opcodesCached;
          doJumpAnalysis = false;
        }
      } else {
        opCodeObj = cachedOpcodes![programCounter];
        opCode = opCodeObj.opcodeInfo.code;
      }
      runState.opCode = opCode;
      try {
        const pending = step(this, opCodeObj);
        if (pending !== undefined) await pending;
      } catch (e) {
        runState.env.accessWitness?.revert();
        const error = e as { errorType?: unknown; error?: unknown };
        if (typeof e !== 'object' || e === null || error.errorType !== EVM_ERROR_TYPE) throw e;
        if (error.error !== STOP) err = e;
        break;
      }
    }
    if (err === undefined && runState.eip8037BurnLeftoverAfterCreateHaltOntoAlive === true && runState.gasLeft > 0n) {
      runState.gasLeft = 0n;
      err = new EVMError(EVMError.errorMessages.OUT_OF_GAS);
    }
    return { runState, exceptionError: err };
  };
}
