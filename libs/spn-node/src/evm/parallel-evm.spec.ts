import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvmEngine, genesisWrites } from '@mesh/vm-evm';
import { testKey } from '../../../vm-evm/test-fixtures/harness';
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
    parallel: { workers, minParallelTxs: 2, contentionBackoff: false, adaptive: false },
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
      it(`${workers} worker(s), ${label}: identical receipts, writes, gas and header`, async () => {
        const modes = await compare(workers, senders, 12, 1000 * workers + senders, 40);
        // The parallel path ran (not only serial fallbacks).
        expect((modes.parallel ?? 0) + (modes['parallel+serial-tail'] ?? 0), JSON.stringify(modes)).toBeGreaterThan(6);
      }, 600_000);
    }
  }
});
