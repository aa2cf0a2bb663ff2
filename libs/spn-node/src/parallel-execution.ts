import type { DeclaredList, ParallelExecutor, RunStats, SnapshotState, TxResult } from '@mesh/executor';
import type { StateReader } from './executor';

/** A block's parallel run: the ordered per-tx results, and the block's writes when the run merged them. */
export interface ParallelResults {
  results: TxResult[];
  writes?: Map<bigint, bigint>;
}

/** How the last block ran: serially (and why) or in parallel (with re-execution figures). */
export interface ExecutionReport {
  mode: 'serial' | 'parallel' | 'parallel+serial-tail';
  reason?: string;
  stats?: RunStats;
}

/**
 * A VM executor's use of the parallel executor (libs/executor): runs a block's txs in parallel
 * when it can, says when the VM must run the block serially instead, and keeps the workers'
 * copies of committed state in step after each committed block.
 */
export class ParallelExecution {
  /** How the last block ran (logs, benchmarks, tests). */
  lastReport: ExecutionReport | undefined;

  constructor(readonly executor: ParallelExecutor) {}

  /**
   * The ordered per-tx results (and the block's merged writes when the run merged them, see
   * RunOutcome), or undefined when the block must run serially (lastReport says why).
   * `declared`: the keys the txs declare, if any, or a function computing them when needed (see
   * ParallelExecutor.run).
   */
  async run(
    block: unknown,
    txs: readonly unknown[],
    state: StateReader,
    serialReason?: string,
    declared?: DeclaredList | (() => DeclaredList | undefined),
  ): Promise<ParallelResults | undefined> {
    const snapshot = asSnapshot(state);
    if (serialReason !== undefined || snapshot === undefined) {
      this.lastReport = { mode: 'serial', reason: serialReason ?? 'state has no snapshot' };
      return undefined;
    }
    const outcome = await this.executor.run(block, txs, snapshot, declared);
    if (outcome.kind === 'serial') {
      this.lastReport = { mode: 'serial', reason: outcome.reason, stats: outcome.stats };
      return undefined;
    }
    this.lastReport = { mode: outcome.stats.mode, stats: outcome.stats };
    return { results: outcome.results, writes: outcome.writes };
  }

  /**
   * Runs the VM's whole execution of a block of `txs` txs (`run`, then assembly or the serial
   * executor) and tells the executor how long it took and how it ran, for its adaptive choice
   * between the workers and serial execution.
   */
  async measure<T>(txs: number, execute: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const out = await execute();
    const mode = this.lastReport?.mode;
    if (mode === 'parallel' || mode === 'serial')
      this.executor.noteBlock(mode === 'parallel' ? 'workers' : 'serial', txs, performance.now() - started);
    return out;
  }

  /** Says "serial, because" without running anything (a VM-side reason, e.g. assembly refused). */
  serial(reason: string): void {
    this.lastReport = { ...this.lastReport, mode: 'serial', reason };
  }

  /** The state's version before a block (pass it to `committed` once the block's writes are applied). */
  versionOf(state: StateReader): number | undefined {
    return asSnapshot(state)?.version;
  }

  /** Call once the block committed (its writes are applied to `state`, which was at `before`): workers catch up before the next block. */
  committed(state: StateReader, before: number | undefined, writes: Map<bigint, bigint>, payload?: unknown): void {
    const snapshot = asSnapshot(state);
    if (snapshot && before !== undefined) this.executor.committed(before, snapshot.version, writes, payload);
  }

  /** Starts the worker threads now (otherwise the first parallel block waits for them). */
  start(): Promise<void> {
    return this.executor.start();
  }

  close(): Promise<void> {
    return this.executor.close();
  }
}

function asSnapshot(state: StateReader): SnapshotState | undefined {
  return typeof state.entries === 'function' && typeof state.version === 'number' ? (state as SnapshotState) : undefined;
}

/** "parallel, 3 re-executions" / "serial (small block (3 txs < 16))" for logs. */
export function describeReport(report: ExecutionReport): string {
  if (report.mode === 'serial') return `serial (${report.reason ?? '?'})`;
  const re = report.stats?.reexecutions ?? 0;
  const split = report.stats?.split;
  const pieces = split
    ? `, split in ${split.pieces} pieces (slowest ${split.slowestPieceMs.toFixed(1)} ms${split.stolen === undefined ? '' : `, ${split.stolen} txs taken from the workers`})`
    : '';
  return `${report.mode}, ${re} re-execution${re === 1 ? '' : 's'}${pieces}`;
}
