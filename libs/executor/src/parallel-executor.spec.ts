import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeclaredKeys } from './declared-keys';
import type { TxResult } from './engine';
import {
  MAX_CONTENTION_BACKOFF,
  ParallelExecutor,
  stillContended,
  WORKER_YOUNG_GENERATION_MB,
  type ParallelExecutorOptions,
  type ParallelTuning,
  type RunOutcome,
  type RunStats,
  type SnapshotState,
} from './parallel-executor';
import { KvEngine, kvWorkerPayload, runKvSerially, type KvTx } from './testing/kv-engine';

const ENGINE = join(__dirname, 'testing', 'kv-engine.ts');

/** Committed state as the node's StateCache keeps it: values plus a version moved by every commit. */
let versions = 0;
class TestState implements SnapshotState {
  version = ++versions;
  readonly values = new Map<bigint, bigint>();
  get(key: bigint): bigint {
    return this.values.get(key) ?? 0n;
  }
  entries(): Iterable<[bigint, bigint]> {
    return this.values.entries();
  }
  apply(writes: ReadonlyMap<bigint, bigint>): void {
    for (const [k, v] of writes)
      if (v === 0n) this.values.delete(k);
      else this.values.set(k, v);
    this.version = ++versions;
  }
}

type Contention = 'none' | 'some' | 'hot' | 'chain' | 'mixed';

/** Random blocks whose conflict rate is controlled by `contention`. */
function blockArb(contention: Contention): fc.Arbitrary<KvTx[]> {
  return fc.integer({ min: 1, max: 64 }).chain((n) =>
    fc
      .array(
        fc.record({
          a: fc.integer({ min: 0, max: 1_000 }),
          b: fc.integer({ min: 0, max: 1_000 }),
          dyn: fc.boolean(),
          revert: fc.constantFrom(undefined, 2n, 3n),
          work: fc.constantFrom(0, 0, 200, 2_000),
          share: fc.constantFrom(undefined, undefined, undefined, 'code'),
        }),
        { minLength: n, maxLength: n },
      )
      .map((raw) =>
        raw.map((r, i): KvTx => {
          const own = 10_000n + BigInt(i) * 2n;
          let reads: bigint[];
          let writes: bigint[];
          switch (contention) {
            case 'none':
              reads = [own];
              writes = [own + 1n];
              break;
            case 'some':
              reads = [BigInt(r.a % (n * 2)), own];
              writes = [BigInt(r.b % (n * 2))];
              break;
            case 'hot':
              reads = [0n];
              writes = [0n];
              break;
            case 'chain':
              reads = [BigInt(i)];
              writes = [BigInt(i + 1)];
              break;
            default:
              reads = [BigInt(r.a % 8), BigInt(r.b % 200)];
              writes = r.a % 3 === 0 ? [] : [BigInt(r.b % 8), BigInt(r.a % 200)];
          }
          return {
            reads,
            writes,
            ...(r.dyn ? { dynamicBase: 500n, dynamicSpan: 7n } : {}),
            ...(contention !== 'none' && r.revert !== undefined ? { revertIfDivisibleBy: r.revert } : {}),
            work: r.work,
            ...(r.share ? { share: `${r.share}-${i % 3}` } : {}),
          };
        }),
      ),
  );
}

function mergedWrites(results: readonly TxResult[]): Map<bigint, bigint> {
  const out = new Map<bigint, bigint>();
  for (const r of results) for (const [k, v] of r.writes) out.set(k, v);
  return out;
}

const executors: ParallelExecutor[] = [];
/** A kv-engine executor, closed after the tests; `options` override the defaults of the executor. */
function kvExecutor(options: ParallelTuning & Pick<ParallelExecutorOptions, 'workerPayload'>): ParallelExecutor {
  const ex = new ParallelExecutor({ engineModule: ENGINE, engineOptions: {}, localEngine: () => new KvEngine(), ...options });
  executors.push(ex);
  return ex;
}

function executor(
  workers: number,
  coordinatorExecutes = true,
  splitFirst = false,
  splitCoordinatorShare = 0,
  splitWorkersSteal = true,
  splitLeadTxs = 0,
): ParallelExecutor {
  return kvExecutor({
    workers,
    coordinatorExecutes,
    splitFirst,
    splitCoordinatorShare,
    splitWorkersSteal,
    splitLeadTxs,
    maxSplitThreads: 8, // every worker takes a piece, whatever the machine's cores
    adaptive: false, // every block in the workers (the adaptive choice has its own test)
    minParallelTxs: 1,
    contentionBackoff: false, // every block takes the parallel path (the backoff has its own test)
  });
}
afterAll(async () => {
  await Promise.all(executors.map((e) => e.close()));
});

describe('ParallelExecutor (Block-STM) against serial execution', () => {
  // [workers, the coordinator executes, split first pass, the coordinator's share, workers take each other's tails, splitLeadTxs]
  for (const [workers, coordinator, splitFirst, share, steal = true, lead = 0] of [
    [1, true, false, 0],
    [2, true, false, 0],
    [4, true, false, 0],
    [1, false, false, 0],
    [2, false, false, 0],
    [4, false, false, 0],
    [2, false, true, 0],
    [2, false, true, 0, false],
    [4, false, true, 0],
    [1, false, true, 0.4],
    [2, false, true, 0.1],
    [1, false, true, 0.4, true, 2],
    [2, false, true, 0, false, 1],
  ] as const) {
    for (const contention of ['none', 'some', 'hot', 'chain', 'mixed'] as Contention[]) {
      const who = `${coordinator ? ' + the coordinator' : ' only'}${splitFirst ? ', split first pass' : ''}${share > 0 ? ` (the coordinator's share ${share}, taking the workers' tails)` : ''}${splitFirst && workers > 1 ? (steal ? ', workers taking tails' : ', no tails taken') : ''}${lead > 0 ? `, pieces' first ${lead} tx(s) with their 'begin'` : ''}`;
      it(`${workers} worker(s)${who}, ${contention} contention: identical results, block after block`, async () => {
        const ex = executor(workers, coordinator, splitFirst, share, steal, lead);
        const state = new TestState();
        for (let k = 0n; k < 50n; k++) state.apply(new Map([[k, k * 7n + 1n]]));
        let blocks = 0;
        let split = 0;
        await fc.assert(
          fc.asyncProperty(blockArb(contention), async (txs) => {
            const expected = runKvSerially(txs, state.values);
            const out = await ex.run(null, txs, state);
            expect(out.kind, out.kind === 'serial' ? out.reason : '').toBe('parallel');
            if (out.kind !== 'parallel') return;
            if (out.stats.split) split++;
            // Every tx's output and writes, and the block's net writes, equal serial execution's.
            expect(out.results.map((r) => r.output)).toEqual(expected.results);
            expect(mergedWrites(out.results)).toEqual(expected.writes);
            // Writes the run merged itself (the split first pass): the same, in the same order.
            if (out.stats.split !== undefined && out.stats.split.conflictAt === undefined) expect(out.writes).toBeDefined();
            if (out.writes !== undefined) expect([...out.writes]).toEqual([...mergedWrites(out.results)]);
            // The block commits; the next one runs on the new state (workers' replicas follow).
            const before = state.version;
            state.apply(expected.writes);
            ex.committed(before, state.version, expected.writes);
            blocks++;
          }),
          { numRuns: 150 },
        );
        expect(blocks).toBe(150);
        // With the split first pass on, blocks after a conflict-free one take it (the first block does).
        if (splitFirst) expect(split).toBeGreaterThan(0);
        else expect(split).toBe(0);
      }, 120_000);
    }
  }

  /** What a kv tx touches: every key it may read (the whole dynamic range) and every key it may write. */
  const exactKeys = (tx: KvTx): DeclaredKeys => {
    const dynamic =
      tx.dynamicBase === undefined ? [] : Array.from({ length: Number(tx.dynamicSpan ?? 1n) }, (_, j) => tx.dynamicBase! + BigInt(j));
    return { reads: [...tx.reads, ...dynamic], writes: tx.writes };
  };

  for (const workers of [1, 2, 4]) {
    for (const contention of ['some', 'hot', 'chain', 'mixed'] as Contention[]) {
      it(`declared keys, ${workers} worker(s), ${contention} contention: scheduled from the dependencies, identical results; right declarations never re-execute, wrong ones are caught`, async () => {
        // Every block scheduled from its declarations, even a chain (see the next test for the default).
        const ex = kvExecutor({
          workers,
          coordinatorExecutes: workers === 2,
          adaptive: false,
          minParallelTxs: 1,
          contentionBackoff: false,
          minDeclaredParallelism: 0,
        });
        const state = new TestState();
        for (let k = 0n; k < 50n; k++) state.apply(new Map([[k, k * 7n + 1n]]));
        let scheduled = 0;
        await fc.assert(
          fc.asyncProperty(
            blockArb(contention),
            fc.constantFrom('exact', 'exact', 'missing', 'partial'),
            fc.infiniteStream(fc.integer({ min: 0, max: 3 })),
            async (txs, how, dice) => {
              // exact: every tx declares what it touches; missing: some declarations leave keys
              // out (the optimistic path must catch those); partial: some txs declare nothing.
              const declared = txs.map((tx): DeclaredKeys | undefined => {
                const keys = exactKeys(tx);
                const roll = dice.next().value as number;
                if (how === 'partial' && roll === 0) return undefined;
                if (how === 'missing' && roll === 0) return { reads: keys.reads.slice(1), writes: keys.writes.slice(1) };
                return keys;
              });
              const expected = runKvSerially(txs, state.values);
              const out = await ex.run(null, txs, state, declared);
              expect(out.kind, out.kind === 'serial' ? out.reason : '').toBe('parallel');
              if (out.kind !== 'parallel') return;
              expect(out.results.map((r) => r.output)).toEqual(expected.results);
              expect(mergedWrites(out.results)).toEqual(expected.writes);
              if (out.stats.declaredDependencies !== undefined) scheduled++;
              if (how === 'exact') expect(out.stats.reexecutions).toBe(0);
              const before = state.version;
              state.apply(expected.writes);
              ex.committed(before, state.version, expected.writes);
            },
          ),
          { numRuns: 120 },
        );
        expect(scheduled).toBeGreaterThan(0);
      }, 120_000);
    }
  }

  it('declared keys: a block chained on one hot key runs serially; on four hot keys, in parallel without a single re-execution, where the optimistic path re-executes', async () => {
    const ex = executor(2, false);
    const state = new TestState();
    const declare = (txs: KvTx[]) => txs.map((tx) => ({ reads: tx.reads, writes: tx.writes }));
    const hot: KvTx[] = Array.from({ length: 64 }, () => ({ reads: [0n], writes: [0n], work: 50_000 }));
    expect(await ex.run(null, hot, state, declare(hot))).toEqual({
      kind: 'serial',
      reason: 'declared keys chain 64 of the 64 txs one after another (parallelism 1.00 < 1.5)',
    });
    const four: KvTx[] = Array.from({ length: 64 }, (_, i) => ({ reads: [BigInt(i % 4)], writes: [BigInt(i % 4)], work: 50_000 }));
    const out = await ex.run(null, four, state, declare(four));
    expect(out.kind === 'parallel' && out.stats).toMatchObject({ reexecutions: 0, declaredDependencies: 60, mode: 'parallel' });
    if (out.kind === 'parallel') expect(out.results.map((r) => r.output)).toEqual(runKvSerially(four, state.values).results);
    const optimistic = await ex.run(null, four, state);
    expect(optimistic.kind === 'parallel' && optimistic.stats.reexecutions).toBeGreaterThan(0);
    await expect(ex.run(null, hot, state, declare(hot).slice(1))).rejects.toThrow('declared keys for 63 txs, but the block has 64');
    expect(() => kvExecutor({ workers: 1, minDeclaredParallelism: -1 })).toThrow('minDeclaredParallelism must be a number >= 0, got -1');
  });

  it('declared keys: after a chained block the next ones run serially without mapping their keys (back-off), then the declarations are looked at again', async () => {
    const ex = kvExecutor({ workers: 2, minParallelTxs: 1, adaptive: false });
    const state = new TestState();
    const hot: KvTx[] = Array.from({ length: 64 }, () => ({ reads: [0n], writes: [0n] }));
    let computed = 0;
    const declared = () => {
      computed++;
      return hot.map((tx) => ({ reads: tx.reads, writes: tx.writes }));
    };
    const reasons: string[] = [];
    for (let b = 0; b < 5; b++) {
      const out = await ex.run(null, hot, state, declared);
      reasons.push(out.kind === 'serial' ? out.reason.split(' (')[0] : out.kind);
    }
    // Chain, back-off 1 block, chain again, back-off 2 blocks.
    expect(reasons).toEqual([
      'declared keys chain 64 of the 64 txs one after another',
      'recent blocks were contended',
      'declared keys chain 64 of the 64 txs one after another',
      'recent blocks were contended',
      'recent blocks were contended',
    ]);
    expect(computed).toBe(2);
    // Four hot keys: scheduled in parallel once the back-off is over.
    for (let b = 0; b < 4; b++) await ex.run(null, hot, state, declared);
    const four: KvTx[] = Array.from({ length: 64 }, (_, i) => ({ reads: [BigInt(i % 4)], writes: [BigInt(i % 4)] }));
    let out = await ex.run(
      null,
      four,
      state,
      four.map((tx) => ({ reads: tx.reads, writes: tx.writes })),
    );
    for (let b = 0; out.kind === 'serial' && b < 64; b++)
      out = await ex.run(
        null,
        four,
        state,
        four.map((tx) => ({ reads: tx.reads, writes: tx.writes })),
      );
    expect(out.kind === 'parallel' && out.stats).toMatchObject({ reexecutions: 0, mode: 'parallel' });
  });

  it('re-executes under contention and says so; none without it', async () => {
    const ex = executor(2);
    const state = new TestState();
    // Long enough (~64 x 50 µs) that both workers surely claim some of it: one worker's own txs never conflict.
    const hot: KvTx[] = Array.from({ length: 64 }, () => ({ reads: [0n], writes: [0n], work: 50_000 }));
    const outHot = await ex.run(null, hot, state);
    expect(outHot.kind).toBe('parallel');
    if (outHot.kind === 'parallel') expect(outHot.results.map((r) => r.output)).toEqual(runKvSerially(hot, state.values).results);
    const cold: KvTx[] = Array.from({ length: 64 }, (_, i) => ({ reads: [BigInt(1000 + i)], writes: [BigInt(2000 + i)], work: 5_000 }));
    const outCold = await ex.run(null, cold, state);
    expect(outCold.kind === 'parallel' && outCold.stats.reexecutions).toBe(0);
    expect(outHot.kind === 'parallel' && outHot.stats.reexecutions).toBeGreaterThan(0);
  });

  describe('split first pass', () => {
    const disjoint = (n: number, base = 1000): KvTx[] =>
      Array.from({ length: n }, (_, i) => ({ reads: [BigInt(base + 2 * i)], writes: [BigInt(base + 2 * i + 1)], work: 2_000 }));

    it('a block whose pieces do not touch each other runs as one piece per worker, one message each way, no re-execution', async () => {
      const ex = kvExecutor({
        workers: 4,
        minParallelTxs: 1,
        adaptive: false,
        splitFirst: true,
        splitWorkersSteal: false,
        splitPieceReports: 1,
      });
      const state = new TestState();
      const txs = disjoint(50);
      const out = await ex.run(null, txs, state);
      expect(out.kind).toBe('parallel');
      if (out.kind !== 'parallel') return;
      expect(out.stats).toMatchObject({ mode: 'parallel', reexecutions: 0, split: { pieces: 4 } });
      expect(out.results.map((r) => r.output)).toEqual(runKvSerially(txs, state.values).results);
      // Each worker's own time and txs (pieces of 13, 13, 13, 11), the slowest time among them.
      const split = out.stats.split!;
      expect([...split.workerTxs].sort((a, b) => a - b)).toEqual([11, 13, 13, 13]);
      expect(split.workerMs).toHaveLength(4);
      expect(split.workerMs.every((ms) => ms > 0)).toBe(true);
      expect(Math.max(...split.workerMs)).toBe(split.slowestPieceMs);
    });

    it('a worker reports its piece in parts as it goes (splitPieceReports, default 4); results exact', async () => {
      const ex = kvExecutor({ workers: 4, minParallelTxs: 1, adaptive: false, splitFirst: true, splitWorkersSteal: false });
      const state = new TestState();
      const txs = disjoint(50);
      const out = await ex.run(null, txs, state);
      expect(out.kind).toBe('parallel');
      if (out.kind !== 'parallel') return;
      // Pieces of 13, 13, 13 and 11 txs, each in 4 parts (4 + 4 + 4 + 1 and 3 + 3 + 3 + 2).
      expect(out.stats).toMatchObject({ mode: 'parallel', reexecutions: 0, split: { pieces: 16 } });
      expect(out.results.map((r) => r.output)).toEqual(runKvSerially(txs, state.values).results);
      expect(mergedWrites(out.results)).toEqual(runKvSerially(txs, state.values).writes);
    });

    it("splitLeadTxs: a piece's first txs go with its 'begin', the rest in a 'more' the worker takes when it gets to them; results exact", async () => {
      const state = new TestState();
      const txs = disjoint(60);
      const expected = runKvSerially(txs, state.values);
      for (const [workers, share, lead] of [
        [1, 0.4, 1],
        [2, 0, 3],
        [2, 0, 40], // more than a piece: all in 'begin'
      ] as const) {
        const ex = kvExecutor({
          workers,
          minParallelTxs: 1,
          adaptive: false,
          splitFirst: true,
          splitWorkersSteal: false,
          splitCoordinatorShare: share,
          splitLeadTxs: lead,
        });
        for (let round = 0; round < 3; round++) {
          const out = await ex.run(null, txs, state);
          expect(out.kind === 'parallel' && out.stats).toMatchObject({ mode: 'parallel', reexecutions: 0 });
          if (out.kind !== 'parallel') return;
          // Without a share (no tails taken), the workers run their whole pieces: beyond the lead, txs that came in a 'more'.
          if (share === 0) expect(out.stats.split?.workerTxs).toEqual([30, 30]);
          expect(out.results.map((r) => r.output)).toEqual(expected.results);
          expect(mergedWrites(out.results)).toEqual(expected.writes);
        }
      }
      for (const bad of [-1, 1.5, Number.NaN])
        expect(() => kvExecutor({ workers: 1, splitLeadTxs: bad })).toThrow(/splitLeadTxs must be a non-negative integer/);
    });

    it("splitLeadTxs: a 'more' that arrived as an event while the engine awaited (a host reply) is found in the queue", async () => {
      const ex = kvExecutor({
        workers: 2,
        minParallelTxs: 1,
        adaptive: false,
        splitFirst: true,
        splitWorkersSteal: false,
        splitLeadTxs: 2,
      });
      const state = new TestState();
      // Each piece's first tx lets the worker's event loop run for 5 ms: its 'more' comes in as an event meanwhile.
      const txs = disjoint(40).map((t, i) => (i % 20 === 0 ? { ...t, yieldsToEventLoop: true } : t));
      const began = performance.now();
      const out = await ex.run(null, txs, state);
      expect(out.kind === 'parallel' && out.stats).toMatchObject({ mode: 'parallel', reexecutions: 0, split: { workerTxs: [20, 20] } });
      expect(performance.now() - began).toBeLessThan(5_000); // not the 10 s a lost 'more' would wait
      if (out.kind === 'parallel') expect(out.results.map((r) => r.output)).toEqual(runKvSerially(txs, state.values).results);
    });

    it('a worker watching its doorbell after a piece takes the next messages in order: commits, a split block, a Block-STM block, one after a pause; results exact', async () => {
      const ex = kvExecutor({
        workers: 2,
        minParallelTxs: 1,
        adaptive: false,
        contentionBackoff: false,
        splitFirst: true,
        splitCoordinatorShare: 0.4,
        workerWatchMs: 200, // longer than a block of this test takes in cold code
      });
      const state = new TestState();
      // Each block reads what the one before wrote: a worker that took a block's messages before its
      // committed writes (or without them) would read stale values.
      const block = (round: number): KvTx[] =>
        Array.from({ length: 30 }, (_, i) => ({
          reads: [BigInt(2 * i + (round % 2))],
          writes: [BigInt(2 * i + 1 - (round % 2))],
          work: 500,
        }));
      for (let round = 0; round < 8; round++) {
        // Rounds 3 and 6 come after a pause longer than the watch (the worker sleeps in its event
        // loop again); round 5 conflicts on purpose (the next block then takes the Block-STM path).
        if (round === 3 || round === 6) await new Promise((r) => setTimeout(r, 300));
        // In round 5 the last tx also reads what the first one writes (another piece's write).
        const txs =
          round === 5
            ? block(round).map((t, i) => (i === 29 ? { ...t, reads: [...t.reads, ...block(round)[0].writes] } : t))
            : block(round);
        const expected = runKvSerially(txs, state.values);
        const out = await ex.run(null, txs, state);
        expect(out.kind, out.kind === 'serial' ? out.reason : '').toBe('parallel');
        if (out.kind !== 'parallel') return;
        expect(out.results.map((r) => r.output)).toEqual(expected.results);
        expect(mergedWrites(out.results)).toEqual(expected.writes);
        if (round === 5) expect(out.stats).toMatchObject({ mode: 'parallel+serial-tail', split: { conflictAt: expect.any(Number) } });
        if (round === 6) expect(out.stats.split).toBeUndefined(); // the block after a conflicted one
        const before = state.version;
        state.apply(expected.writes);
        ex.committed(before, state.version, expected.writes);
      }
      for (const bad of [-1, 1_001, Number.NaN])
        expect(() => kvExecutor({ workers: 1, workerWatchMs: bad })).toThrow(/workerWatchMs must be a number of ms from 0 to 1000/);
    });

    it("splitStealFraction: the coordinator's tails are that share of what the worker's piece has left; results exact", async () => {
      const state = new TestState();
      const txs = disjoint(80).map((t) => ({ ...t, work: 20_000 }));
      const expected = runKvSerially(txs, state.values);
      for (const fraction of [1, 0.25, 0.05]) {
        const ex = kvExecutor({
          workers: 1,
          minParallelTxs: 1,
          adaptive: false,
          splitFirst: true,
          splitCoordinatorShare: 0.4,
          splitStealFraction: fraction,
        });
        for (let round = 0; round < 2; round++) {
          const out = await ex.run(null, txs, state);
          expect(out.kind === 'parallel' && out.stats).toMatchObject({ mode: 'parallel', reexecutions: 0 });
          if (out.kind !== 'parallel') return;
          expect(out.results.map((r) => r.output)).toEqual(expected.results);
          expect(mergedWrites(out.results)).toEqual(expected.writes);
          // Every tx ran once: the worker's part and this thread's tails cover its piece.
          const split = out.stats.split!;
          expect(split.workerTxs.reduce((a, b) => a + b, 0) + split.stolen!).toBe(80 - 32);
        }
      }
      for (const bad of [0, -0.5, 1.5, Number.NaN])
        expect(() => kvExecutor({ workers: 1, splitStealFraction: bad })).toThrow(
          /splitStealFraction must be a number above 0 and at most 1/,
        );
    });

    it("workerPayload: applied to the txs sent to workers only (the coordinator's share runs the txs as given); results exact", async () => {
      let made = 0;
      const ex = kvExecutor({
        workers: 1,
        minParallelTxs: 1,
        adaptive: false,
        splitFirst: true,
        splitCoordinatorShare: 0.4,
        splitLeadTxs: 2,
        workerPayload: (tx) => (made++, kvWorkerPayload(tx)),
      });
      const state = new TestState();
      const txs = disjoint(40);
      const out = await ex.run(null, txs, state);
      expect(out.kind === 'parallel' && out.stats).toMatchObject({ mode: 'parallel', reexecutions: 0 });
      if (out.kind !== 'parallel') return;
      expect(made).toBe(40 - 16); // the worker's piece: txs 16-39
      expect(out.results.map((r) => r.output)).toEqual(runKvSerially(txs, state.values).results);
      // The Block-STM path sends every tx to every worker, as payloads.
      made = 0;
      const stm = kvExecutor({ workers: 2, minParallelTxs: 1, adaptive: false, workerPayload: (tx) => (made++, kvWorkerPayload(tx)) });
      const again = await stm.run(null, txs, state);
      expect(again.kind === 'parallel' && again.stats.split).toBeUndefined();
      expect(made).toBe(40);
      if (again.kind === 'parallel') expect(again.results.map((r) => r.output)).toEqual(runKvSerially(txs, state.values).results);
    });

    it('refuses a bad splitPieceReports with the reason', () => {
      for (const bad of [0, 1.5, -1, 1001])
        expect(() => kvExecutor({ workers: 1, splitPieceReports: bad })).toThrow(/splitPieceReports must be an integer from 1 to 1000/);
    });

    it('a piece that read what an earlier piece wrote runs again here with the rest; the next block takes the Block-STM path, with no back-off', async () => {
      const ex = kvExecutor({ workers: 2, minParallelTxs: 1, adaptive: false, splitFirst: true, splitWorkersSteal: false });
      const state = new TestState();
      // Tx 30 (second piece) reads key 5, which tx 3 (first piece) writes. Each piece comes in 4
      // parts of 5 txs: parts are checked on their own, so the one holding tx 30 and those after it run again.
      const txs = disjoint(40);
      txs[3] = { reads: [1n], writes: [5n] };
      txs[30] = { reads: [5n], writes: [7n] };
      const expected = runKvSerially(txs, state.values);
      const out = await ex.run(null, txs, state);
      expect(out.kind).toBe('parallel');
      if (out.kind !== 'parallel') return;
      expect(out.stats).toMatchObject({
        mode: 'parallel+serial-tail',
        serialFrom: 30,
        reexecutions: 10,
        split: { pieces: 8, conflictAt: 30 },
      });
      expect(out.results.map((r) => r.output)).toEqual(expected.results);
      expect(mergedWrites(out.results)).toEqual(expected.writes);
      const next = await ex.run(null, disjoint(40, 5000), state);
      expect(next.kind === 'parallel' && next.stats).toMatchObject({ mode: 'parallel', reexecutions: 0 });
      expect(next.kind === 'parallel' && next.stats.split).toBeUndefined(); // Block-STM after a conflict
      const third = await ex.run(null, disjoint(40, 9000), state);
      expect(third.kind === 'parallel' && third.stats.split).toMatchObject({ pieces: 8 }); // split again after a clean block
      expect(third.kind === 'parallel' && third.stats.split?.conflictAt).toBeUndefined();
    });

    it('a serial-only tx in a piece sends the block to the serial executor', async () => {
      const ex = kvExecutor({ workers: 2, minParallelTxs: 1, adaptive: false, splitFirst: true });
      const txs = disjoint(20);
      txs[15] = { ...txs[15], serialOnly: true };
      expect(await ex.run(null, txs, new TestState())).toMatchObject({ kind: 'serial', reason: 'tx 15: kv tx marked serial-only' });
    });

    it("with a coordinator's share: this thread runs the first piece, then takes the tails of the workers' pieces; results exact", async () => {
      const ex = kvExecutor({ workers: 1, minParallelTxs: 1, adaptive: false, splitFirst: true, splitCoordinatorShare: 0.1 });
      const state = new TestState();
      const txs = disjoint(100).map((tx) => ({ ...tx, work: 20_000 }));
      const out = await ex.run(null, txs, state);
      expect(out.kind).toBe('parallel');
      if (out.kind !== 'parallel') return;
      // Its own 10 txs are done long before the worker's 90: it takes half of what the worker has not started, and so on.
      expect(out.stats).toMatchObject({ mode: 'parallel', reexecutions: 0 });
      expect(out.stats.split?.stolen).toBeGreaterThan(0);
      expect(out.stats.split?.pieces).toBeGreaterThan(2);
      expect(out.results.map((r) => r.output)).toEqual(runKvSerially(txs, state.values).results);
    });

    /**
     * Tx `writer` writes key 5 and every later tx reads it, so whatever another thread takes of
     * the piece that holds `writer` conflicts: the block ends in a serial tail, with exact results.
     */
    async function runWithConflictingTail(ex: ParallelExecutor, txs: KvTx[], writer: number): Promise<RunStats> {
      txs[writer] = { reads: [1n], writes: [5n], work: txs[writer].work };
      for (let i = writer + 1; i < txs.length; i++) txs[i] = { ...txs[i], reads: [...txs[i].reads, 5n] };
      const state = new TestState();
      const expected = runKvSerially(txs, state.values);
      const out = await ex.run(null, txs, state);
      if (out.kind !== 'parallel') throw new Error(`ran serially: ${out.reason}`);
      expect(out.stats.mode).toBe('parallel+serial-tail');
      expect(out.results.map((r) => r.output)).toEqual(expected.results);
      expect(mergedWrites(out.results)).toEqual(expected.writes);
      return out.stats;
    }

    it("with a coordinator's share: a taken tail that read what the worker's part wrote runs again here (serial tail); results exact", async () => {
      const ex = kvExecutor({ workers: 1, minParallelTxs: 1, adaptive: false, splitFirst: true, splitCoordinatorShare: 0.1 });
      // Tx 10 is the worker's first: whatever the coordinator takes conflicts.
      const stats = await runWithConflictingTail(
        ex,
        disjoint(100).map((tx) => ({ ...tx, work: 20_000 })),
        10,
      );
      expect(stats.split?.stolen).toBeGreaterThan(0);
    });

    it("a worker that finishes its piece first takes tails of the other's; every tx runs once, results exact", async () => {
      const ex = kvExecutor({ workers: 2, minParallelTxs: 1, adaptive: false, splitFirst: true });
      const state = new TestState();
      // The first piece's txs are cheap, the second's heavy: the first worker is done long before.
      const txs = disjoint(60).map((tx, i) => ({ ...tx, work: i < 30 ? 0 : 200_000 }));
      const out = await ex.run(null, txs, state);
      expect(out.kind).toBe('parallel');
      if (out.kind !== 'parallel') return;
      expect(out.stats).toMatchObject({ mode: 'parallel', executions: 60, reexecutions: 0 });
      expect(out.stats.split?.takenByWorkers).toBeGreaterThan(0);
      expect(out.stats.split?.pieces).toBeGreaterThan(2);
      expect(out.results.map((r) => r.output)).toEqual(runKvSerially(txs, state.values).results);
    });

    it('a tail a worker took that read what the rest of its piece wrote runs again here (serial tail); results exact', async () => {
      const ex = kvExecutor({ workers: 2, minParallelTxs: 1, adaptive: false, splitFirst: true });
      // Tx 30 is the second piece's first (its txs heavy): whatever the first worker takes conflicts.
      const stats = await runWithConflictingTail(
        ex,
        disjoint(60).map((tx, i) => ({ ...tx, work: i < 30 ? 0 : 200_000 })),
        30,
      );
      expect(stats.split?.takenByWorkers).toBeGreaterThan(0);
    });

    it("with a coordinator's share, at most maxSplitThreads threads execute: the pieces go to maxSplitThreads - 1 workers", async () => {
      const txs = disjoint(40);
      const state = new TestState();
      const expected = runKvSerially(txs, state.values).results;
      for (const [maxSplitThreads, workerPieces] of [
        [2, 1],
        [3, 2],
      ] as const) {
        const ex = kvExecutor({
          workers: 2,
          minParallelTxs: 1,
          adaptive: false,
          splitFirst: true,
          splitCoordinatorShare: 0.5,
          maxSplitThreads,
        });
        const out = await ex.run(null, txs, state);
        expect(out.kind).toBe('parallel');
        if (out.kind !== 'parallel') return;
        expect(out.results.map((r) => r.output)).toEqual(expected);
        // Workers take each other's tails only when two or more have pieces.
        expect(out.stats.split?.takenByWorkers === undefined, `maxSplitThreads ${maxSplitThreads}`).toBe(workerPieces < 2);
      }
      expect(() => kvExecutor({ workers: 2, maxSplitThreads: 1 })).toThrow('maxSplitThreads must be an integer >= 2, got 1');
    });

    it('off (the default): every block takes the Block-STM path', async () => {
      const ex = kvExecutor({ workers: 2, minParallelTxs: 1, adaptive: false });
      const out = await ex.run(null, disjoint(20), new TestState());
      expect(out.kind === 'parallel' && out.stats.split).toBeUndefined();
    });
  });

  it('after a contended block, the next ones run serially (1, 2, 4, ... blocks), then parallel is tried again', async () => {
    // The Block-STM path's policy (the split first pass, which would take the first hot block, is tested below).
    const ex = kvExecutor({ workers: 2, minParallelTxs: 1, adaptive: false, splitFirst: false });
    const state = new TestState();
    const hot: KvTx[] = Array.from({ length: 64 }, () => ({ reads: [0n], writes: [0n], work: 5_000 }));
    const cold: KvTx[] = Array.from({ length: 64 }, (_, i) => ({ reads: [BigInt(1000 + i)], writes: [BigInt(2000 + i)], work: 5_000 }));
    const modes: string[] = [];
    const ran: RunOutcome[] = [];
    for (const txs of [hot, hot, hot, hot, cold, cold, cold, cold, cold]) {
      const out = await ex.run(null, txs, state);
      ran.push(out);
      modes.push(out.kind === 'serial' ? (out.reason.startsWith('recent blocks were contended') ? 'backoff' : out.reason) : out.stats.mode);
    }
    // A hot block may still run in parallel to the end when one worker happens to claim nearly
    // all of it (a worker's own txs see each other's writes): the policy is checked against what
    // each block that was not backed off actually did (a probe that wasted much counts as contended).
    let contended = 0;
    let skip = 0;
    const expected = modes.map((mode, i) => {
      if (skip > 0) {
        skip--;
        return 'backoff';
      }
      const out = ran[i];
      if (out.kind === 'parallel' && stillContended(out.stats, contended > 0)) skip = Math.min(MAX_CONTENTION_BACKOFF, 2 ** contended++);
      else contended = 0;
      return mode;
    });
    expect(modes).toEqual(expected);
    expect(modes.slice(0, 4)).toContain('parallel+serial-tail'); // the hot blocks were contended
    expect(modes.slice(-3)).toEqual(['parallel', 'parallel', 'parallel']); // the load changed: parallel again
  });

  it('stillContended: a serial tail, or a probe that went on and re-executed more than a quarter of its txs', () => {
    expect(stillContended({ mode: 'parallel+serial-tail', reexecutions: 0, txs: 100 }, false)).toBe(true);
    expect(stillContended({ mode: 'parallel', reexecutions: 60, txs: 100 }, false)).toBe(false); // not a probe: speculation paid
    expect(stillContended({ mode: 'parallel', reexecutions: 26, txs: 100 }, true)).toBe(true);
    expect(stillContended({ mode: 'parallel', reexecutions: 25, txs: 100 }, true)).toBe(false);
    expect(stillContended({ mode: 'parallel', reexecutions: 0, txs: 100 }, true)).toBe(false); // the load changed
  });

  it('a probe block after contended ones speculates on its first quarter, then goes on in parallel or runs the rest here; results stay exact', async () => {
    const ex = kvExecutor({ workers: 2, minParallelTxs: 1, adaptive: false });
    const state = new TestState();
    const n = 128;
    const hot: KvTx[] = Array.from({ length: n }, () => ({ reads: [0n], writes: [0n], work: 50_000 }));
    const cold: KvTx[] = Array.from({ length: n }, (_, i) => ({ reads: [BigInt(1000 + i)], writes: [BigInt(2000 + i)], work: 5_000 }));
    const seen: { load: string; out: RunOutcome }[] = [];
    for (const [load, txs] of [
      ['hot', hot],
      ['hot', hot],
      ['hot', hot],
      ['hot', hot],
      ['cold', cold],
      ['cold', cold],
      ['cold', cold],
      ['cold', cold],
    ] as const) {
      const out = await ex.run(null, txs, state);
      if (out.kind === 'parallel') expect(out.results.map((r) => r.output)).toEqual(runKvSerially(txs, state.values).results);
      seen.push({ load, out });
    }
    // Hot blocks that ran after a contended one (probes) stopped speculating once their first
    // quarter had committed (or earlier): the wasted executions are those of that quarter (a hot
    // chain re-executes some txs more than once), not of the whole block.
    const probes = seen.filter((s, i) => i > 0 && s.load === 'hot' && s.out.kind === 'parallel' && seen[i - 1].out.kind === 'serial');
    for (const p of probes) {
      if (p.out.kind !== 'parallel') continue;
      expect(p.out.stats.mode).toBe('parallel+serial-tail');
      expect(p.out.stats.serialFrom).toBeLessThanOrEqual(n / 4);
      expect(p.out.stats.reexecutions).toBeLessThanOrEqual(n / 2);
    }
    // The load turned cold: the probe went on in parallel to the end, and so do the next blocks.
    expect(seen.slice(-2).map((s) => (s.out.kind === 'parallel' ? s.out.stats.mode : s.out.reason))).toEqual(['parallel', 'parallel']);
  });

  it('a serial-only tx sends the block to the serial executor', async () => {
    const ex = executor(2);
    const txs: KvTx[] = Array.from({ length: 20 }, (_, i) => ({ reads: [BigInt(i)], writes: [BigInt(i)], serialOnly: i === 13 }));
    const out = await ex.run(null, txs, new TestState());
    expect(out).toMatchObject({ kind: 'serial', reason: 'tx 13: kv tx marked serial-only' });
  });

  it('adaptive: after the warm-up, blocks go where they ran faster, and the other way is probed again', async () => {
    const ex = kvExecutor({ workers: 2, minParallelTxs: 1, adaptive: true, probeEvery: 4, warmupTxs: 128 });
    const state = new TestState();
    const modes: string[] = [];
    const txs: KvTx[] = Array.from({ length: 64 }, (_, i) => ({ reads: [BigInt(i)], writes: [BigInt(100 + i)] }));
    for (let b = 0; b < 16; b++) {
      const out = await ex.run(null, txs, state);
      if (out.kind === 'parallel') {
        expect(out.results.map((r) => r.output)).toEqual(runKvSerially(txs, state.values).results);
        ex.noteBlock('workers', txs.length, 50); // as the VM reports it: slower in the workers
        modes.push('workers');
      } else {
        expect(out.reason).toMatch(/^serial execution/);
        ex.noteBlock('serial', txs.length, 30); // than serially (less than twice: probed every probeEvery blocks)
        modes.push('serial');
      }
    }
    // Warm-up (128 txs = 2 blocks) unjudged, one judged block in the workers, then serial (the
    // judgement's serial block counts as a probe), with a probe of the workers every 4th block,
    // two blocks long (the workers lose by less than CONFIRM_RATIO, so a second block confirms).
    expect(modes).toEqual([
      'workers',
      'workers',
      'workers',
      'serial',
      'serial',
      'serial',
      'serial',
      'workers',
      'workers',
      'serial',
      'serial',
      'workers',
      'workers',
      'serial',
      'serial',
      'workers',
    ]);
  });

  it('refuses bad adaptive and claim settings with the reason', () => {
    expect(() => kvExecutor({ workers: 1, warmupTxs: -5 })).toThrow('warmupTxs must be a non-negative integer, got -5');
    expect(() => kvExecutor({ workers: 1, warmupTxs: 1.5 })).toThrow(/warmupTxs/);
    expect(() => kvExecutor({ workers: 1, claimMs: 0 })).toThrow('claimMs must be in (0, 1000], got 0');
    expect(() => kvExecutor({ workers: 1, claimMs: Number.NaN })).toThrow(/claimMs/);
    expect(() => kvExecutor({ workers: 1, workerYoungGenerationMb: 2 })).toThrow(
      'workerYoungGenerationMb must be an integer from 3 to 3072, got 2',
    );
    expect(() => kvExecutor({ workers: 1, splitCoordinatorShare: 1 })).toThrow(
      'splitCoordinatorShare must be a number from 0 up to (not including) 1, got 1',
    );
    expect(() => kvExecutor({ workers: 1, splitCoordinatorShare: -0.1 })).toThrow(/splitCoordinatorShare/);
    expect(() => kvExecutor({ workers: 1, splitCoordinatorShare: Number.NaN })).toThrow(/splitCoordinatorShare/);
  });

  it(`workers get a young generation of workerYoungGenerationMb (default ${WORKER_YOUNG_GENERATION_MB} MB)`, async () => {
    const limits = async (tuning: ParallelTuning) => {
      const ex = kvExecutor({ workers: 1, ...tuning });
      await ex.start();
      const workers = (ex as unknown as { workers: { thread: Worker }[] }).workers;
      return workers.map((w) => w.thread.resourceLimits?.maxYoungGenerationSizeMb);
    };
    expect(await limits({})).toEqual([WORKER_YOUNG_GENERATION_MB]);
    expect(await limits({ workerYoungGenerationMb: 96 })).toEqual([96]);
  }, 60_000);

  it('small blocks run serially (below minParallelTxs)', async () => {
    const ex = kvExecutor({ workers: 2, minParallelTxs: 8 });
    const out = await ex.run(null, [{ reads: [1n], writes: [2n] }], new TestState());
    expect(out).toMatchObject({ kind: 'serial', reason: 'small block (1 txs < 8)' });
  });

  for (const [coordinator, atTx, splitFirst, share] of [
    [false, 17, true, 0],
    [false, 5, true, 0.1],
    [false, 17, false, 0],
    [true, 0, false, 0],
  ] as const) {
    const how = coordinator
      ? ', the coordinator executing too'
      : splitFirst
        ? `, split first pass${share > 0 ? " with a coordinator's share" : ''}`
        : ', Block-STM path';
    it(`a worker that dies mid-block (tx ${atTx}${how}): the block goes serial, nothing is half-applied, the next block runs in parallel again`, async () => {
      const ex = kvExecutor({
        workers: 2,
        coordinatorExecutes: coordinator,
        adaptive: false,
        minParallelTxs: 1,
        contentionBackoff: false,
        splitFirst,
        splitCoordinatorShare: share,
      });
      const state = new TestState();
      state.apply(new Map([[1n, 11n]]));
      // Conflict-free, so no tx moves to the main thread's serial tail. The first worker to start
      // a tx from atTx on dies; with the coordinator executing too, the txs take long enough
      // (~40 x 0.2 ms) that the workers surely claim some of them.
      // With a coordinator's share (txs 0-3 its own), it takes the worker's tail only after ~4 x 0.2 ms.
      const work = coordinator || share > 0 ? 200_000 : 2_000;
      const txs: KvTx[] = Array.from({ length: 40 }, (_, i) => ({ reads: [1n, BigInt(100 + i)], writes: [BigInt(200 + i)], work }));
      const before = new Map(state.values);
      ex.crashWorkerAt(atTx);
      const out = await ex.run(null, txs, state);
      expect(out.kind).toBe('serial');
      if (out.kind === 'serial') expect(out.reason).toMatch(/crashed mid-block/);
      expect(state.values).toEqual(before); // the executor never writes committed state itself
      const again = await ex.run(null, txs, state);
      expect(again.kind === 'serial' ? again.reason : again.kind).toBe('parallel');
      if (again.kind === 'parallel') expect(again.results.map((r) => r.output)).toEqual(runKvSerially(txs, state.values).results);
    }, 60_000);
  }
});
