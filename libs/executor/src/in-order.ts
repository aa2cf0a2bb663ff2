import type { TxEngine, TxResult, TxStateView } from './engine';
import type { SnapshotState } from './parallel-executor';

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
  const view: TxStateView = { get: (key) => overlay.get(key) ?? state.get(key) };
  const out: TxResult[] = [];
  for (let i = from; i < n; i++) {
    const r = await engine.executeTx(i, view);
    if (r.serialOnly !== undefined) throw new SerialNeeded(`tx ${i}: ${r.serialOnly}`);
    for (const [k, v] of r.writes) overlay.set(k, v);
    if (r.shared !== undefined) engine.receive?.(r.shared);
    out.push(r);
  }
  return out;
}
