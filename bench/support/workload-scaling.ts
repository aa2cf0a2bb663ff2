/**
 * bench:parallel's workload scaling: how much faster two worker threads run a VM's transfers
 * than one, with no coordination at all. The ceiling for any 2-worker speed-up of that workload
 * here, closer than the plain-JavaScript probe (cpu-scaling.ts): a VM's tx allocates much and
 * each thread collects its own garbage, so two threads of it share the cores' caches, memory and
 * the V8 platform's helper threads, which plain JavaScript barely uses.
 *
 * Two executors of the same low-contention blocks, both through the split first pass with no
 * coordinator's share and no taking of tails: one worker runs blocks of half the size, each as
 * one piece, and two workers each run half of a whole block at the same time. From every block
 * the workers' own time on their pieces (RunStats.split.workerMs: set-up and messages left out)
 * gives a time per tx; a run's scaling is 2 x (time per tx alone) / (time per tx with the other
 * worker busy too), alternating which executor goes first, and the result is the median over
 * the runs.
 */
import { median } from './median';
import type { BenchTuning, Scenario } from '../parallel';

/** A low-contention scenario of one VM, blocks of `txsPerBlock`, every block through the split first pass with `tuning`. */
export type SplitScenarioFactory = (tuning: BenchTuning, txsPerBlock: number) => Promise<Scenario>;

/** Pure split pieces: no share for the coordinator, no tails taken. */
const piecesOnly = (tuning: BenchTuning, workers: number): BenchTuning => ({
  ...tuning,
  workers,
  splitCoordinatorShare: 0,
  splitWorkersSteal: false,
});

/** Time per tx (ms) in the workers over one pass of the scenario's blocks. */
async function perTxMs(s: Scenario): Promise<number> {
  let ms = 0;
  let txs = 0;
  for (const block of s.blocks) {
    await s.run(s.parallel, block);
    const split = s.parallel.parallel.lastReport?.stats?.split;
    if (split === undefined || split.conflictAt !== undefined) throw new Error(`${s.name}: a block did not run as clean split pieces`);
    ms += split.workerMs.reduce((a, b) => a + b, 0);
    txs += split.workerTxs.reduce((a, b) => a + b, 0);
  }
  return ms / txs;
}

/**
 * The lone worker gets blocks of half the size, so that every piece is as long as each of the
 * pair's and is reported in as many parts (a part's report costs the same however long it is).
 */
export async function workloadScaling(
  make: SplitScenarioFactory,
  tuning: BenchTuning,
  txsPerBlock: number,
  runs: number,
  warmup: number,
): Promise<number> {
  const alone = await make(piecesOnly(tuning, 1), Math.ceil(txsPerBlock / 2));
  const pair = await make(piecesOnly(tuning, 2), txsPerBlock);
  try {
    for (let i = 0; i < warmup; i++) {
      await perTxMs(alone);
      await perTxMs(pair);
    }
    const ratios: number[] = [];
    for (let i = 0; i < runs; i++) {
      let aloneMs: number;
      let pairMs: number;
      if (i % 2 === 0) {
        aloneMs = await perTxMs(alone);
        pairMs = await perTxMs(pair);
      } else {
        pairMs = await perTxMs(pair);
        aloneMs = await perTxMs(alone);
      }
      ratios.push((2 * aloneMs) / pairMs);
    }
    return Number(median(ratios).toFixed(3));
  } finally {
    await alone.close();
    await pair.close();
  }
}
