import type { DataSource } from 'typeorm';
import type { ChunkStatementJson } from '@mesh/core';
import type { Chunk, Prover } from '@mesh/zk';
import { stepFromJson, type UpdateStepJson } from './step-json';

export interface ProvedJob {
  batchNo: bigint;
  chunkIndex: number;
  batchProved: boolean;
  /** Time the proof took (the prover's part, without the database). */
  proveMs: number;
}

export interface ProvingWorkerOptions {
  /**
   * Who holds the leases this worker takes (`locked_by`) and proved what it proves (`proved_by`):
   * `SPN_NODE_PROVER` for the node's own workers, a name unique to the process for a prover
   * process (apps/prover).
   */
  owner: string;
  /**
   * Hash of the verification key this worker's artifacts prove for (the mainnet's
   * `verificationKeyHash`, libs/core `hashCanonical`). Jobs queued for another key are left to
   * provers that have it (their proofs would not verify on the mainnet); jobs without a key (queued
   * before keys were recorded) are taken by any worker.
   */
  vkHash: string;
  /** How long a taken job stays this worker's; a worker that died leaves it to others after that. */
  leaseMs?: number;
}

/** `locked_by` / `proved_by` of the proving workers that run inside the SPN node. */
export const SPN_NODE_PROVER = 'spn-node';

export const DEFAULT_PROOF_LEASE_MS = 120_000;

/**
 * Takes proving jobs from Postgres (`FOR UPDATE SKIP LOCKED`, with a lease so that a worker
 * that died leaves its job to others) and stores their proofs; when a batch's last chunk is
 * proven the batch becomes `proved`. Several workers (or processes) can run side by side.
 */
export class ProvingWorker {
  private readonly leaseMs: number;

  constructor(
    private readonly db: DataSource,
    private readonly spnId: string,
    private readonly prover: Prover,
    private readonly options: ProvingWorkerOptions,
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_PROOF_LEASE_MS;
  }

  /**
   * Frees the leases `owner` holds on this SPN's jobs: a node calls it once at start, before any
   * of its workers runs, for the leases it held when it died; a prover process when it stops.
   * Leases of other owners stay: their workers may still be proving. Leases without an owner
   * (taken before jobs named theirs, by a node's own workers) go too.
   */
  static async releaseLeases(db: DataSource, spnId: string, owner: string): Promise<void> {
    await db.query(
      "UPDATE spn_proof_job SET locked_until = NULL, locked_by = NULL WHERE spn_id = $1 AND status = 'queued' AND (locked_by = $2 OR locked_by IS NULL)",
      [spnId, owner],
    );
  }

  /** Proves the oldest free job; undefined when there is none. */
  async proveNext(): Promise<ProvedJob | undefined> {
    const { owner, vkHash } = this.options;
    // UPDATE ... RETURNING inside a CTE: TypeORM answers a bare UPDATE with [rows, count], a SELECT with rows.
    const claimed: { batch_no: string; chunk_index: number; statement: ChunkStatementJson; steps: UpdateStepJson[] }[] =
      await this.db.query(
        `WITH claimed AS (UPDATE spn_proof_job j
            SET locked_until = now() + ($2 || ' milliseconds')::interval, locked_by = $3, attempts = attempts + 1
        WHERE (j.spn_id, j.batch_no, j.chunk_index) = (
          SELECT spn_id, batch_no, chunk_index FROM spn_proof_job
           WHERE spn_id = $1 AND status = 'queued' AND (locked_until IS NULL OR locked_until < now())
             AND (vk_hash IS NULL OR vk_hash = $4)
           ORDER BY batch_no, chunk_index LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING j.batch_no, j.chunk_index, j.statement, j.steps)
       SELECT * FROM claimed`,
        [this.spnId, String(this.leaseMs), owner, vkHash],
      );
    if (claimed.length === 0) return undefined;
    const job = claimed[0];
    const chunk: Chunk = {
      statement: {
        oldRoot: BigInt(job.statement.oldRoot),
        newRoot: BigInt(job.statement.newRoot),
        diffHash: BigInt(job.statement.diffHash),
        chunkIndex: job.statement.chunkIndex,
      },
      steps: job.steps.map(stepFromJson),
    };
    let proof;
    const started = performance.now();
    try {
      ({ proof } = await this.prover.proveChunk(chunk));
    } catch (err) {
      await this.db.query('UPDATE spn_proof_job SET last_error = $4 WHERE spn_id = $1 AND batch_no = $2 AND chunk_index = $3', [
        this.spnId,
        job.batch_no,
        job.chunk_index,
        (err as Error).message,
      ]);
      throw err;
    }
    const proveMs = performance.now() - started;
    return this.db.transaction(async (em) => {
      // The batch row first: workers finishing the last chunks of one batch at once then store one
      // after the other, and the last sees every other chunk done (without it, each could see the
      // other's chunk still queued, and the batch would stay 'proving' for ever).
      await em.query('SELECT 1 FROM spn_batch WHERE spn_id = $1 AND batch_no = $2 FOR UPDATE', [this.spnId, job.batch_no]);
      // Still queued: another worker may have proven it meanwhile (this one outlived its lease); its proof stays.
      await em.query(
        `UPDATE spn_proof_job SET status = 'done', proof = $4, proved_by = $5, last_error = NULL, locked_until = NULL, locked_by = NULL
          WHERE spn_id = $1 AND batch_no = $2 AND chunk_index = $3 AND status = 'queued'`,
        [this.spnId, job.batch_no, job.chunk_index, JSON.stringify(proof), owner],
      );
      const done: unknown[] = await em.query(
        `WITH proved AS (UPDATE spn_batch SET status = 'proved', proved_at = now()
          WHERE spn_id = $1 AND batch_no = $2 AND status = 'proving'
            AND NOT EXISTS (SELECT 1 FROM spn_proof_job WHERE spn_id = $1 AND batch_no = $2 AND status = 'queued')
          RETURNING batch_no)
         SELECT * FROM proved`,
        [this.spnId, job.batch_no],
      );
      return { batchNo: BigInt(job.batch_no), chunkIndex: job.chunk_index, batchProved: done.length > 0, proveMs };
    });
  }

  /**
   * Queued jobs of this SPN that this worker will not take because they are for another
   * verification key, by key: what a prover process reports when it finds nothing it can do.
   */
  async jobsForOtherKeys(): Promise<{ vkHash: string; jobs: number }[]> {
    const rows: { vk_hash: string; jobs: string }[] = await this.db.query(
      `SELECT vk_hash, count(*) AS jobs FROM spn_proof_job
        WHERE spn_id = $1 AND status = 'queued' AND vk_hash IS NOT NULL AND vk_hash <> $2 GROUP BY vk_hash ORDER BY vk_hash`,
      [this.spnId, this.options.vkHash],
    );
    return rows.map((r) => ({ vkHash: r.vk_hash, jobs: Number(r.jobs) }));
  }
}
