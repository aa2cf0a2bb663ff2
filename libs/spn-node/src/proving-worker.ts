import type { DataSource } from 'typeorm';
import type { ChunkStatementJson } from '@mesh/core';
import type { Chunk, Prover } from '@mesh/zk';
import { stepFromJson, type UpdateStepJson } from './step-json';

export interface ProvedJob {
  batchNo: bigint;
  chunkIndex: number;
  batchProved: boolean;
}

/**
 * Takes proving jobs from Postgres (`FOR UPDATE SKIP LOCKED`, with a lease so that a worker
 * that died leaves its job to others) and stores their proofs; when a batch's last chunk is
 * proven the batch becomes `proved`. Several workers (or processes) can run side by side.
 */
export class ProvingWorker {
  constructor(
    private readonly db: DataSource,
    private readonly spnId: string,
    private readonly prover: Prover,
    private readonly leaseMs = 120_000,
  ) {}

  /** Frees leases this SPN's workers held when the node died; call once at start, before any worker runs. */
  static async releaseLeases(db: DataSource, spnId: string): Promise<void> {
    await db.query("UPDATE spn_proof_job SET locked_until = NULL WHERE spn_id = $1 AND status = 'queued'", [spnId]);
  }

  /** Proves the oldest free job; undefined when there is none. */
  async proveNext(): Promise<ProvedJob | undefined> {
    // UPDATE ... RETURNING inside a CTE: TypeORM answers a bare UPDATE with [rows, count], a SELECT with rows.
    const claimed: { batch_no: string; chunk_index: number; statement: ChunkStatementJson; steps: UpdateStepJson[] }[] =
      await this.db.query(
        `WITH claimed AS (UPDATE spn_proof_job j SET locked_until = now() + ($2 || ' milliseconds')::interval, attempts = attempts + 1
        WHERE (j.spn_id, j.batch_no, j.chunk_index) = (
          SELECT spn_id, batch_no, chunk_index FROM spn_proof_job
           WHERE spn_id = $1 AND status = 'queued' AND (locked_until IS NULL OR locked_until < now())
           ORDER BY batch_no, chunk_index LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING j.batch_no, j.chunk_index, j.statement, j.steps)
       SELECT * FROM claimed`,
        [this.spnId, String(this.leaseMs)],
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
    return this.db.transaction(async (em) => {
      await em.query(
        "UPDATE spn_proof_job SET status = 'done', proof = $4, last_error = NULL WHERE spn_id = $1 AND batch_no = $2 AND chunk_index = $3",
        [this.spnId, job.batch_no, job.chunk_index, JSON.stringify(proof)],
      );
      const done: unknown[] = await em.query(
        `WITH proved AS (UPDATE spn_batch SET status = 'proved', proved_at = now()
          WHERE spn_id = $1 AND batch_no = $2 AND status = 'proving'
            AND NOT EXISTS (SELECT 1 FROM spn_proof_job WHERE spn_id = $1 AND batch_no = $2 AND status = 'queued')
          RETURNING batch_no)
         SELECT * FROM proved`,
        [this.spnId, job.batch_no],
      );
      return { batchNo: BigInt(job.batch_no), chunkIndex: job.chunk_index, batchProved: done.length > 0 };
    });
  }
}
