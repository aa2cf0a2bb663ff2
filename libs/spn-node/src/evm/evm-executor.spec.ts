import { createFeeMarket1559Tx, createLegacyTx } from '@ethereumjs/tx';
import { createAddressFromPrivateKey, hexToBytes } from '@ethereumjs/util';
import { Interface } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { EvmEngine, genesisWrites, INITIAL_BASE_FEE, spnCommon } from '@mesh/vm-evm';
import { compileFixtures } from '../../../vm-evm/test-fixtures/solidity';
import type { BlockContext, BlockExecution, MempoolTx } from '../executor';
import { StateCache } from '../state-cache';
import { EvmCodeStore } from './evm-code-store';
import { EvmExecutor, evmBaseFee, type StoredEvmReceipt } from './evm-executor';

const CHAIN_ID = 777n;
const COINBASE = '0x' + 'ab'.repeat(20);
const key = (i: number) => {
  const privateKey = hexToBytes(('0x' + 'a1'.repeat(31) + i.toString(16).padStart(2, '0')) as `0x${string}`);
  return { privateKey, address: createAddressFromPrivateKey(privateKey).toString() };
};
const alice = key(1);
const bob = key(2);

/** Records the SQL that persist runs (the int-spec runs it against Postgres). */
class RecordingSql {
  readonly calls: { sql: string; params: unknown[] }[] = [];
  async query(sql: string, params: unknown[] = []): Promise<unknown[]> {
    this.calls.push({ sql, params });
    return [];
  }
}

/** A database the code store must not need: code deployed through the executor is served from its cache. */
const noDatabase = {
  query: async () => {
    throw new Error('unexpected database access');
  },
};

let engine: EvmEngine;
let token: { abi: unknown[]; bytecode: string };
let iface: Interface;

beforeAll(async () => {
  engine = await EvmEngine.create({ chainId: CHAIN_ID });
  token = compileFixtures().Token;
  iface = new Interface(token.abi as never);
});

function mempoolTx(tx: { serialize(): Uint8Array; hash(): Uint8Array }, sender: string, nonce: bigint): MempoolTx {
  const raw = '0x' + Buffer.from(tx.serialize()).toString('hex');
  return { hash: '0x' + Buffer.from(tx.hash()).toString('hex'), kind: 'evm', sender, nonce, body: { raw }, code: null };
}

function sign(k: typeof alice, nonce: bigint, to: string | undefined, data: string, gasLimit = 200_000n, value = 0n) {
  return createFeeMarket1559Tx(
    {
      chainId: CHAIN_ID,
      nonce,
      to: to as `0x${string}` | undefined,
      data: data as `0x${string}`,
      gasLimit,
      value,
      maxFeePerGas: 5_000_000_000n,
      maxPriorityFeePerGas: 7n,
    },
    { common: spnCommon(CHAIN_ID) },
  ).sign(k.privateKey);
}

describe('EvmExecutor', () => {
  it('runs blocks against a StateCache: receipts, vm_header, code and logs persisted, writes applied between blocks', async () => {
    const state = new StateCache();
    state.apply(genesisWrites({ [alice.address]: { balance: 10n ** 20n }, [bob.address]: { balance: 10n ** 19n } }).writes);
    const store = new EvmCodeStore(noDatabase, 'spn-evm-test');
    const executor = new EvmExecutor(engine, store, { coinbase: COINBASE, gasLimit: 10_000_000n });

    // Block 1: deploy the token, a value transfer, and a row that is not an EVM tx.
    const deploy = sign(alice, 0n, undefined, token.bytecode + iface.encodeDeploy(['T', 'T', 1000n]).slice(2), 2_000_000n);
    const pay = sign(bob, 0n, alice.address, '0x', 21_000n, 5n);
    const junk: MempoolTx = { hash: '0x' + '99'.repeat(32), kind: 'evm', sender: bob.address, nonce: 1n, body: {}, code: null };
    const ctx1: BlockContext = {
      number: 1n,
      timeMs: 1_700_000_000_999n,
      parent: { number: 0n, hash: '0x' + '00'.repeat(32), timeMs: 0n, vmHeader: null },
    };
    expect(executor.blockInput(ctx1)).toEqual({
      number: 1n,
      timestamp: 1_700_000_000n,
      baseFeePerGas: INITIAL_BASE_FEE,
      gasLimit: 10_000_000n,
      coinbase: COINBASE,
      parentHash: '0x' + '00'.repeat(32),
    });
    const b1 = await executor.execute(ctx1, [mempoolTx(deploy, alice.address, 0n), junk, mempoolTx(pay, bob.address, 0n)], state);
    const r1 = b1.receipts as StoredEvmReceipt[];
    expect(r1.map((r) => [r.status, r.evmStatus])).toEqual([
      ['success', 'success'],
      ['failed', 'reverted'],
      ['success', 'success'],
    ]);
    expect(r1[1]).toMatchObject({ gasUsed: '0', error: expect.stringMatching(/not an EVM transaction/), txHash: junk.hash });
    expect(r1[1].cumulativeGasUsed).toBe(r1[0].cumulativeGasUsed);
    const tokenAddress = r1[0].contractAddress!;
    expect(tokenAddress).toMatch(/^0x[0-9a-f]{40}$/);
    expect(r1[2].cumulativeGasUsed).toBe(String(b1.gasUsed));
    expect(b1.vmHeader).toMatchObject({
      baseFeePerGas: String(INITIAL_BASE_FEE),
      gasLimit: '10000000',
      gasUsed: String(b1.gasUsed),
      coinbase: COINBASE,
    });
    expect((b1.vmHeader as { logsBloom: string }).logsBloom).toMatch(/^0x[0-9a-f]{512}$/);

    const sql1 = new RecordingSql();
    await b1.persist!(sql1, { number: 1n, hash: '0xb1' });
    expect(sql1.calls).toHaveLength(4);
    expect(sql1.calls[0].sql).toMatch(/INSERT INTO spn_evm_code[\s\S]*ON CONFLICT DO NOTHING/);
    const [spnId, hashes, codes] = sql1.calls[0].params as [string, string[], Buffer[]];
    expect(spnId).toBe('spn-evm-test');
    expect(hashes).toHaveLength(1);
    expect(codes[0].length).toBeGreaterThan(100);
    expect(sql1.calls[1].sql).toMatch(/INSERT INTO spn_log/);
    const logParams = sql1.calls[1].params;
    expect(logParams.slice(0, 6)).toEqual([
      'spn-evm-test',
      '1',
      [0],
      [deploy.hash().reduce((s, b) => s + b.toString(16).padStart(2, '0'), '0x')],
      [0],
      [tokenAddress],
    ]);
    expect((logParams[6] as string[])[0]).toBe(iface.getEvent('Transfer')!.topicHash);
    // The junk row used no nonce: Bob's next nonce goes back to what the EVM expects (1, after his payment), rows locked first.
    expect(sql1.calls[2].sql).toMatch(/FROM spn_sender[\s\S]*FOR UPDATE/);
    expect(sql1.calls[3].sql).toMatch(/UPDATE spn_sender/);
    expect(sql1.calls[3].params).toEqual(['spn-evm-test', [bob.address.toLowerCase()], ['1']]);

    // Commit: the node applies the writes and runs afterCommit.
    expect(state.get(0n)).toBe(0n);
    state.apply(b1.writes);
    b1.afterCommit!();
    expect(engine.getBalance(alice.address, state)).toBeGreaterThan(0n);
    expect(engine.getNonce(alice.address, state)).toBe(1n);

    // Block 2: two token transfers (logs 0 and 1), one that reverts, and one with a nonce already used.
    const data = (to: string, n: bigint) => iface.encodeFunctionData('transfer', [to, n]);
    const txs = [
      mempoolTx(sign(alice, 1n, tokenAddress, data(bob.address, 10n)), alice.address, 1n),
      mempoolTx(sign(bob, 1n, tokenAddress, data(alice.address, 11n)), bob.address, 1n), // bob has no tokens: reverts
      mempoolTx(sign(alice, 2n, tokenAddress, data(bob.address, 20n)), alice.address, 2n),
      mempoolTx(sign(alice, 0n, bob.address, '0x', 21_000n), alice.address, 0n),
    ];
    const ctx2: BlockContext = {
      number: 2n,
      timeMs: 1_700_000_002_000n,
      parent: { number: 1n, hash: '0xb1', timeMs: ctx1.timeMs, vmHeader: b1.vmHeader! },
    };
    const b2: BlockExecution = await executor.execute(ctx2, txs, state);
    const r2 = b2.receipts as StoredEvmReceipt[];
    expect(r2.map((r) => [r.status, r.evmStatus])).toEqual([
      ['success', 'success'],
      ['failed', 'reverted'],
      ['success', 'success'],
      ['failed', 'reverted'],
    ]);
    expect(r2[1]).toMatchObject({ error: 'revert', revertReason: 'insufficient balance' });
    expect(BigInt(r2[1].gasUsed)).toBeGreaterThan(21_000n); // reverted, but in the block: paid gas
    expect(r2[3]).toMatchObject({ gasUsed: '0', error: expect.stringMatching(/^nonce too low/) });
    const baseFee2 = evmBaseFee(b1.vmHeader!);
    expect(baseFee2).toBe(EvmEngine.nextBaseFee({ gasUsed: b1.gasUsed, gasLimit: 10_000_000n, baseFeePerGas: INITIAL_BASE_FEE }));
    expect(baseFee2).toBeLessThan(INITIAL_BASE_FEE); // block 1 used less than half its gas
    expect(b2.vmHeader).toMatchObject({ baseFeePerGas: String(baseFee2) });

    const sql2 = new RecordingSql();
    await b2.persist!(sql2, { number: 2n, hash: '0xb2' });
    expect(sql2.calls).toHaveLength(3); // no new code; logs; Alice's refused replay: her next nonce is set to at least the EVM's (3)
    expect(sql2.calls[2].params).toEqual(['spn-evm-test', [alice.address.toLowerCase()], ['3']]);
    const [, blockNo, logIndex, , txIndex] = sql2.calls[0].params as [string, string, number[], string[], number[]];
    expect([blockNo, logIndex, txIndex]).toEqual(['2', [0, 1], [0, 2]]);

    state.apply(b2.writes);
    b2.afterCommit!();
    const balanceOf = async (who: string) =>
      BigInt(
        (
          await engine.call(
            { to: tokenAddress, data: iface.encodeFunctionData('balanceOf', [who]) },
            executor.blockInput(ctx2),
            state,
            store,
          )
        ).returnData,
      );
    expect(await balanceOf(bob.address)).toBe(30n);
    expect(await balanceOf(alice.address)).toBe(970n);
  });

  it('accepts legacy txs and keeps failed-decode rows in place', async () => {
    const state = new StateCache();
    state.apply(genesisWrites({ [alice.address]: { balance: 10n ** 20n } }).writes);
    const executor = new EvmExecutor(engine, new EvmCodeStore(noDatabase, 's'), { coinbase: COINBASE });
    const legacy = createLegacyTx(
      { nonce: 0n, to: bob.address as `0x${string}`, value: 1n, gasLimit: 21_000n, gasPrice: 2_000_000_000n },
      { common: spnCommon(CHAIN_ID) },
    ).sign(alice.privateKey);
    const otherChain = createLegacyTx(
      { nonce: 1n, to: bob.address as `0x${string}`, value: 1n, gasLimit: 21_000n, gasPrice: 2_000_000_000n },
      { common: spnCommon(1n) },
    ).sign(alice.privateKey);
    const ctx: BlockContext = {
      number: 1n,
      timeMs: 5_000n,
      parent: { number: 0n, hash: '0x' + '00'.repeat(32), timeMs: 0n, vmHeader: null },
    };
    const b = await executor.execute(ctx, [mempoolTx(otherChain, alice.address, 1n), mempoolTx(legacy, alice.address, 0n)], state);
    const r = b.receipts as StoredEvmReceipt[];
    expect(r.map((x) => x.status)).toEqual(['failed', 'success']);
    expect(r[0].error).toMatch(/chain id 1 does not match/);
    expect(r[1]).toMatchObject({ type: 0, gasUsed: '21000', effectiveGasPrice: '2000000000' });
    expect((b.vmHeader as { gasLimit: string }).gasLimit).toBe('30000000');
    state.apply(b.writes);
    expect(engine.getBalance(bob.address, state)).toBe(1n);
  });

  it('includes the txs whose gas limits fit the block, in order, and leaves the rest pending', async () => {
    const state = new StateCache();
    state.apply(genesisWrites({ [alice.address]: { balance: 10n ** 20n }, [bob.address]: { balance: 10n ** 19n } }).writes);
    const executor = new EvmExecutor(engine, new EvmCodeStore(noDatabase, 'spn-evm-test'), { coinbase: COINBASE, gasLimit: 100_000n });
    const ctx: BlockContext = {
      number: 1n,
      timeMs: 1_700_000_000_000n,
      parent: { number: 0n, hash: '0x' + '00'.repeat(32), timeMs: 0n, vmHeader: null },
    };
    const txs = [
      mempoolTx(sign(alice, 0n, bob.address, '0x', 40_000n, 1n), alice.address, 0n),
      mempoolTx(sign(alice, 1n, bob.address, '0x', 40_000n, 1n), alice.address, 1n),
      mempoolTx(sign(alice, 2n, bob.address, '0x', 40_000n, 1n), alice.address, 2n), // 120,000 > the block's 100,000
      mempoolTx(sign(bob, 0n, alice.address, '0x', 21_000n, 1n), bob.address, 0n), // would fit, but must not skip ahead
    ];
    const block = await executor.execute(ctx, txs, state);
    expect(block.included).toBe(2);
    expect(block.receipts.map((r) => r.status)).toEqual(['success', 'success']);
    expect(executor.wantsEmptyBlock({ txCount: 2 })).toBe(true);
    expect(executor.wantsEmptyBlock({ txCount: 0 })).toBe(false);
  });
});
