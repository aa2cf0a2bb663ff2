import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvmEngine, genesisWrites } from '@mesh/vm-evm';
import { getCreateAddress, Interface, keccak256, zeroPadValue, toBeHex } from 'ethers';
import { signTx, testKey } from '../../../vm-evm/test-fixtures/harness';
import { CHAIN_ID, learn, prng, randomTx, type World } from '../../../vm-evm/test-fixtures/random-txs';
import { compileFixtures } from '../../../vm-evm/test-fixtures/solidity';
import type { BlockContext, MempoolTx } from '../executor';
import { StateCache } from '../state-cache';
import { EvmCodeStore } from './evm-code-store';
import { EvmExecutor, type StoredEvmReceipt } from './evm-executor';

/**
 * The EVM SPN's executor with the parallel engine (real worker threads) must give exactly what
 * the serial executor (runBlock) gives, block after block: receipts (status, gas, logs, bloom,
 * contract addresses, revert reasons, errors of refused txs), the write set, gas used and the
 * vm_header. Random blocks from the differential generator: transfers, ERC-20 and Playground
 * deployments and calls (storage, logs, reverts, panics, out of gas, CREATE / CREATE2,
 * selfdestruct, nested reverts, transient storage), contracts deployed and then called in the
 * same block, invalid txs; few senders (nonce chains, contention) or many.
 */

const COINBASE = '0x' + 'cb'.repeat(20);
const ETH = 10n ** 18n;
const noDatabase = { query: async () => [] };

let seq = 0;
const mempoolTx = (raw: Uint8Array): MempoolTx => ({
  hash: `0x${(++seq).toString(16).padStart(64, '0')}`,
  kind: 'evm',
  sender: '',
  nonce: 0n,
  body: { raw: '0x' + Buffer.from(raw).toString('hex') },
  code: null,
});

beforeAll(() => {
  compileFixtures();
});

const executors: EvmExecutor[] = [];
afterAll(async () => {
  await Promise.all(executors.map((e) => e.close()));
});

async function compare(
  workers: number,
  senders: number,
  blocks: number,
  seed: number,
  txsPerBlock: number,
): Promise<Record<string, number>> {
  const rnd = prng(seed);
  const keys = Array.from({ length: senders }, (_, i) => testKey(200 + i));
  const fresh = Array.from({ length: 4 }, (_, i) => '0x' + (0xfa0 + i).toString(16).padStart(40, '0'));
  const engine = await EvmEngine.create({ chainId: CHAIN_ID });
  const code = new EvmCodeStore(noDatabase, 'spn-par');
  const state = new StateCache();
  state.apply(genesisWrites(Object.fromEntries(keys.map((k) => [k.address, { balance: 1_000n * ETH }]))).writes);
  const serial = new EvmExecutor(engine, code, { coinbase: COINBASE });
  const parallel = new EvmExecutor(engine, code, {
    coinbase: COINBASE,
    // 4 workers take the claims path (the split first pass off), fewer the node's default.
    parallel: { workers, minParallelTxs: 2, contentionBackoff: false, adaptive: false, ...(workers === 4 ? { splitFirst: false } : {}) },
  });
  executors.push(parallel);
  const w: World = { keys, fresh, nonces: new Map(keys.map((k) => [k.address, 0n])), tokens: [], playgrounds: [], sameBlockCalls: true };
  const modes: Record<string, number> = {};
  let vmHeader: Record<string, unknown> | null = null;
  for (let b = 1; b <= blocks; b++) {
    const block: BlockContext = {
      number: BigInt(b),
      timeMs: 1_700_000_000_000n + BigInt(b) * 1000n,
      parent: { number: BigInt(b - 1), hash: '0x' + '00'.repeat(32), timeMs: 0n, vmHeader },
    };
    const signed = Array.from({ length: 2 + rnd.int(txsPerBlock) }, () => randomTx(rnd, w));
    for (const t of signed) {
      try {
        engine.decodeRawTx(t.serialize()); // as ingress does (recovers the sender once)
      } catch {
        // refused at ingress in the node; here it still runs, and must fail the same way in both paths
      }
    }
    const txs = signed.map((t) => mempoolTx(t.serialize()));
    const expected = await serial.execute(block, txs, state);
    const got = await parallel.execute(block, txs, state);
    const where = `seed ${seed} block ${b}`;
    expect(JSON.stringify(got.receipts), where).toBe(JSON.stringify(expected.receipts));
    expect(got.writes, where).toEqual(expected.writes);
    expect(got.gasUsed, where).toBe(expected.gasUsed);
    expect(got.vmHeader, where).toEqual(expected.vmHeader);
    expect(got.included, where).toBe(expected.included);
    const report = parallel.parallel!.lastReport!;
    const mode = report.mode === 'serial' ? `serial: ${report.reason?.replace(/tx \d+: /, '').slice(0, 40)}` : report.mode;
    modes[mode] = (modes[mode] ?? 0) + 1;
    // Commit as BlockProducer does (the parallel result's afterCommit keeps the workers in step).
    state.apply(got.writes);
    got.afterCommit?.();
    vmHeader = got.vmHeader ?? null;
    learn(
      w,
      signed,
      (got.receipts as StoredEvmReceipt[]).map((r) => ({ ...r, status: r.evmStatus })),
      (a) => engine.getNonce(a, state),
    );
  }
  return modes;
}

describe('EvmExecutor with parallel execution = serial EvmExecutor', () => {
  for (const workers of [1, 2, 4]) {
    for (const [senders, label] of [
      [3, 'few senders (nonce chains, shared contracts)'],
      [24, 'many senders'],
    ] as const) {
      const path = workers === 4 ? 'claims path' : 'split first pass on';
      it(`${workers} worker(s) (${path}), ${label}: identical receipts, writes, gas and header`, async () => {
        const modes = await compare(workers, senders, 12, 1000 * workers + senders, 40);
        // The parallel path ran (not only serial fallbacks).
        expect((modes.parallel ?? 0) + (modes['parallel+serial-tail'] ?? 0), JSON.stringify(modes)).toBeGreaterThan(6);
      }, 600_000);
    }
  }
});

describe('EvmExecutor: EIP-2930 access lists schedule the parallel block from the keys they declare', () => {
  /** Token.sol's `balanceOf[holder]` slot (the mapping is the 4th state variable: slot 3). */
  const balanceSlot = (holder: string) => keccak256(zeroPadValue(holder, 32) + zeroPadValue(toBeHex(3), 32).slice(2));

  it('ERC-20 transfers to hot accounts: one chain of exact access lists runs serially, four chains in parallel without re-executions, partial lists are caught; results identical to serial', async () => {
    const token = compileFixtures().Token;
    const iface = new Interface(token.abi as never);
    const keys = Array.from({ length: 81 }, (_, i) => testKey(400 + i));
    const [owner, ...senders] = keys;
    const engine = await EvmEngine.create({ chainId: CHAIN_ID });
    const code = new EvmCodeStore(noDatabase, 'spn-al');
    const state = new StateCache();
    state.apply(genesisWrites(Object.fromEntries(keys.map((k) => [k.address, { balance: 1_000n * ETH }]))).writes);
    const serial = new EvmExecutor(engine, code, { coinbase: COINBASE });
    const parallel = new EvmExecutor(engine, code, {
      coinbase: COINBASE,
      parallel: { workers: 2, minParallelTxs: 2, contentionBackoff: false, adaptive: false },
    });
    executors.push(parallel);
    let number = 0n;
    let vmHeader: Record<string, unknown> | null = null;
    const run = async (signed: ReturnType<typeof signTx>[]) => {
      const block: BlockContext = {
        number: ++number,
        timeMs: 1_700_000_000_000n + number * 1000n,
        parent: { number: number - 1n, hash: '0x' + '00'.repeat(32), timeMs: 0n, vmHeader },
      };
      for (const t of signed) engine.decodeRawTx(t.serialize());
      const txs = signed.map((t) => mempoolTx(t.serialize()));
      const expected = await serial.execute(block, txs, state);
      const got = await parallel.execute(block, txs, state);
      expect(JSON.stringify(got.receipts)).toBe(JSON.stringify(expected.receipts));
      expect(got.writes).toEqual(expected.writes);
      expect(got.vmHeader).toEqual(expected.vmHeader);
      expect((got.receipts as StoredEvmReceipt[]).every((r) => r.status === 'success')).toBe(true);
      state.apply(got.writes);
      got.afterCommit?.();
      vmHeader = got.vmHeader ?? null;
      return parallel.parallel!.lastReport!;
    };
    const deploy = signTx(owner, {
      chainId: CHAIN_ID,
      nonce: 0n,
      data: token.bytecode + iface.encodeDeploy(['T', 'T', 10n ** 30n]).slice(2),
      gasLimit: 3_000_000n,
    });
    await run([deploy]);
    const tokenAt = getCreateAddress({ from: owner.address, nonce: 0 });
    await run(
      senders.map((s, i) =>
        signTx(owner, {
          chainId: CHAIN_ID,
          nonce: BigInt(i + 1),
          to: tokenAt,
          data: iface.encodeFunctionData('transfer', [s.address, 10n ** 20n]),
        }),
      ),
    );
    // Every transfer pays one of `hots` accounts (one: a single chain; four: four chains).
    const fourHots = [keys[0].address, ...[1, 2, 3].map((k) => '0x' + String(k).repeat(40))];
    const transfers = (
      nonce: bigint,
      hots: string[],
      list: (s: (typeof senders)[number], i: number, hot: string) => string[] | undefined,
    ) =>
      senders.map((s, i) => {
        const hot = hots[i % hots.length];
        const slots = list(s, i, hot);
        return signTx(s, {
          chainId: CHAIN_ID,
          nonce,
          to: tokenAt,
          data: iface.encodeFunctionData('transfer', [hot, BigInt(1 + i)]),
          ...(slots ? { accessList: [{ address: tokenAt, storageKeys: slots }] } : {}),
        });
      });
    const exactly = (s: (typeof senders)[number], _i: number, hot: string) => [balanceSlot(s.address), balanceSlot(hot)];
    // One hot account, every tx naming both balances it changes: one chain, which runs serially.
    const chained = await run(transfers(0n, fourHots.slice(0, 1), exactly));
    expect(chained).toMatchObject({
      mode: 'serial',
      reason: expect.stringMatching(/^declared keys chain 80 of the 80 txs one after another/),
    });
    // Four hot accounts: four chains, scheduled side by side without a single re-execution.
    const exact = await run(transfers(1n, fourHots, exactly));
    expect(exact.mode).toBe('parallel');
    expect(exact.stats).toMatchObject({ reexecutions: 0, declaredDependencies: senders.length - 4 });
    // Every third tx leaves the hot balance out (and every seventh has no list): those may run too
    // early, validation catches them, they run again; the results stay those of serial execution.
    const partial = await run(
      transfers(2n, fourHots, (s, i, hot) =>
        i % 7 === 3 ? undefined : i % 3 === 0 ? [balanceSlot(s.address)] : [balanceSlot(s.address), balanceSlot(hot)],
      ),
    );
    expect(partial.stats?.declaredDependencies).toBeGreaterThan(0);
    // Without access lists the same load takes the optimistic path.
    const optimistic = await run(transfers(3n, fourHots, () => undefined));
    expect(optimistic.stats?.declaredDependencies).toBeUndefined();
  }, 300_000);
});
