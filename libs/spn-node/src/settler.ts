import type { DataSource } from 'typeorm';
import type { Wallet } from 'ethers';
import {
  chunksHash,
  messageLeaf,
  messageResultsHash,
  messagesRoot,
  signBatchHeader,
  txDataHash,
  type BatchHeader,
  type ChunkStatementJson,
  type CrossMessage,
  type MessageResult,
  type SettlementChunkJson,
  type SettlementSubmission,
} from '@mesh/core';
import type { TxReceipt } from './executor';
import { messageResult, type InboxMessage } from './inbox';
import type { MainnetPort } from './mainnet-port';
import { stepToDiff, type UpdateStepJson } from './step-json';

export type SettleResult =
  { kind: 'idle' } | { kind: 'settled'; batchNo: bigint; duplicate: boolean } | { kind: 'rejected'; batchNo: bigint; reason: string };

interface BatchRow {
  batch_no: string;
  first_block: string;
  last_block: string;
  pre_root: string;
  post_root: string;
  status: string;
  header: BatchHeader | null;
  signature: string | null;
}

/**
 * Submits proven batches to the mainnet, strictly in order, signed by the operator key. The
 * header and signature are stored before the first submission, so a retry (after a time-out or a
 * crash) resends exactly the same batch, which the mainnet recognises as a duplicate: a batch is
 * never settled twice. A refusal by the mainnet stops settlement (status `rejected`, with the
 * reason) until an operator looks at it.
 */
export class Settler {
  constructor(
    private readonly db: DataSource,
    private readonly spnId: string,
    private readonly chainId: number,
    private readonly operator: Wallet,
    private readonly mainnet: MainnetPort,
  ) {}

  async settleNext(): Promise<SettleResult> {
    const rows: BatchRow[] = await this.db.query(
      `SELECT batch_no, first_block, last_block, pre_root, post_root, status, header, signature FROM spn_batch
        WHERE spn_id = $1 AND status <> 'settled' ORDER BY batch_no LIMIT 1`,
      [this.spnId],
    );
    if (rows.length === 0 || (rows[0].status !== 'proved' && rows[0].status !== 'submitted')) return { kind: 'idle' };
    const batch = rows[0];
    const submission = await this.submission(batch);
    const outcome = await this.mainnet.submitBatch(submission);
    const batchNo = BigInt(batch.batch_no);
    if (outcome.status === 'rejected') {
      await this.db.query("UPDATE spn_batch SET status = 'rejected', error = $3 WHERE spn_id = $1 AND batch_no = $2", [
        this.spnId,
        batch.batch_no,
        outcome.reason,
      ]);
      return { kind: 'rejected', batchNo, reason: outcome.reason };
    }
    await this.db.transaction(async (em) => {
      await em.query("UPDATE spn_batch SET status = 'settled', settled_at = now(), error = NULL WHERE spn_id = $1 AND batch_no = $2", [
        this.spnId,
        batch.batch_no,
      ]);
      await em.query("UPDATE spn_tx SET status = 'settled' WHERE spn_id = $1 AND block_no BETWEEN $2 AND $3 AND status = 'included'", [
        this.spnId,
        batch.first_block,
        batch.last_block,
      ]);
    });
    return { kind: 'settled', batchNo, duplicate: outcome.duplicate };
  }

  /** The submission of a batch: built and signed once, then stored, so that retries are identical. */
  private async submission(batch: BatchRow): Promise<SettlementSubmission> {
    const chunks = await this.chunks(batch.batch_no);
    const txData = await this.txData(batch.first_block, batch.last_block);
    const messages = await this.messages(batch.first_block, batch.last_block);
    const results = await this.results(batch.first_block, batch.last_block);
    if (batch.header && batch.signature) return { header: batch.header, chunks, txData, messages, results, signature: batch.signature };
    const header: BatchHeader = {
      spnId: this.spnId,
      batchNo: Number(batch.batch_no),
      preRoot: batch.pre_root,
      postRoot: batch.post_root,
      firstBlock: Number(batch.first_block),
      lastBlock: Number(batch.last_block),
      chunksHash: chunksHash(chunks),
      txDataHash: txDataHash(txData),
      messagesRoot: messagesRoot(messages.map(messageLeaf)),
      resultsHash: messageResultsHash(results),
    };
    const signature = await signBatchHeader(this.operator, this.chainId, header);
    await this.db.query("UPDATE spn_batch SET status = 'submitted', header = $3, signature = $4 WHERE spn_id = $1 AND batch_no = $2", [
      this.spnId,
      batch.batch_no,
      JSON.stringify(header),
      signature,
    ]);
    return { header, chunks, txData, messages, results, signature };
  }

  /** The messages the batch's txs sent, in nonce order. */
  private async messages(firstBlock: string, lastBlock: string): Promise<CrossMessage[]> {
    const rows: { message: CrossMessage }[] = await this.db.query(
      'SELECT message FROM spn_outbox WHERE spn_id = $1 AND block_no BETWEEN $2 AND $3 ORDER BY nonce',
      [this.spnId, firstBlock, lastBlock],
    );
    return rows.map((r) => r.message);
  }

  /** The results of the relayed messages the batch's blocks ran, in block order. */
  private async results(firstBlock: string, lastBlock: string): Promise<MessageResult[]> {
    const rows: { body: { message: InboxMessage }; receipt: TxReceipt }[] = await this.db.query(
      `SELECT body, receipt FROM spn_tx WHERE spn_id = $1 AND kind = 'message' AND block_no BETWEEN $2 AND $3 ORDER BY block_no, tx_index`,
      [this.spnId, firstBlock, lastBlock],
    );
    return rows.map((r) => messageResult(r.body.message, r.receipt));
  }

  private async chunks(batchNo: string): Promise<SettlementChunkJson[]> {
    const jobs: { statement: ChunkStatementJson; steps: UpdateStepJson[]; proof: unknown }[] = await this.db.query(
      'SELECT statement, steps, proof FROM spn_proof_job WHERE spn_id = $1 AND batch_no = $2 ORDER BY chunk_index',
      [this.spnId, batchNo],
    );
    return jobs.map((j) => ({ statement: j.statement, proof: j.proof, updates: j.steps.map(stepToDiff) }));
  }

  /** The batch's transactions as their senders signed them, in block order (deployments with their code). */
  private async txData(firstBlock: string, lastBlock: string): Promise<unknown[]> {
    const txs: { body: Record<string, unknown>; code: Buffer | null }[] = await this.db.query(
      'SELECT body, code FROM spn_tx WHERE spn_id = $1 AND block_no BETWEEN $2 AND $3 ORDER BY block_no, tx_index',
      [this.spnId, firstBlock, lastBlock],
    );
    return txs.map((t) => (t.code ? { ...t.body, code: t.code.toString('base64') } : t.body));
  }
}
