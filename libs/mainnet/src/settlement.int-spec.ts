import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunksHash, txDataHash, type SettlementSubmission } from '@mesh/core';
import { openDatabase, type DatabaseHandle } from '@mesh/persistence';
import { diffHashChain, MemoryNodeStore, poseidonHasher, StateTree, zeroHashes, type Hasher, type StateUpdate } from '@mesh/state';
import { buildCircuitArtifacts, Prover, releaseCurve, type CircuitArtifacts } from '@mesh/zk';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { SettlementRejectedError, SpnConflictError, type SettlementRule } from './errors';
import { createMainnet, type Mainnet } from './mainnet';
import { provenChunks, signedSubmission, type BatchFixture } from './testing/batch-fixtures';

/**
 * Settlement against a real Postgres with real Groth16 proofs of the `dev` profile: four proofs
 * in all (two batches of two chunks), reused by every negative case.
 */
const CHAIN_ID = 4242;
const SPN = 'spn-int';
const TABLES = ['mainnet_spn', 'mainnet_batch', 'mainnet_spn_leaf', 'mainnet_event', 'mainnet_block'];

let testDb: TestDatabase;
let db: DatabaseHandle;
let artifacts: CircuitArtifacts;
let prover: Prover;
let hasher: Hasher;
let mainnet: Mainnet;
let verificationKey: Record<string, unknown>;
const operator = Wallet.createRandom();
const stranger = Wallet.createRandom();
let tree: StateTree;
let batch1: BatchFixture;
let batch2: BatchFixture;

/** Plans updates on the tree, proves every chunk for real, commits, and gives the batch. */
async function proveBatch(
  batchNo: number,
  firstBlock: number,
  lastBlock: number,
  updates: StateUpdate[],
  txData: unknown[],
): Promise<BatchFixture> {
  const plan = await tree.plan(updates);
  const chunks = await provenChunks(prover, hasher, plan, artifacts.profile.chunkSize);
  await tree.commit(plan);
  return { spnId: SPN, batchNo, preRoot: plan.oldRoot, postRoot: plan.newRoot, firstBlock, lastBlock, chunks, txData };
}

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES) out[table] = Number((await db.dataSource.query(`SELECT count(*) AS n FROM ${table}`))[0].n);
  return out;
}

/** Submits, expects a rejection of `rule` whose message matches, and checks that no table changed. */
async function expectRejected(submission: SettlementSubmission, rule: SettlementRule, message: RegExp): Promise<SettlementRejectedError> {
  const before = await counts();
  const lastRoot = (await mainnet.registry.get(SPN))?.lastRoot;
  const error = await mainnet.settlement.submit(submission).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SettlementRejectedError);
  const rejected = error as SettlementRejectedError;
  expect(rejected.code).toBe('SETTLEMENT_REJECTED');
  expect({ rule: rejected.rule, message: rejected.message }).toEqual({ rule, message: expect.stringMatching(message) });
  expect(await counts()).toEqual(before);
  expect((await mainnet.registry.get(SPN))?.lastRoot).toBe(lastRoot);
  return rejected;
}

/** The batch with changed chunks, its header re-hashed and re-signed by the operator (so only the change is wrong). */
function resigned(batch: BatchFixture, change: Partial<BatchFixture>): Promise<SettlementSubmission> {
  return signedSubmission(operator, CHAIN_ID, { ...batch, ...change });
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  [db, artifacts, hasher] = await Promise.all([openDatabase({ url: testDb.url }), buildCircuitArtifacts('dev'), poseidonHasher()]);
  prover = await Prover.start(artifacts);
  verificationKey = JSON.parse(readFileSync(artifacts.verificationKeyPath, 'utf8'));
  mainnet = await createMainnet(db.dataSource, { chainId: CHAIN_ID, hasher });
  tree = await StateTree.open(new MemoryNodeStore(), { depth: artifacts.profile.depth, hasher });
  batch1 = await proveBatch(
    1,
    0,
    2,
    [
      { key: 101n, value: 1n },
      { key: 102n, value: 2n },
      { key: 103n, value: 3n },
    ],
    [
      { from: '0xabc', nonce: '0', method: 'mint' },
      { from: '0xdef', nonce: '0' },
    ],
  );
  batch2 = await proveBatch(
    2,
    3,
    5,
    [
      { key: 102n, value: 20n },
      { key: 104n, value: 4n },
      { key: 105n, value: 5n },
    ],
    [{ from: '0xabc', nonce: '1', method: 'transfer', args: ['104', '4'] }],
  );
  await prover.close();
}, 600_000);

afterAll(async () => {
  await prover?.close();
  await db?.close();
  await testDb?.drop();
  await releaseCurve();
});

describe('SpnRegistry', () => {
  it('registers an SPN with the genesis root of the empty tree of its profile depth', async () => {
    const spn = await mainnet.registry.register({
      spnId: SPN,
      vmKind: 'wasm',
      profile: 'dev',
      verificationKey,
      operator: operator.address,
      endpoint: 'http://127.0.0.1:8081',
    });
    const genesis = String(zeroHashes(hasher, artifacts.profile.depth)[artifacts.profile.depth]);
    expect(spn).toMatchObject({
      spnId: SPN,
      vmKind: 'wasm',
      profile: 'dev',
      depth: artifacts.profile.depth,
      chunkSize: artifacts.profile.chunkSize,
      operator: operator.address.toLowerCase(),
      status: 'active',
      genesisRoot: genesis,
      lastRoot: genesis,
      lastBatchNo: 0,
      lastBlock: null,
    });
    expect(String(batch1.preRoot)).toBe(genesis);
  });

  it('is idempotent for identical fields and refuses other fields under the same id', async () => {
    const same = {
      spnId: SPN,
      vmKind: 'wasm',
      profile: 'dev',
      verificationKey,
      operator: operator.address.toLowerCase(),
      endpoint: 'http://127.0.0.1:8081',
    };
    const before = await counts();
    expect((await mainnet.registry.register(same)).spnId).toBe(SPN);
    const conflict = await mainnet.registry
      .register({ ...same, operator: stranger.address, endpoint: 'http://x:1' })
      .catch((err: unknown) => err);
    expect(conflict).toBeInstanceOf(SpnConflictError);
    expect(conflict).toMatchObject({ code: 'SPN_CONFLICT', message: `SPN "${SPN}" is already registered with another operator, endpoint` });
    expect(await counts()).toEqual(before);
  });

  it('refuses bad registrations with an InvalidInputError, storing nothing', async () => {
    const base = {
      spnId: 'spn-bad',
      vmKind: 'evm',
      profile: 'dev',
      verificationKey,
      operator: operator.address,
      endpoint: 'https://spn.example',
    };
    const before = await counts();
    await expect(mainnet.registry.register({ ...base, verificationKey: { ...verificationKey, nPublic: 5 } })).rejects.toThrow(
      /nPublic must be 4/,
    );
    await expect(mainnet.registry.register({ ...base, verificationKey: { ...verificationKey, IC: [] } })).rejects.toThrow(
      /IC must hold nPublic \+ 1 = 5 points/,
    );
    await expect(mainnet.registry.register({ ...base, profile: 'nope' })).rejects.toThrow(
      /profile must be a circuit profile of circuits.json/,
    );
    await expect(mainnet.registry.register({ ...base, genesisRoot: '1' })).rejects.toThrow(/unknown field\(s\): genesisRoot/);
    expect(await counts()).toEqual(before);
  });
});

describe('SettlementService (real proofs)', () => {
  it('rejects every broken rule of the first batch with a clear reason, storing nothing', async () => {
    const valid = await resigned(batch1, {});
    // Each case changes one thing and keeps the rest consistent.
    await expectRejected({ ...valid, header: { ...valid.header, spnId: 'spn-unknown' } }, 'spn', /SPN "spn-unknown" is not registered/);
    await expectRejected(
      await signedSubmission(stranger, CHAIN_ID, batch1),
      'signature',
      new RegExp(`signed by ${stranger.address.toLowerCase()}, not by the operator`),
    );
    await expectRejected(
      await signedSubmission(operator, CHAIN_ID + 1, batch1),
      'signature',
      /not by the operator of SPN "spn-int" .* on chain 4242/,
    );
    await expectRejected(
      await signedSubmission(operator, CHAIN_ID, batch1, { chunksHash: '0x' + '12'.repeat(32) }),
      'chunksHash',
      /header.chunksHash 0x1212.* does not match the posted chunks, which hash to 0x/,
    );
    await expectRejected(
      await signedSubmission(operator, CHAIN_ID, batch1, { txDataHash: txDataHash([]) }),
      'txDataHash',
      /header.txDataHash 0x.* does not match the posted txData, which hashes to 0x/,
    );
    await expectRejected(
      await resigned(batch1, { batchNo: 2 }),
      'batchNo',
      /batchNo 2 leaves a gap: SPN "spn-int" has settled no batch yet, so the next batch must be 1/,
    );
    await expectRejected(
      await resigned(batch1, { preRoot: 12345n }),
      'preRoot',
      /preRoot 12345 is not the last settled root of SPN "spn-int" \(\d+, its genesis root\)/,
    );
    await expectRejected(await resigned(batch1, { lastBlock: 0, firstBlock: 1 }), 'blocks', /lastBlock 0 is before firstBlock 1/);
  });

  it('settles a valid batch: stores it with its data, moves the SPN and records the event', async () => {
    const submission = await resigned(batch1, {});
    expect(await mainnet.settlement.submit(submission)).toEqual({
      accepted: true,
      duplicate: false,
      batchNo: 1,
      postRoot: String(batch1.postRoot),
    });
    expect(await mainnet.registry.get(SPN)).toMatchObject({ lastBatchNo: 1, lastRoot: String(batch1.postRoot), lastBlock: 2 });
    const stored = await mainnet.queries.getBatch(SPN, 1);
    // Data availability: what is stored hashes to what was signed.
    expect(chunksHash(stored.chunks)).toBe(submission.header.chunksHash);
    expect(txDataHash(stored.txData)).toBe(submission.header.txDataHash);
    expect(stored).toMatchObject({
      signature: submission.signature,
      header: submission.header,
      chunkCount: 2,
      updateCount: 3,
      txCount: 2,
      mainnetBlock: null,
    });
    const leaves = await db.dataSource.query(`SELECT idx, key::text AS key FROM mainnet_spn_leaf WHERE spn_id = $1 ORDER BY idx`, [SPN]);
    expect(leaves).toEqual([
      { idx: '0', key: '101' },
      { idx: '1', key: '102' },
      { idx: '2', key: '103' },
    ]);
  });

  it('answers a resubmission of a settled batch as a duplicate, and refuses other content under its number', async () => {
    const before = await counts();
    expect(await mainnet.settlement.submit(await resigned(batch1, {}))).toEqual({
      accepted: true,
      duplicate: true,
      batchNo: 1,
      postRoot: String(batch1.postRoot),
    });
    expect(await counts()).toEqual(before);
    await expectRejected(
      await resigned(batch1, { txData: [{ other: true }] }),
      'batchNo',
      /batch 1 of SPN "spn-int" is already settled with other content/,
    );
  });

  it('rejects broken versions of the second batch with a clear reason, storing nothing', async () => {
    await expectRejected(
      await resigned(batch2, { batchNo: 3 }),
      'batchNo',
      /batchNo 3 leaves a gap: SPN "spn-int" has settled up to batch 1, so the next batch must be 2/,
    );
    await expectRejected(
      await resigned(batch2, { preRoot: batch1.preRoot }),
      'preRoot',
      /is not the last settled root of SPN "spn-int" \(\d+, after batch 1\)/,
    );
    await expectRejected(
      await resigned(batch2, { firstBlock: 4 }),
      'blocks',
      /firstBlock 4 does not follow the last settled block 2: it must be 3/,
    );

    // chunks that do not chain
    const unchained = structuredClone(batch2.chunks);
    unchained[1].statement.oldRoot = String(batch1.postRoot);
    await expectRejected(
      await resigned(batch2, { chunks: unchained }),
      'chunks',
      /chunks do not chain: chunks\[1\]\.oldRoot \d+ is not chunks\[0\]\.newRoot \d+/,
    );
    await expectRejected(
      await resigned(batch2, { chunks: [batch2.chunks[1], batch2.chunks[0]] }),
      'chunks',
      /chunks\[0\] has chunkIndex 1, expected 0/,
    );
    await expectRejected(
      await resigned(batch2, { chunks: batch2.chunks.slice(0, 1) }),
      'chunks',
      /the last chunk ends at root \d+, not at the batch postRoot/,
    );

    // an update that does not match its diffHash
    const wrongDiff = structuredClone(batch2.chunks);
    wrongDiff[0].updates[0].newValue = '21';
    await expectRejected(
      await resigned(batch2, { chunks: wrongDiff }),
      'diffHash',
      /the updates of chunks\[0\] do not match its diffHash: they hash to \d+, the statement says \d+/,
    );

    // a leaf index reused by another key (the diff hash made to match, so that the index rule is what fails)
    const reused = structuredClone(batch2.chunks);
    reused[1].updates[0].index = 0;
    const u = reused[1].updates[0];
    reused[1].statement.diffHash = String(
      diffHashChain(hasher, 1n, [{ index: 0, key: BigInt(u.key), oldValue: BigInt(u.oldValue), newValue: BigInt(u.newValue) }]),
    );
    await expectRejected(
      await resigned(batch2, { chunks: reused }),
      'leafIndex',
      /leaf index 0 belongs to key 101 \(settled before\); the batch uses it for key 105/,
    );
    // ...and a key that moves to another index
    const moved = structuredClone(batch2.chunks);
    moved[0].updates[0].index = 7;
    const m = moved[0].updates;
    moved[0].statement.diffHash = String(
      diffHashChain(
        hasher,
        0n,
        m.map((x) => ({ index: x.index, key: BigInt(x.key), oldValue: BigInt(x.oldValue), newValue: BigInt(x.newValue) })),
      ),
    );
    await expectRejected(
      await resigned(batch2, { chunks: moved }),
      'leafIndex',
      /key 102 has leaf index 1 \(settled before\); the batch gives it index 7/,
    );

    // a tampered proof
    const tampered = structuredClone(batch2.chunks);
    const proof = tampered[1].proof as { pi_a: string[] };
    proof.pi_a[0] = String(BigInt(proof.pi_a[0]) + 1n);
    await expectRejected(
      await resigned(batch2, { chunks: tampered }),
      'proof',
      /the proof of chunks\[1\] does not verify under the verification key registered for SPN "spn-int"/,
    );
    // a valid proof of another chunk
    const swappedProofs = structuredClone(batch2.chunks);
    swappedProofs[0].proof = batch1.chunks[0].proof;
    await expectRejected(await resigned(batch2, { chunks: swappedProofs }), 'proof', /the proof of chunks\[0\] does not verify/);

    // signed by someone else than the operator
    await expectRejected(await signedSubmission(stranger, CHAIN_ID, batch2), 'signature', /not by the operator of SPN "spn-int"/);
  });

  it('settles the second batch once when it is submitted twice at the same time', async () => {
    const submission = await resigned(batch2, {});
    const results = await Promise.all([mainnet.settlement.submit(submission), mainnet.settlement.submit(structuredClone(submission))]);
    expect(results.map((r) => r.duplicate).sort()).toEqual([false, true]);
    expect(results.every((r) => r.accepted && r.batchNo === 2 && r.postRoot === String(batch2.postRoot))).toBe(true);
    expect(await mainnet.registry.get(SPN)).toMatchObject({ lastBatchNo: 2, lastRoot: String(batch2.postRoot), lastBlock: 5 });
    const page = await mainnet.queries.listBatches(SPN, { limit: 1 });
    expect(page.items.map((b) => b.batchNo)).toEqual([2]);
    expect(page.nextBefore).toBe(2);
    expect((await mainnet.queries.listBatches(SPN, { limit: 1, before: 2 })).items.map((b) => b.batchNo)).toEqual([1]);
    expect(Number((await db.dataSource.query(`SELECT count(*) AS n FROM mainnet_spn_leaf WHERE spn_id = $1`, [SPN]))[0].n)).toBe(5);
  });
});

describe('Ledger', () => {
  it('seals events into hash-chained blocks that list what they finalized', async () => {
    const genesis = await mainnet.ledger.sealPending();
    expect(genesis).toMatchObject({ number: 0, parentHash: '0x' + '00'.repeat(32), eventCount: 3 });
    expect(genesis!.events.map((e) => [e.kind, e.batchNo])).toEqual([
      ['spn_registered', null],
      ['batch_settled', 1],
      ['batch_settled', 2],
    ]);
    expect(await mainnet.ledger.sealPending()).toBeUndefined(); // nothing pending

    await mainnet.registry.register({
      spnId: 'spn-two',
      vmKind: 'evm',
      profile: 'dev',
      verificationKey,
      operator: stranger.address,
      endpoint: 'http://127.0.0.1:9',
    });
    const next = await mainnet.ledger.sealPending();
    expect(next).toMatchObject({ number: 1, parentHash: genesis!.hash, eventCount: 1 });
    expect(next!.timestamp).toBeGreaterThanOrEqual(genesis!.timestamp);

    expect(await mainnet.ledger.verifyChain()).toEqual({ ok: true, blocks: 2, events: 4 });
    expect((await mainnet.queries.getBatch(SPN, 2)).mainnetBlock).toBe(0);
    expect((await mainnet.queries.listBlocks()).items.map((b) => b.number)).toEqual([1, 0]);
    expect((await mainnet.queries.getBlock(0)).events).toHaveLength(3);
  });

  it('lets only one of two concurrent sealers seal the same events', async () => {
    await mainnet.registry.register({
      spnId: 'spn-three',
      vmKind: 'evm',
      profile: 'dev',
      verificationKey,
      operator: stranger.address,
      endpoint: 'http://127.0.0.1:9',
    });
    const sealed = (await Promise.all([mainnet.ledger.sealPending(), mainnet.ledger.sealPending(), mainnet.ledger.sealPending()])).filter(
      Boolean,
    );
    expect(sealed).toHaveLength(1);
    expect(await mainnet.ledger.verifyChain()).toMatchObject({ ok: true, blocks: 3 });
  });

  it('verifyChain notices a changed event', async () => {
    await db.dataSource.query(
      `UPDATE mainnet_event SET data = jsonb_set(data, '{postRoot}', '"1"') WHERE kind = 'batch_settled' AND batch_no = 1`,
    );
    expect(await mainnet.ledger.verifyChain()).toEqual({
      ok: false,
      block: 0,
      reason: expect.stringMatching(/is not the hash of its content/),
    });
  });
});
