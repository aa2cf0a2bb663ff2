import type { DataSource } from 'typeorm';
import { stepRootBefore, type Hasher } from '@mesh/state';
import { chunkSteps } from '@mesh/zk';
import { stepFromJson, stepToJson, type UpdateStepJson } from './step-json';

export interface BatchPolicy {
  /** A batch closes once it has this many blocks... */
  batchBlocks: number;
  /** ...or once its oldest block is this old. */
  batchMaxMs: number;
  /**
   * The verification key (hash) the SPN proves under, written on every proving job: provers with
   * other artifacts leave the job alone (ProvingWorker).
   */
  vkHash: string;
}

export interface CutBatch {
  batchNo: bigint;
  firstBlock: bigint;
  lastBlock: bigint;
  chunks: number;
  updates: number;
}

/**
 * Groups consecutive committed blocks into a batch, cuts the batch's state updates (the blocks'
 * tree steps in order, so they chain from the batch's preRoot to its postRoot) into chunks of the
 * circuit's K, and enqueues one proving job per chunk, all in one database transaction.
 */
export class Batcher {
  constructor(
    private readonly db: DataSource,
    private readonly spnId: string,
    private readonly hasher: Hasher,
    private readonly chunkSize: number,
    private readonly genesisRoot: bigint,
    private readonly policy: BatchPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  async cut(): Promise<CutBatch | undefined> {
    const last: { batch_no: string; last_block: string; post_root: string }[] = await this.db.query(
      'SELECT batch_no, last_block, post_root FROM spn_batch WHERE spn_id = $1 ORDER BY batch_no DESC LIMIT 1',
      [this.spnId],
    );
    const batchNo = last.length ? BigInt(last[0].batch_no) + 1n : 1n;
    const firstBlock = last.length ? BigInt(last[0].last_block) + 1n : 1n;
    const preRoot = last.length ? BigInt(last[0].post_root) : this.genesisRoot;
    const blocks: { number: string; timestamp_ms: string; state_root: string; steps: UpdateStepJson[] }[] = await this.db.query(
      'SELECT number, timestamp_ms, state_root, steps FROM spn_block WHERE spn_id = $1 AND number >= $2 ORDER BY number LIMIT $3',
      [this.spnId, String(firstBlock), this.policy.batchBlocks],
    );
    if (blocks.length === 0) return undefined;
    const full = blocks.length >= this.policy.batchBlocks;
    const old = this.now() - Number(blocks[0].timestamp_ms) >= this.policy.batchMaxMs;
    if (!full && !old) return undefined;

    const lastBlock = BigInt(blocks[blocks.length - 1].number);
    const postRoot = BigInt(blocks[blocks.length - 1].state_root);
    const steps = blocks.flatMap((b) => b.steps.map(stepFromJson));
    if (steps.length > 0) {
      const startRoot = stepRootBefore(this.hasher, steps[0]);
      if (startRoot !== preRoot) {
        throw new Error(`batch ${batchNo}: its first update starts at root ${startRoot}, the previous batch ended at ${preRoot}`);
      }
    }
    const chunks = chunkSteps(this.hasher, steps, this.chunkSize, preRoot);
    const endRoot = chunks.length ? chunks[chunks.length - 1].statement.newRoot : preRoot;
    if (endRoot !== postRoot) {
      throw new Error(`batch ${batchNo}: its updates lead to root ${endRoot}, but block ${lastBlock} has state root ${postRoot}`);
    }
    await this.db.transaction(async (em) => {
      await em.query(
        `INSERT INTO spn_batch (spn_id, batch_no, first_block, last_block, pre_root, post_root, status, chunk_count, proved_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8 = 0 THEN now() END)`,
        [
          this.spnId,
          String(batchNo),
          String(firstBlock),
          String(lastBlock),
          String(preRoot),
          String(postRoot),
          chunks.length ? 'proving' : 'proved',
          chunks.length,
        ],
      );
      if (chunks.length > 0) {
        await em.query(
          `INSERT INTO spn_proof_job (spn_id, batch_no, vk_hash, chunk_index, statement, steps)
           SELECT $1, $2, $6, * FROM unnest($3::int[], $4::jsonb[], $5::jsonb[])`,
          [
            this.spnId,
            String(batchNo),
            chunks.map((c) => c.statement.chunkIndex),
            chunks.map((c) =>
              JSON.stringify({
                ...c.statement,
                oldRoot: String(c.statement.oldRoot),
                newRoot: String(c.statement.newRoot),
                diffHash: String(c.statement.diffHash),
              }),
            ),
            chunks.map((c) => JSON.stringify(c.steps.map(stepToJson))),
            this.policy.vkHash,
          ],
        );
      }
      await em.query('UPDATE spn_block SET batch_no = $2 WHERE spn_id = $1 AND number BETWEEN $3 AND $4', [
        this.spnId,
        String(batchNo),
        String(firstBlock),
        String(lastBlock),
      ]);
    });
    return { batchNo, firstBlock, lastBlock, chunks: chunks.length, updates: steps.length };
  }
}
