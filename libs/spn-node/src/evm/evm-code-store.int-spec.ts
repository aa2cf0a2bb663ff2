import { createFeeMarket1559Tx } from '@ethereumjs/tx';
import { createAddressFromPrivateKey, hexToBytes } from '@ethereumjs/util';
import { Interface, keccak256 } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '@mesh/persistence';
import { EvmEngine, genesisWrites, spnCommon } from '@mesh/vm-evm';
import { createTestDatabase } from '../../../../test/support/test-database';
import { compileFixtures } from '../../../vm-evm/test-fixtures/solidity';
import type { BlockContext, MempoolTx } from '../executor';
import { StateCache } from '../state-cache';
import { EvmCodeStore } from './evm-code-store';
import { EvmExecutor } from './evm-executor';

const CHAIN_ID = 778n;
const SPN = 'evm-int';
const privateKey = hexToBytes(('0x' + '5e'.repeat(32)) as `0x${string}`);
const alice = createAddressFromPrivateKey(privateKey).toString();

let testDb: { url: string; drop(): Promise<void> };
let db: DatabaseHandle;
let engine: EvmEngine;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase({ url: testDb.url });
  engine = await EvmEngine.create({ chainId: CHAIN_ID });
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

const mempoolTx = (nonce: bigint, to: string | undefined, data: string, gasLimit: bigint, maxFeePerGas = 3_000_000_000n): MempoolTx => {
  const tx = createFeeMarket1559Tx(
    {
      chainId: CHAIN_ID,
      nonce,
      to: to as `0x${string}` | undefined,
      data: data as `0x${string}`,
      gasLimit,
      maxFeePerGas,
      maxPriorityFeePerGas: 1n,
    },
    { common: spnCommon(CHAIN_ID) },
  ).sign(privateKey);
  return {
    hash: '0x' + Buffer.from(tx.hash()).toString('hex'),
    kind: 'evm',
    sender: alice,
    nonce,
    body: { raw: '0x' + Buffer.from(tx.serialize()).toString('hex') },
    code: null,
  };
};

describe('EVM code store and block persistence (real Postgres)', () => {
  it('stores code and logs in the block transaction; a fresh store reads the code back for the next block', async () => {
    const token = compileFixtures().Token;
    const iface = new Interface(token.abi as never);
    const state = new StateCache();
    state.apply(genesisWrites({ [alice]: { balance: 10n ** 20n } }).writes);
    const executor = new EvmExecutor(engine, new EvmCodeStore(db.dataSource, SPN), { coinbase: '0x' + '11'.repeat(20) });
    const ctx: BlockContext = {
      number: 1n,
      timeMs: 1_000n,
      parent: { number: 0n, hash: '0x' + '00'.repeat(32), timeMs: 0n, vmHeader: null },
    };
    const deploy = mempoolTx(0n, undefined, token.bytecode + iface.encodeDeploy(['T', 'T', 500n]).slice(2), 2_000_000n);
    const b1 = await executor.execute(ctx, [deploy], state);
    const address = b1.receipts[0].contractAddress as string;
    await db.dataSource.transaction((em) => b1.persist!(em, { number: 1n, hash: '0xb1' }));
    // Persisting twice (a block retried after a failed commit) must not fail on the code row.
    await db.dataSource.transaction(async (em) => {
      await em.query('DELETE FROM spn_log WHERE spn_id = $1', [SPN]);
      await b1.persist!(em, { number: 1n, hash: '0xb1' });
    });
    state.apply(b1.writes);

    const [code] = await db.dataSource.query('SELECT code_hash, code FROM spn_evm_code WHERE spn_id = $1', [SPN]);
    expect(code.code_hash).toBe(keccak256(code.code));
    const logs = await db.dataSource.query('SELECT * FROM spn_log WHERE spn_id = $1 ORDER BY log_index', [SPN]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      block_no: '1',
      log_index: 0,
      tx_hash: deploy.hash,
      tx_index: 0,
      address,
      topic0: iface.getEvent('Transfer')!.topicHash,
      topic3: null,
    });
    expect(logs[0].topic2).toBe('0x' + alice.slice(2).padStart(64, '0'));
    expect(BigInt(logs[0].data)).toBe(500n);

    // A restarted node: an empty cache, code comes from Postgres.
    const fresh = new EvmCodeStore(db.dataSource, SPN);
    expect(await fresh.get(code.code_hash.toUpperCase().replace('0X', '0x'))).toEqual(new Uint8Array(code.code));
    expect(await fresh.get('0x' + '00'.repeat(32))).toBeUndefined();
    expect(await new EvmCodeStore(db.dataSource, 'other-spn').get(code.code_hash)).toBeUndefined();
    const again = new EvmExecutor(engine, new EvmCodeStore(db.dataSource, SPN), { coinbase: '0x' + '11'.repeat(20) });
    const ctx2: BlockContext = { number: 2n, timeMs: 2_000n, parent: { number: 1n, hash: '0xb1', timeMs: 1_000n, vmHeader: b1.vmHeader! } };
    const b2 = await again.execute(
      ctx2,
      [mempoolTx(1n, address, iface.encodeFunctionData('transfer', ['0x' + '22'.repeat(20), 5n]), 100_000n)],
      state,
    );
    expect(b2.receipts[0]).toMatchObject({ status: 'success', evmStatus: 'success' });
    await db.dataSource.transaction((em) => b2.persist!(em, { number: 2n, hash: '0xb2' }));
    const [{ count }] = await db.dataSource.query('SELECT count(*) AS count FROM spn_log WHERE spn_id = $1 AND block_no = 2', [SPN]);
    expect(Number(count)).toBe(1);
  });

  // The base fee rose while Alice's txs waited: the EVM refuses them (no nonce used). Ingress had
  // counted their nonces; the block gives them back, unless later txs of hers are still pending.
  it('a tx the EVM refuses at execution gives its nonce back to its sender', async () => {
    const spn = 'evm-nonce';
    const state = new StateCache();
    state.apply(genesisWrites({ [alice]: { balance: 10n ** 20n } }).writes);
    const executor = new EvmExecutor(engine, new EvmCodeStore(db.dataSource, spn), { coinbase: '0x' + '11'.repeat(20) });
    const bob = '0x' + '22'.repeat(20);
    // Parent at the gas target with a 5 gwei base fee: this block's base fee is 5 gwei, above the txs' 3 gwei cap.
    const parent = { baseFeePerGas: '5000000000', gasLimit: '30000000', gasUsed: '15000000', logsBloom: '0x', coinbase: bob };
    const ctx: BlockContext = { number: 1n, timeMs: 1_000n, parent: { number: 0n, hash: '0xb0', timeMs: 0n, vmHeader: parent } };
    const txs = [0n, 1n, 2n].map((n) => mempoolTx(n, bob, '0x', 21_000n));
    const nextNonce = async () =>
      (await db.dataSource.query('SELECT next_nonce FROM spn_sender WHERE spn_id = $1 AND address = $2', [spn, alice]))[0].next_nonce;
    await db.dataSource.query('INSERT INTO spn_sender (spn_id, address, next_nonce) VALUES ($1, $2, 3)', [spn, alice]);
    for (const tx of txs) {
      await db.dataSource.query('INSERT INTO spn_tx (spn_id, hash, kind, sender, nonce, body) VALUES ($1, $2, $3, $4, $5, $6)', [
        spn,
        tx.hash,
        'evm',
        tx.sender,
        String(tx.nonce),
        JSON.stringify(tx.body),
      ]);
    }
    const markFailed = (hashes: string[]) =>
      db.dataSource.query("UPDATE spn_tx SET status = 'failed' WHERE spn_id = $1 AND hash = ANY($2::text[])", [spn, hashes]);

    // Block 1 holds txs 0 and 1 (tx 2 still pending): both refused; nonce 2 stays taken.
    const b1 = await executor.execute(ctx, txs.slice(0, 2), state);
    expect(b1.receipts.map((r) => r.error)).toEqual([
      "max fee per gas 3000000000 is below the block's base fee 5000000000",
      'nonce too high: transaction nonce 1, account nonce 0',
    ]);
    await db.dataSource.transaction(async (em) => {
      await markFailed([txs[0].hash, txs[1].hash]); // what BlockProducer does before persist
      await b1.persist!(em, { number: 1n, hash: '0xb1' });
    });
    expect(await nextNonce()).toBe('3');

    // Block 2 refuses tx 2 as well: nothing of hers is pending, her next nonce is the EVM's, 0 again.
    const b2 = await executor.execute({ ...ctx, number: 2n }, [txs[2]], state);
    expect(b2.receipts[0].error).toBe('nonce too high: transaction nonce 2, account nonce 0');
    await db.dataSource.transaction(async (em) => {
      await markFailed([txs[2].hash]);
      await b2.persist!(em, { number: 2n, hash: '0xb2' });
    });
    expect(await nextNonce()).toBe('0');
  });
});
