import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashCanonical } from '@mesh/core';
import { openDatabase, type DatabaseHandle } from '@mesh/persistence';
import { MemoryNodeStore, poseidonHasher, StateTree, type Hasher } from '@mesh/state';
import { buildCircuitArtifacts, chunkSteps, ChunkVerifier, Prover, readVerificationKey, type Chunk, type CircuitArtifacts } from '@mesh/zk';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { ProvingPool } from './proving-pool';
import { ProvingWorker, SPN_NODE_PROVER } from './proving-worker';
import { stepToJson } from './step-json';

/**
 * Proving jobs shared by the node's workers and prover processes (apps/prover), on the real
 * Postgres with real dev-profile proofs: who takes which job, whose leases a restart frees, and
 * that the batch becomes proved however its last chunks finish.
 */
let testDb: TestDatabase;
let database: DatabaseHandle;
let artifacts: CircuitArtifacts;
let hasher: Hasher;
let verifier: ChunkVerifier;
let provers: Prover[];
let vkHash: string;
let nextSpn = 0;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = await openDatabase({ url: testDb.url });
  artifacts = await buildCircuitArtifacts('dev', { buildIfMissing: false });
  vkHash = hashCanonical(readVerificationKey(artifacts.verificationKeyPath));
  [hasher, verifier, ...provers] = await Promise.all([
    poseidonHasher(),
    ChunkVerifier.fromFile(artifacts.verificationKeyPath),
    Prover.start(artifacts),
    Prover.start(artifacts),
  ]);
});

afterAll(async () => {
  await Promise.all((provers ?? []).map((p) => p.close()));
  await database?.close();
  await testDb?.drop();
});

/** A `proving` batch of its own SPN with `chunkCount` real chunks queued under `jobKey`. */
async function queueBatch(chunkCount: number, jobKey: string | null = vkHash): Promise<{ spnId: string; chunks: Chunk[] }> {
  const spnId = `spn-${++nextSpn}`;
  const tree = await StateTree.open(new MemoryNodeStore(), { depth: artifacts.profile.depth, hasher });
  const updates = Array.from({ length: chunkCount * artifacts.profile.chunkSize }, (_, i) => ({
    key: BigInt(i + 1),
    value: BigInt(100 + i),
  }));
  const plan = await tree.plan(updates);
  const chunks = chunkSteps(hasher, plan.steps, artifacts.profile.chunkSize, plan.oldRoot);
  await database.dataSource.query(
    `INSERT INTO spn_batch (spn_id, batch_no, first_block, last_block, pre_root, post_root, status, chunk_count)
     VALUES ($1, 1, 1, 1, $2, $3, 'proving', $4)`,
    [spnId, String(plan.oldRoot), String(plan.newRoot), chunks.length],
  );
  for (const c of chunks)
    await database.dataSource.query(
      'INSERT INTO spn_proof_job (spn_id, batch_no, chunk_index, statement, steps, vk_hash) VALUES ($1, 1, $2, $3, $4, $5)',
      [
        spnId,
        c.statement.chunkIndex,
        JSON.stringify({
          ...c.statement,
          oldRoot: String(c.statement.oldRoot),
          newRoot: String(c.statement.newRoot),
          diffHash: String(c.statement.diffHash),
        }),
        JSON.stringify(c.steps.map(stepToJson)),
        jobKey,
      ],
    );
  return { spnId, chunks };
}

interface JobRow {
  chunk_index: number;
  status: string;
  locked_by: string | null;
  proved_by: string | null;
  attempts: number;
  proof: unknown;
}

const jobs = (spnId: string): Promise<JobRow[]> =>
  database.dataSource.query(
    'SELECT chunk_index, status, locked_by, proved_by, attempts, proof FROM spn_proof_job WHERE spn_id = $1 ORDER BY chunk_index',
    [spnId],
  );
const batchStatus = async (spnId: string): Promise<string> =>
  ((await database.dataSource.query('SELECT status FROM spn_batch WHERE spn_id = $1', [spnId])) as { status: string }[])[0].status;
const worker = (spnId: string, owner: string, prover = provers[0], key = vkHash) =>
  new ProvingWorker(database.dataSource, spnId, prover, { owner, vkHash: key });

describe('ProvingWorker', () => {
  it('proves a job, records who proved it, and marks the batch proved with its last chunk', async () => {
    const { spnId, chunks } = await queueBatch(2);
    const w = worker(spnId, 'prover@a:1');
    const first = await w.proveNext();
    expect(first).toMatchObject({ batchNo: 1n, chunkIndex: 0, batchProved: false });
    expect(first!.proveMs).toBeGreaterThan(0);
    expect(await batchStatus(spnId)).toBe('proving');
    expect(await w.proveNext()).toMatchObject({ chunkIndex: 1, batchProved: true });
    expect(await w.proveNext()).toBeUndefined();
    expect(await batchStatus(spnId)).toBe('proved');
    const rows = await jobs(spnId);
    expect(rows.map((r) => [r.status, r.proved_by, r.locked_by])).toEqual([
      ['done', 'prover@a:1', null],
      ['done', 'prover@a:1', null],
    ]);
    for (const [i, row] of rows.entries()) expect(await verifier.verifyStatement(chunks[i].statement, row.proof)).toBe(true);
  });

  it('leaves jobs queued for another verification key alone and reports them; jobs without a key go to anyone', async () => {
    const other = await queueBatch(1, 'f'.repeat(64));
    const w = worker(other.spnId, 'prover@a:1');
    expect(await w.proveNext()).toBeUndefined();
    expect((await jobs(other.spnId))[0]).toMatchObject({ status: 'queued', locked_by: null, attempts: 0 });
    expect(await w.jobsForOtherKeys()).toEqual([{ vkHash: 'f'.repeat(64), jobs: 1 }]);

    const legacy = await queueBatch(1, null); // queued before jobs carried the key
    expect(await worker(legacy.spnId, 'prover@a:1').proveNext()).toMatchObject({ batchProved: true });
  });

  it('a restarting node frees its own leases only, not those of prover processes still at work', async () => {
    const { spnId } = await queueBatch(2);
    // Two claims that never finish: the claim is what proveNext does first, so take them by hand as it does.
    const claim = (owner: string) =>
      database.dataSource.query(
        `UPDATE spn_proof_job SET locked_by = $2, locked_until = now() + interval '1 hour', attempts = attempts + 1
          WHERE (spn_id, batch_no, chunk_index) = (SELECT spn_id, batch_no, chunk_index FROM spn_proof_job
            WHERE spn_id = $1 AND locked_by IS NULL ORDER BY chunk_index LIMIT 1)`,
        [spnId, owner],
      );
    await claim(SPN_NODE_PROVER);
    await claim('prover@b:2');
    await ProvingWorker.releaseLeases(database.dataSource, spnId, SPN_NODE_PROVER);
    expect((await jobs(spnId)).map((r) => r.locked_by)).toEqual([null, 'prover@b:2']);
    // The freed job is taken again at once; the other waits for its lease.
    expect(await worker(spnId, SPN_NODE_PROVER).proveNext()).toMatchObject({ chunkIndex: 0, batchProved: false });
    expect(await worker(spnId, SPN_NODE_PROVER).proveNext()).toBeUndefined();
  });

  it('two workers finishing the last chunks of a batch at once leave it proved', async () => {
    const { spnId } = await queueBatch(2);
    const holder = database.dataSource.createQueryRunner();
    try {
      let finished = 0;
      const running = Promise.all(
        [worker(spnId, 'prover@a:1', provers[0]), worker(spnId, 'prover@b:2', provers[1])].map((w) =>
          w.proveNext().finally(() => finished++),
        ),
      );
      // Once both have taken their job (and prove, ~1 s), hold the jobs' rows, so that both store at the same moment.
      while ((await jobs(spnId)).some((r) => r.locked_by === null)) await new Promise((wait) => setTimeout(wait, 20));
      await holder.startTransaction();
      await holder.query('SELECT 1 FROM spn_proof_job WHERE spn_id = $1 FOR UPDATE', [spnId]);
      for (let waiting = 0; waiting + finished < 2;) {
        await new Promise((wait) => setTimeout(wait, 50));
        const rows: { n: string }[] = await holder.query(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        waiting = Number(rows[0].n);
      }
      expect(finished).toBe(0);
      await holder.commitTransaction();
      const done = await running;
      expect(done.map((d) => d?.chunkIndex).sort()).toEqual([0, 1]);
      // Without the batch row lock each could see the other's chunk still queued, and the batch would stay 'proving'.
      expect(done.filter((d) => d?.batchProved)).toHaveLength(1);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
    expect(await batchStatus(spnId)).toBe('proved');
    expect(new Set((await jobs(spnId)).map((r) => r.proved_by))).toEqual(new Set(['prover@a:1', 'prover@b:2']));
  });

  it('a worker that outlived its lease does not overwrite the proof of the worker that took the job over', async () => {
    const { spnId } = await queueBatch(1);
    const slow = new ProvingWorker(database.dataSource, spnId, provers[0], { owner: 'prover@slow:1', vkHash, leaseMs: 1 });
    const slowRun = slow.proveNext(); // its 1 ms lease ends while it proves
    await new Promise((wait) => setTimeout(wait, 50));
    const fast = await worker(spnId, 'prover@fast:2', provers[1]).proveNext();
    await slowRun;
    expect(fast).toMatchObject({ chunkIndex: 0 });
    const [row] = await jobs(spnId);
    expect(row).toMatchObject({ status: 'done', attempts: 2 });
    expect(['prover@slow:1', 'prover@fast:2']).toContain(row.proved_by);
    // Whoever stored first keeps the job: the proof stored is the one its proved_by made, and it verifies.
    expect(await batchStatus(spnId)).toBe('proved');
  });
});

describe('ProvingPool', () => {
  it('proves the jobs of its key and warns, naming both keys, about jobs queued for another', async () => {
    const mine = await queueBatch(2);
    await database.dataSource.query('UPDATE spn_proof_job SET spn_id = $1, vk_hash = $2 WHERE spn_id = $1 AND chunk_index = 1', [
      mine.spnId,
      'e'.repeat(64),
    ]);
    const warnings: string[] = [];
    const batches: bigint[] = [];
    const pool = await ProvingPool.open(database.dataSource, {
      spnId: mine.spnId,
      artifacts,
      provers: 1,
      owner: 'prover@pool:1',
      logger: { log: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(`error: ${m}`) },
    });
    expect(pool.vkHash).toBe(vkHash);
    pool.start((batchNo) => batches.push(batchNo));
    try {
      const deadline = Date.now() + 60_000;
      while (warnings.length === 0 && Date.now() < deadline) await new Promise((wait) => setTimeout(wait, 50));
    } finally {
      await pool.stop({ releaseLeases: true });
    }
    expect(warnings).toEqual([expect.stringContaining(`need another verification key (1 for key ${'e'.repeat(64)})`)]);
    expect(warnings[0]).toContain(`have key ${vkHash}`);
    const rows = await jobs(mine.spnId);
    expect(rows.map((r) => [r.status, r.proved_by, r.locked_by])).toEqual([
      ['done', 'prover@pool:1', null],
      ['queued', null, null],
    ]);
    expect(batches).toEqual([]); // its other chunk waits for a prover with that key
    expect(await batchStatus(mine.spnId)).toBe('proving');
  });
});
