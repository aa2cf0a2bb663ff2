import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  messageLeaf,
  NotFoundError,
  verifyMessageProof,
  type CrossMessage,
  type MessageResult,
  type SettlementSubmission,
} from '@mesh/core';
import { openDatabase, type DatabaseHandle } from '@mesh/persistence';
import { poseidonHasher } from '@mesh/state';
import { buildCircuitArtifacts } from '@mesh/zk';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { SettlementRejectedError, type SettlementRule } from './errors';
import { createMainnet, type Mainnet } from './mainnet';
import { signedSubmission, type BatchFixture } from './testing/batch-fixtures';
import type { SpnRecord } from './types';

/**
 * Cross-SPN messages on the mainnet against a real Postgres: settled with their source batch,
 * relayed with inclusion proofs, their results settled with the destination's batch. The batches
 * change no state (no chunks), so no proof is needed: the message rules are what is tested.
 */
const CHAIN_ID = 4343;
const TABLES = ['mainnet_spn', 'mainnet_batch', 'mainnet_message', 'mainnet_event'];

let testDb: TestDatabase;
let db: DatabaseHandle;
let mainnet: Mainnet;
const operatorA = Wallet.createRandom();
const operatorB = Wallet.createRandom();
const spns: Record<string, SpnRecord> = {};

const message = (nonce: number, dstSpn: string, over: Partial<CrossMessage> = {}): CrossMessage => ({
  srcSpn: 'spn-a',
  nonce,
  srcPlugin: 'bridge',
  txHash: '0x' + nonce.toString(16).padStart(64, '0'),
  dstSpn,
  plugin: 'bridge',
  method: 'receive',
  args: ['0x' + '11'.repeat(20), String(nonce)],
  ...over,
});

/** A batch of `spnId` that changes no state, numbered after its last one. */
function emptyBatch(spnId: string, batchNo: number, extra: Partial<BatchFixture> = {}): BatchFixture {
  const root = spns[spnId].genesisRoot;
  return { spnId, batchNo, preRoot: root, postRoot: root, firstBlock: batchNo, lastBlock: batchNo, chunks: [], txData: [], ...extra };
}

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES) out[table] = Number((await db.dataSource.query(`SELECT count(*) AS n FROM ${table}`))[0].n);
  return out;
}

async function expectRejected(submission: SettlementSubmission, rule: SettlementRule, message: RegExp): Promise<void> {
  const before = await counts();
  const error = await mainnet.settlement.submit(submission).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SettlementRejectedError);
  expect({ rule: (error as SettlementRejectedError).rule, message: (error as Error).message }).toEqual({
    rule,
    message: expect.stringMatching(message),
  });
  expect(await counts()).toEqual(before);
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  const [handle, artifacts, hasher] = await Promise.all([
    openDatabase({ url: testDb.url }),
    buildCircuitArtifacts('dev'),
    poseidonHasher(),
  ]);
  db = handle;
  mainnet = await createMainnet(db.dataSource, { chainId: CHAIN_ID, hasher });
  const verificationKey = JSON.parse(readFileSync(artifacts.verificationKeyPath, 'utf8'));
  const register = (spnId: string, vmKind: string, operator: { address: string }) =>
    mainnet.registry.register({
      spnId,
      vmKind,
      profile: 'dev',
      verificationKey,
      operator: operator.address,
      endpoint: 'http://127.0.0.1:1',
    });
  spns['spn-a'] = await register('spn-a', 'wasm', operatorA);
  spns['spn-b'] = await register('spn-b', 'wasm', operatorB);
  spns['spn-e'] = await register('spn-e', 'evm', operatorB);
}, 300_000);

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

describe('cross-SPN messages on the mainnet', () => {
  const sent = [
    message(1, 'spn-b'),
    message(2, 'spn-b', { args: ['0x' + '22'.repeat(20), '7'] }),
    message(3, 'spn-e'),
    message(4, 'spn-x'),
  ];

  it('refuses a batch whose messages do not match its header or do not continue its nonces, storing nothing', async () => {
    const batch = emptyBatch('spn-a', 1, { messages: sent });
    const valid = await signedSubmission(operatorA, CHAIN_ID, batch);
    await expectRejected({ ...valid, messages: sent.slice(0, 3) }, 'messagesRoot', /does not match the posted messages/);
    await expectRejected(
      await signedSubmission(operatorA, CHAIN_ID, { ...batch, messages: sent.map((m) => ({ ...m, nonce: m.nonce + 1 })) }),
      'messages',
      /messages\[0\] has nonce 2, expected 1 \(SPN "spn-a" has settled no message yet\)/,
    );
    await expectRejected(
      await signedSubmission(operatorA, CHAIN_ID, { ...batch, messages: [message(1, 'spn-b', { srcSpn: 'spn-b' })] }),
      'messages',
      /messages\[0\]\.srcSpn is "spn-b", not "spn-a"/,
    );
    const results: MessageResult[] = [{ traceId: messageLeaf(sent[0]), srcSpn: 'spn-a', nonce: 1, status: 'executed', retryable: false }];
    await expectRejected({ ...valid, results }, 'resultsHash', /^settlement rejected: header.resultsHash/);
    await expectRejected(
      await signedSubmission(operatorA, CHAIN_ID, { ...batch, results }),
      'results',
      /results\[0\] is about message 0x[0-9a-f]{64}, which the mainnet never relayed/,
    );
    const malformed = { ...valid, messages: [{ ...sent[0], dstSpn: 'Not An Id' }] };
    await expectRejected(malformed as SettlementSubmission, 'malformed', /messages\[0\]\.dstSpn must be an SPN id/);
  });

  it('settles the messages with their batch: relaying to Wasm SPNs, failed at once for an EVM or unknown SPN', async () => {
    const result = await mainnet.settlement.submit(await signedSubmission(operatorA, CHAIN_ID, emptyBatch('spn-a', 1, { messages: sent })));
    expect(result).toMatchObject({ accepted: true, duplicate: false, batchNo: 1 });
    const [toB1, toB2, toE, toX] = await Promise.all(sent.map((m) => mainnet.messages.get(messageLeaf(m))));
    expect(toB1).toMatchObject({ message: sent[0], status: 'relaying', error: null, retryable: null, srcBatchNo: 1, dstBatchNo: null });
    expect(toB2.status).toBe('relaying');
    expect(toE).toMatchObject({
      status: 'failed',
      error: 'SPN "spn-e" runs the EVM, which does not take messages (only Wasm SPNs do)',
      retryable: false,
    });
    expect(toX).toMatchObject({ status: 'failed', error: 'SPN "spn-x" is not registered', retryable: true });
    // The ledger lists the messages with the batch that settled them.
    const [event] = await db.dataSource.query("SELECT data FROM mainnet_event WHERE kind = 'batch_settled' AND spn_id = 'spn-a'");
    expect(event.data.messages).toEqual(sent.map(messageLeaf));
    // A resubmission is a duplicate, not a second settlement of the messages.
    const again = await mainnet.settlement.submit(await signedSubmission(operatorA, CHAIN_ID, emptyBatch('spn-a', 1, { messages: sent })));
    expect(again.duplicate).toBe(true);
    const listed = await mainnet.messages.list('spn-a', 'out');
    expect(listed.items.map((m) => m.message.nonce)).toEqual([4, 3, 2, 1]);
  });

  it('relays what waits for a destination, with proofs against the signed root, and nothing to others', async () => {
    const relayed = await mainnet.messages.pending('spn-b');
    expect(relayed.map((r) => r.message)).toEqual(sent.slice(0, 2));
    const [batch] = await db.dataSource.query("SELECT header FROM mainnet_batch WHERE spn_id = 'spn-a' AND batch_no = 1");
    for (const r of relayed) {
      expect(r.messagesRoot).toBe(batch.header.messagesRoot);
      expect(r.traceId).toBe(messageLeaf(r.message));
      expect(verifyMessageProof(r.messagesRoot, r.traceId, r.proof)).toBe(true);
    }
    expect(await mainnet.messages.pending('spn-b', relayed[0].seq)).toEqual(relayed.slice(1));
    expect(await mainnet.messages.pending('spn-e')).toEqual([]);
    expect(await mainnet.messages.pending('spn-a')).toEqual([]);
    await expect(mainnet.messages.pending('Bad Id')).rejects.toThrow(/spnId must be/);
    await expect(mainnet.messages.get('0x' + '00'.repeat(32))).rejects.toBeInstanceOf(NotFoundError);
  });

  it("settles results with the destination's batch; a result the destination may not give is refused", async () => {
    const [r1, r2] = sent.slice(0, 2).map((m) => messageLeaf(m));
    const executed: MessageResult = { traceId: r1, srcSpn: 'spn-a', nonce: 1, status: 'executed', retryable: false };
    const failed: MessageResult = {
      traceId: r2,
      srcSpn: 'spn-a',
      nonce: 2,
      status: 'failed',
      error: 'insufficient balance',
      retryable: false,
    };
    const forB = (results: MessageResult[]) => signedSubmission(operatorB, CHAIN_ID, emptyBatch('spn-b', 1, { results }));
    await expectRejected(await forB([executed, executed]), 'results', /results\[1\] repeats the result of message/);
    await expectRejected(
      await forB([{ ...executed, nonce: 9 }]),
      'results',
      /results\[0\] names message spn-a#9, but 0x[0-9a-f]{64} is spn-a#1/,
    );
    const toE = messageLeaf(sent[2]);
    await expectRejected(
      await signedSubmission(operatorB, CHAIN_ID, emptyBatch('spn-e', 1, { results: [{ ...executed, traceId: toE, nonce: 3 }] })),
      'results',
      /message 0x[0-9a-f]{64} already has a result \(failed\)/,
    );

    await mainnet.settlement.submit(await forB([executed, failed]));
    expect(await mainnet.messages.get(r1)).toMatchObject({ status: 'executed', error: null, dstBatchNo: 1 });
    expect(await mainnet.messages.get(r2)).toMatchObject({
      status: 'failed',
      error: 'insufficient balance',
      retryable: false,
      dstBatchNo: 1,
    });
    expect(await mainnet.messages.pending('spn-b')).toEqual([]);
    expect((await mainnet.messages.list('spn-b', 'in')).items.map((m) => m.status)).toEqual(['failed', 'executed']);
    const [event] = await db.dataSource.query("SELECT data FROM mainnet_event WHERE kind = 'batch_settled' AND spn_id = 'spn-b'");
    expect(event.data.results).toEqual([
      { traceId: r1, status: 'executed' },
      { traceId: r2, status: 'failed' },
    ]);
    // A second result for the same message, in the next batch, is refused.
    await expectRejected(
      await signedSubmission(operatorB, CHAIN_ID, emptyBatch('spn-b', 2, { results: [executed] })),
      'results',
      /already has a result \(executed\)/,
    );
  });

  it("numbers the source's next batch of messages on from the last settled nonce", async () => {
    const next = [message(5, 'spn-b')];
    await expectRejected(
      await signedSubmission(operatorA, CHAIN_ID, emptyBatch('spn-a', 2, { messages: [message(1, 'spn-b')] })),
      'messages',
      /expected 5 \(SPN "spn-a" has settled messages up to nonce 4\)/,
    );
    await mainnet.settlement.submit(await signedSubmission(operatorA, CHAIN_ID, emptyBatch('spn-a', 2, { messages: next })));
    const [relayed] = await mainnet.messages.pending('spn-b');
    expect(relayed).toMatchObject({ message: next[0], srcBatchNo: 2, proof: [] });
    expect(verifyMessageProof(relayed.messagesRoot, relayed.traceId, relayed.proof)).toBe(true);
  });
});
