/**
 * A synthetic TxEngine for testing the executor itself: each tx reads some keys, may read a key
 * chosen by what it read (dynamic read sets), may "revert" (write nothing) depending on a value,
 * and writes values that depend on everything it read. Cheap, so thousands of random blocks run
 * in seconds; `work` burns CPU to make tasks take time.
 */
import type { TxEngine, TxEngineFactory, TxResult, TxStateView } from '../engine';

export interface KvTx {
  reads: bigint[];
  /** When set, also reads key `dynamicBase + (sum of reads mod dynamicSpan)`. */
  dynamicBase?: bigint;
  dynamicSpan?: bigint;
  writes: bigint[];
  /** The tx writes nothing when the sum of what it read is divisible by this (a "revert"). */
  revertIfDivisibleBy?: bigint;
  /** Iterations of busy work. */
  work?: number;
  serialOnly?: boolean;
  /** Shares this value with the other engines (like deployed code); later txs add it to their writes if received. */
  share?: string;
  /** Executes asynchronously, letting the event loop run first (as an engine waiting for a host reply does). */
  yieldsToEventLoop?: boolean;
}

const P = (1n << 61n) - 1n;

function mix(acc: bigint, x: bigint): bigint {
  return (acc * 1_000_003n + x + 7n) % P;
}

/** Serial reference: what the block must produce, tx by tx. */
export function runKvSerially(
  txs: readonly KvTx[],
  committed: ReadonlyMap<bigint, bigint>,
): { results: KvOutput[]; writes: Map<bigint, bigint> } {
  const engine = new KvEngine();
  engine.beginBlock(null, txs);
  const writes = new Map<bigint, bigint>();
  const view: TxStateView = { get: (k) => writes.get(k) ?? committed.get(k) ?? 0n };
  const results: KvOutput[] = [];
  txs.forEach((_, i) => {
    const r = engine.executeNow(i, view);
    for (const [k, v] of r.writes) writes.set(k, v);
    if (r.shared !== undefined) engine.receive(r.shared);
    results.push(r.output as KvOutput);
  });
  return { results, writes };
}

export interface KvOutput {
  tx: number;
  sum: string;
  reverted: boolean;
}

/** A KvTx as the tests' `workerPayload` sends it to workers (KvEngine takes either form). */
export interface KvWorkerPayload {
  kv: KvTx;
}

export const kvWorkerPayload = (tx: unknown): KvWorkerPayload => ({ kv: tx as KvTx });

export class KvEngine implements TxEngine {
  private txs: readonly (KvTx | KvWorkerPayload)[] = [];
  private shared = new Set<string>();

  beginBlock(_block: unknown, txs: readonly unknown[]): void {
    this.txs = txs as (KvTx | KvWorkerPayload)[];
    this.shared = new Set();
  }

  receive(shared: unknown): void {
    this.shared.add(String(shared));
  }

  executeTx(index: number, view: TxStateView): TxResult | Promise<TxResult> {
    const input = this.txs[index];
    const tx = 'kv' in input ? input.kv : input;
    if (tx.yieldsToEventLoop) return new Promise((resolve) => setTimeout(() => resolve(this.executeNow(index, view)), 5));
    return this.executeNow(index, view);
  }

  /** `executeTx` without yielding first (the serial reference). */
  executeNow(index: number, view: TxStateView): TxResult {
    const input = this.txs[index];
    const tx = 'kv' in input ? input.kv : input;
    let acc = BigInt(index);
    let sum = 0n;
    for (const key of tx.reads) {
      const v = view.get(key);
      sum += v;
      acc = mix(acc, v);
    }
    if (tx.dynamicBase !== undefined) {
      const key = tx.dynamicBase + (sum % (tx.dynamicSpan ?? 1n));
      const v = view.get(key);
      sum += v;
      acc = mix(acc, v);
    }
    let spin = 0;
    for (let i = 0; i < (tx.work ?? 0); i++) spin = (spin * 31 + i) | 0;
    const writes = new Map<bigint, bigint>();
    const reverted = tx.revertIfDivisibleBy !== undefined && sum % tx.revertIfDivisibleBy === 0n;
    if (!reverted) {
      tx.writes.forEach((key, j) => writes.set(key, mix(acc, BigInt(j) + BigInt(spin & 0))));
    }
    const output: KvOutput = { tx: index, sum: String(sum), reverted };
    return {
      writes,
      output,
      ...(tx.share !== undefined ? { shared: tx.share } : {}),
      ...(tx.serialOnly ? { serialOnly: 'kv tx marked serial-only' } : {}),
    };
  }
}

export const createTxEngine: TxEngineFactory = () => new KvEngine();
