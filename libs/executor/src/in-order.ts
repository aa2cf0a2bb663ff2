import type { TxEngine, TxResult, TxStateView } from './engine';
import type { SnapshotState } from './parallel-executor';

/**
 * Whether an engine call returned a promise. Engines run most txs synchronously: awaiting their
 * plain results cost each tx a turn of the microtask queue (~1 µs, measured 3-4 % of a 30 µs Wasm
 * transfer), so the executor awaits only promises.
 */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** The block must be run by the VM's serial executor (a serial-only tx, an engine failure); the message says why. */
export class SerialNeeded extends Error {}

/**
 * Runs txs `from`..n-1 of a block one after another on `engine` (its block already begun), over
 * committed state plus `prefix` (the results of txs 0..from-1). Throws SerialNeeded for a
 * serial-only tx.
 */
export async function runInOrder(
  engine: TxEngine,
  state: SnapshotState,
  n: number,
  from: number,
  prefix: readonly TxResult[],
): Promise<TxResult[]> {
  const overlay = new Map<bigint, bigint>();
  for (const r of prefix) {
    for (const [k, v] of r.writes) overlay.set(k, v);
    if (r.shared !== undefined) engine.receive?.(r.shared);
  }
  return runRange(engine, from, n, overlay, (key) => state.get(key));
}

/**
 * Runs txs start..end-1 one after another on `engine`: each reads `written` (the writes before it,
 * which it extends), else `below`. Throws SerialNeeded for a serial-only tx.
 */
export async function runRange(
  engine: TxEngine,
  start: number,
  end: number,
  written: Map<bigint, bigint>,
  below: (key: bigint) => bigint,
): Promise<TxResult[]> {
  const view: TxStateView = { get: (key) => written.get(key) ?? below(key) };
  const out: TxResult[] = [];
  for (let i = start; i < end; i++) {
    const ran = engine.executeTx(i, view);
    const r = isPromise(ran) ? await ran : ran;
    if (r.serialOnly !== undefined) throw new SerialNeeded(`tx ${i}: ${r.serialOnly}`);
    for (const [k, v] of r.writes) written.set(k, v);
    if (r.shared !== undefined) engine.receive?.(r.shared);
    out.push(r);
  }
  return out;
}
