import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { MempoolTx } from '../executor';
import { accountAddress, callTx, deployTx, examplePluginCode, messageTx, OWNER, WasmTestChain } from '../../test-fixtures/wasm-token-chain';
import { ParallelWasmExecutor } from './parallel-wasm-executor';

/**
 * The parallel executor with the Wasm engine must give exactly what SerialWasmExecutor gives,
 * for any block: receipts (status, gas, events, return data, errors), writes, gas used.
 * Random blocks with controlled contention; results are committed, so later blocks run on the
 * state earlier ones left (the workers' state copies must follow).
 */

const ACCOUNTS = 64;

/**
 * One random tx; `spread` is how many accounts the block's txs draw from (small = contention).
 * `declare`: transfers and mints declare the token keys they touch (some leaving the receiver out).
 */
const txArb = (spread: number, declare = false) =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .record({
          from: fc.nat(spread - 1),
          to: fc.nat(spread - 1),
          amount: fc.integer({ min: 1, max: 2_000_000_000 }),
          partial: fc.boolean(),
        })
        .map((t) => {
          const [from, to] = [accountAddress(t.from), accountAddress(t.to)];
          const writes = t.partial && t.amount % 4 === 0 ? [`bal:${from}`] : [`bal:${from}`, `bal:${to}`];
          return callTx(from, 'token', 'transfer', [to, String(t.amount)], 1_000_000n, declare ? { reads: [], writes } : undefined);
        }),
    },
    {
      weight: 2,
      arbitrary: fc
        .nat(spread - 1)
        .map((to) =>
          callTx(
            OWNER,
            'token',
            'mint',
            [accountAddress(to), '1000'],
            1_000_000n,
            declare ? { reads: ['owner'], writes: [`bal:${accountAddress(to)}`] } : undefined,
          ),
        ),
    },
    { weight: 2, arbitrary: fc.nat(spread - 1).map((from) => callTx(accountAddress(from), 'counter', 'increment', [])) },
    // reverts: minting as a non-owner; out of gas: a gas limit below the call's cost
    { weight: 1, arbitrary: fc.nat(spread - 1).map((from) => callTx(accountAddress(from), 'token', 'mint', [accountAddress(from), '5'])) },
    {
      weight: 1,
      arbitrary: fc.nat(spread - 1).map((from) => callTx(accountAddress(from), 'token', 'transfer', [accountAddress(0), '1'], 3_000n)),
    },
    // cross-SPN messages: bridge sends (messages in the receipt; reverts without balance) and relayed receives
    {
      weight: 2,
      arbitrary: fc
        .record({ from: fc.nat(spread - 1), to: fc.nat(spread - 1), amount: fc.integer({ min: 1, max: 50 }) })
        .map((t) => callTx(accountAddress(t.from), 'bridge', 'send', ['spn-z', accountAddress(t.to), String(t.amount)])),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ to: fc.nat(spread - 1), nonce: fc.nat(1_000_000), plugin: fc.constantFrom('bridge', 'bridge', 'token') })
        .map((t) => messageTx('spn-z', t.nonce + 1, t.plugin, 'bridge', 'receive', [accountAddress(t.to), '100'])),
    },
    // failures before execution: unknown plugin / method
    { weight: 1, arbitrary: fc.constant(0).map(() => callTx(OWNER, 'nope', 'transfer', [])) },
    { weight: 1, arbitrary: fc.constant(0).map(() => callTx(OWNER, 'token', 'nope', [])) },
  );

const blockArb = (declare = false) =>
  fc
    .record({ spread: fc.constantFrom(1, 2, 8, ACCOUNTS), n: fc.integer({ min: 1, max: 60 }) })
    .chain(({ spread, n }) => fc.array(txArb(spread, declare), { minLength: n, maxLength: n }));

describe('ParallelWasmExecutor = SerialWasmExecutor', () => {
  const executors: ParallelWasmExecutor[] = [];
  afterAll(async () => {
    await Promise.all(executors.map((e) => e.close()));
  });

  for (const [workers, declare] of [
    [1, false],
    [2, false],
    [4, false],
    [2, true],
  ] as const) {
    it(`${workers} worker(s)${declare ? ', calls declaring their keys (some partly)' : ''}: random blocks, identical receipts, writes and gas`, async () => {
      const chain = await WasmTestChain.withToken(ACCOUNTS, 1_000_000_000n);
      await chain.commit(chain.serial, [deployTx(OWNER, 'bridge', examplePluginCode('bridge'))]);
      const parallel = new ParallelWasmExecutor(chain.serial, chain.registry, {
        workers,
        minParallelTxs: 2,
        contentionBackoff: false,
        adaptive: false,
      });
      executors.push(parallel);
      const modes = new Map<string, number>();
      let scheduled = 0;
      let split = 0;
      let messages = 0;
      await fc.assert(
        fc.asyncProperty(blockArb(declare), async (txs: MempoolTx[]) => {
          const block = chain.block();
          const expected = await chain.serial.execute(block, txs, chain.state);
          const got = await parallel.execute(block, txs, chain.state);
          expect(got.receipts).toEqual(expected.receipts);
          expect(got.writes).toEqual(expected.writes);
          expect(got.gasUsed).toBe(expected.gasUsed);
          messages += got.receipts.reduce((n, r) => n + (r.messages?.length ?? 0), 0);
          const mode = parallel.parallel.lastReport?.mode ?? '?';
          modes.set(mode, (modes.get(mode) ?? 0) + 1);
          if (parallel.parallel.lastReport?.stats?.declaredDependencies) scheduled++;
          if (parallel.parallel.lastReport?.stats?.split) split++;
          // Commit through the parallel executor's result (afterCommit keeps the workers in step).
          chain.state.apply(got.writes);
          got.afterCommit?.();
          chain.number++;
        }),
        { numRuns: 120 },
      );
      // The parallel path really ran (not only serial fallbacks).
      expect((modes.get('parallel') ?? 0) + (modes.get('parallel+serial-tail') ?? 0)).toBeGreaterThan(60);
      // Calls sent messages, and their receipts listed them alike.
      expect(messages).toBeGreaterThan(20);
      // Blocks after a conflict-free one took the split first pass (this thread running its share).
      expect(split).toBeGreaterThan(0);
      // With declarations, contended blocks were scheduled from them.
      if (declare) expect(scheduled).toBeGreaterThan(10);
      else expect(scheduled).toBe(0);
    }, 300_000);
  }

  it('a block that deploys a plugin runs serially, and later blocks can call the new plugin in parallel', async () => {
    const chain = await WasmTestChain.withToken(8);
    const parallel = new ParallelWasmExecutor(chain.serial, chain.registry, { workers: 2, minParallelTxs: 2, adaptive: false });
    executors.push(parallel);
    const txs = [
      deployTx(OWNER, 'counter2', examplePluginCode('counter')),
      ...Array.from({ length: 10 }, (_, i) => callTx(accountAddress(i % 8), 'counter2', 'increment', [])),
    ];
    const r1 = await chain.commit(parallel, txs);
    expect(parallel.parallel.lastReport).toMatchObject({ mode: 'serial', reason: 'the block deploys a plugin' });
    expect(r1.receipts.every((r) => r.status === 'success')).toBe(true);
    const calls = Array.from({ length: 20 }, (_, i) => callTx(accountAddress(i % 8), 'counter2', 'increment', []));
    const expected = await chain.serial.execute(chain.block(), calls, chain.state);
    const r2 = await chain.commit(parallel, calls);
    expect(parallel.parallel.lastReport?.mode).not.toBe('serial');
    expect(r2.receipts).toEqual(expected.receipts);
    expect(r2.writes).toEqual(expected.writes);
  });

  it('calls that declare their keys (hot accounts): one chain runs serially, four chains in parallel without re-executions, partial declarations are caught; results identical to serial', async () => {
    const chain = await WasmTestChain.withToken(ACCOUNTS, 1_000_000_000n);
    const parallel = new ParallelWasmExecutor(chain.serial, chain.registry, {
      workers: 2,
      minParallelTxs: 2,
      contentionBackoff: false,
      adaptive: false,
    });
    executors.push(parallel);
    // The token keeps balances under "bal:<address>"; every transfer pays one of `hots` accounts.
    const fourHots = [0, 1, 2, 3].map(accountAddress);
    const transfers = (hots: string[], declare: (j: number, hot: string) => { reads: string[]; writes: string[] } | undefined) =>
      Array.from({ length: ACCOUNTS - 4 }, (_, j) => {
        const from = accountAddress(j + 4);
        const hot = hots[j % hots.length];
        return callTx(from, 'token', 'transfer', [hot, String(1 + j)], 1_000_000n, declare(j, hot));
      });
    const exactly = (j: number, hot: string) => ({ reads: [], writes: [`bal:${accountAddress(j + 4)}`, `bal:${hot}`] });
    const run = async (txs: MempoolTx[]) => {
      const block = chain.block();
      const expected = await chain.serial.execute(block, txs, chain.state);
      const got = await parallel.execute(block, txs, chain.state);
      expect(got.receipts).toEqual(expected.receipts);
      expect(got.writes).toEqual(expected.writes);
      expect(got.receipts.every((r) => r.status === 'success')).toBe(true);
      chain.state.apply(got.writes);
      got.afterCommit?.();
      chain.number++;
      return parallel.parallel.lastReport!;
    };
    // One hot account: one chain, which runs serially.
    const chained = await run(transfers(fourHots.slice(0, 1), exactly));
    expect(chained).toMatchObject({ mode: 'serial', reason: expect.stringMatching(/^declared keys chain 60 of the 60 txs/) });
    // Four: four chains side by side, without a single re-execution.
    const exact = await run(transfers(fourHots, exactly));
    expect(exact.mode).toBe('parallel');
    expect(exact.stats).toMatchObject({ reexecutions: 0, declaredDependencies: ACCOUNTS - 8 });
    // Every third leaves the hot balance out, every seventh declares nothing: caught by validation.
    const partial = await run(
      transfers(fourHots, (j, hot) =>
        j % 7 === 3
          ? undefined
          : { reads: [], writes: j % 3 === 0 ? [`bal:${accountAddress(j + 4)}`] : [`bal:${accountAddress(j + 4)}`, `bal:${hot}`] },
      ),
    );
    expect(partial.stats?.declaredDependencies).toBeGreaterThan(0);
    const undeclared = await run(transfers(fourHots, () => undefined));
    expect(undeclared.stats?.declaredDependencies).toBeUndefined();
  }, 120_000);
});
