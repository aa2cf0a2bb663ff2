import { canonicalJson, chunksHash, messageLeaf, recoverBatchSigner, txDataHash } from '@mesh/core';
import type { Hasher } from '@mesh/state';
import type { ChunkVerifier } from '@mesh/zk';
import type { DataSource } from 'typeorm';
import { SettlementRejectedError, SpnNotActiveError } from './errors';
import type { Ledger } from './ledger';
import { arrivalOf, checkMessages, checkResultTargets, type RelayingMessage } from './message-rules';
import { checkChunks, checkSequence, checkSettledLeaves, type SettledLeaf, type SpnPosition } from './settlement-rules';
import { SPN_COLUMNS, toSpnRecord, type SpnRegistry, type SpnRow } from './spn-registry';
import { parseSubmission, type ParsedChunk, type ParsedSubmission } from './submission';
import type { SpnRecord, SqlRunner, SubmitResult } from './types';

export interface SettlementOptions {
  /** Chain id of the signing domain (CHAIN_ID). */
  chainId: number;
  hasher: Hasher;
}

/** A chunk whose proof does not verify; `malformed` says why when it is not even a proof. */
export interface ProofFailure {
  chunk: number;
  malformed?: string;
}

/** The chunks whose proof does not verify under the verifier's key, all checked in parallel. */
export async function proofFailures(verifier: ChunkVerifier, chunks: readonly ParsedChunk[]): Promise<ProofFailure[]> {
  const results = await Promise.all(
    chunks.map(async (chunk, i): Promise<ProofFailure | undefined> => {
      try {
        return (await verifier.verifyStatement(chunk, chunk.proof)) ? undefined : { chunk: i };
      } catch (err) {
        return { chunk: i, malformed: (err as Error)?.message ?? String(err) };
      }
    }),
  );
  return results.filter((r): r is ProofFailure => r !== undefined);
}

function positionOf(spn: SpnRecord): SpnPosition {
  return { spnId: spn.spnId, lastBatchNo: spn.lastBatchNo, lastRoot: BigInt(spn.lastRoot), lastBlock: spn.lastBlock };
}

/**
 * Settlement (ARCHITECTURE.md, data flow step 7). `submit` checks every rule in order, the cheap
 * ones first and the proofs last, and rejects with a SettlementRejectedError naming the rule and
 * what is wrong. Only an accepted batch touches the database: in one transaction that locks the
 * SPN row and re-checks its position, it stores the batch with its chunks, proofs, diff and tx
 * data (data availability), moves the SPN forward, records the new leaf indexes and appends a
 * `batch_settled` ledger event.
 */
export class SettlementService {
  constructor(
    private readonly db: DataSource,
    private readonly registry: SpnRegistry,
    private readonly ledger: Ledger,
    private readonly options: SettlementOptions,
  ) {}

  async submit(value: unknown): Promise<SubmitResult> {
    const submission = parseSubmission(value);
    const { header } = submission;

    const spn = await this.registry.get(header.spnId);
    if (!spn) throw new SettlementRejectedError('spn', `SPN "${header.spnId}" is not registered`);
    if (spn.status !== 'active') throw new SpnNotActiveError(spn.spnId, spn.status);

    const signer = recoverBatchSigner(this.options.chainId, header, submission.signature);
    if (!signer) throw new SettlementRejectedError('signature', 'the signature is not a valid secp256k1 signature of the batch header');
    if (signer !== spn.operator) {
      throw new SettlementRejectedError(
        'signature',
        `the header is signed by ${signer}, not by the operator of SPN "${spn.spnId}" (${spn.operator}) on chain ${this.options.chainId}`,
      );
    }

    const computedChunksHash = chunksHash(submission.chunks);
    if (computedChunksHash !== header.chunksHash.toLowerCase()) {
      throw new SettlementRejectedError(
        'chunksHash',
        `header.chunksHash ${header.chunksHash} does not match the posted chunks, which hash to ${computedChunksHash}`,
      );
    }
    const computedTxDataHash = txDataHash(submission.txData);
    if (computedTxDataHash !== header.txDataHash.toLowerCase()) {
      throw new SettlementRejectedError(
        'txDataHash',
        `header.txDataHash ${header.txDataHash} does not match the posted txData, which hashes to ${computedTxDataHash}`,
      );
    }

    if (checkSequence(positionOf(spn), submission) === 'settled') return this.duplicateOf(this.db, submission);
    checkMessages(spn.spnId, await this.lastMessageNonce(this.db, spn.spnId), submission);
    checkResultTargets(spn.spnId, submission.results, await this.resultTargets(this.db, submission));
    const batchLeaves = checkChunks(this.options.hasher, spn, submission);
    checkSettledLeaves(batchLeaves, await this.settledLeaves(this.db, spn.spnId, batchLeaves));
    await this.verifyProofs(spn.spnId, submission);

    return this.db.transaction(async (tx) => {
      const rows: SpnRow[] = await tx.query(`SELECT ${SPN_COLUMNS} FROM mainnet_spn WHERE spn_id = $1 FOR UPDATE`, [spn.spnId]);
      const locked = rows[0] && toSpnRecord(rows[0]);
      if (!locked) throw new SettlementRejectedError('spn', `SPN "${spn.spnId}" is not registered`);
      if (locked.status !== 'active') throw new SpnNotActiveError(spn.spnId, locked.status);
      // Another submission may have settled in the meantime: the position is checked again under the lock.
      if (checkSequence(positionOf(locked), submission) === 'settled') return this.duplicateOf(tx, submission);
      const newLeaves = checkSettledLeaves(batchLeaves, await this.settledLeaves(tx, spn.spnId, batchLeaves));
      const messageLeaves = checkMessages(spn.spnId, await this.lastMessageNonce(tx, spn.spnId), submission);
      checkResultTargets(spn.spnId, submission.results, await this.resultTargets(tx, submission, true));
      await this.store(tx, submission, newLeaves);
      await this.storeMessages(tx, submission, messageLeaves);
      return { accepted: true, duplicate: false, batchNo: header.batchNo, postRoot: String(submission.postRoot) };
    });
  }

  /** A resubmission of a settled batch is accepted as a duplicate when it is the same batch. */
  private async duplicateOf(sql: SqlRunner, submission: ParsedSubmission): Promise<SubmitResult> {
    const { header } = submission;
    const rows: {
      chunks_hash: string;
      tx_data_hash: string;
      messages_root: string;
      results_hash: string;
      pre_root: string;
      post_root: string;
      first_block: string;
      last_block: string;
    }[] = await sql.query(
      `SELECT chunks_hash, tx_data_hash, messages_root, results_hash, pre_root::text AS pre_root, post_root::text AS post_root, first_block, last_block
         FROM mainnet_batch WHERE spn_id = $1 AND batch_no = $2`,
      [header.spnId, header.batchNo],
    );
    const stored = rows[0];
    if (
      stored &&
      stored.chunks_hash === header.chunksHash.toLowerCase() &&
      stored.tx_data_hash === header.txDataHash.toLowerCase() &&
      stored.messages_root === header.messagesRoot.toLowerCase() &&
      stored.results_hash === header.resultsHash.toLowerCase() &&
      stored.post_root === String(submission.postRoot) &&
      stored.pre_root === String(submission.preRoot) &&
      Number(stored.first_block) === header.firstBlock &&
      Number(stored.last_block) === header.lastBlock
    ) {
      return { accepted: true, duplicate: true, batchNo: header.batchNo, postRoot: stored.post_root };
    }
    throw new SettlementRejectedError(
      'batchNo',
      `batch ${header.batchNo} of SPN "${header.spnId}" is already settled with other content (its roots, blocks, chunksHash, txDataHash, messagesRoot or resultsHash differ); the next batch must continue from the last settled one`,
    );
  }

  private async settledLeaves(sql: SqlRunner, spnId: string, batch: Map<number, bigint>): Promise<SettledLeaf[]> {
    if (batch.size === 0) return [];
    const rows: { idx: string; key: string }[] = await sql.query(
      'SELECT idx, key::text AS key FROM mainnet_spn_leaf WHERE spn_id = $1 AND (idx = ANY($2::bigint[]) OR key = ANY($3::numeric[]))',
      [spnId, [...batch.keys()].map(String), [...batch.values()].map(String)],
    );
    return rows.map((r) => ({ index: Number(r.idx), key: BigInt(r.key) }));
  }

  private async verifyProofs(spnId: string, submission: ParsedSubmission): Promise<void> {
    const failures = await proofFailures(await this.registry.verifierFor(spnId), submission.parsedChunks);
    const malformed = failures.find((f) => f.malformed !== undefined);
    if (malformed) throw new SettlementRejectedError('proof', `chunks[${malformed.chunk}].proof is malformed: ${malformed.malformed}`);
    if (failures.length > 0) {
      throw new SettlementRejectedError(
        'proof',
        `the proof of ${failures.map((f) => `chunks[${f.chunk}]`).join(', ')} does not verify under the verification key registered for SPN "${spnId}"`,
        { chunks: failures.map((f) => f.chunk) },
      );
    }
  }

  private async store(tx: SqlRunner, submission: ParsedSubmission, newLeaves: SettledLeaf[]): Promise<void> {
    const { header } = submission;
    await tx.query(
      `INSERT INTO mainnet_batch (spn_id, batch_no, pre_root, post_root, first_block, last_block, chunks_hash, tx_data_hash, signature,
         header, chunks, tx_data, chunk_count, update_count, tx_count, messages_root, results_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13, $14, $15, $16, $17)`,
      [
        header.spnId,
        header.batchNo,
        String(submission.preRoot),
        String(submission.postRoot),
        header.firstBlock,
        header.lastBlock,
        header.chunksHash.toLowerCase(),
        header.txDataHash.toLowerCase(),
        submission.signature,
        canonicalJson(header),
        canonicalJson(submission.chunks),
        canonicalJson(submission.txData),
        submission.chunks.length,
        submission.updateCount,
        submission.txData.length,
        header.messagesRoot.toLowerCase(),
        header.resultsHash.toLowerCase(),
      ],
    );
    await tx.query('UPDATE mainnet_spn SET last_batch_no = $2, last_root = $3, last_block = $4, updated_at = now() WHERE spn_id = $1', [
      header.spnId,
      header.batchNo,
      String(submission.postRoot),
      header.lastBlock,
    ]);
    if (newLeaves.length > 0) {
      await tx.query(
        'INSERT INTO mainnet_spn_leaf (spn_id, idx, key, batch_no) SELECT $1, u.idx, u.key, $4 FROM unnest($2::bigint[], $3::numeric[]) AS u(idx, key)',
        [header.spnId, newLeaves.map((l) => String(l.index)), newLeaves.map((l) => String(l.key)), header.batchNo],
      );
    }
    await this.ledger.append(tx, {
      kind: 'batch_settled',
      spnId: header.spnId,
      batchNo: header.batchNo,
      data: {
        spnId: header.spnId,
        batchNo: header.batchNo,
        preRoot: String(submission.preRoot),
        postRoot: String(submission.postRoot),
        firstBlock: header.firstBlock,
        lastBlock: header.lastBlock,
        chunksHash: header.chunksHash.toLowerCase(),
        txDataHash: header.txDataHash.toLowerCase(),
        chunkCount: submission.chunks.length,
        updateCount: submission.updateCount,
        txCount: submission.txData.length,
        messagesRoot: header.messagesRoot.toLowerCase(),
        resultsHash: header.resultsHash.toLowerCase(),
        // What the batch's messages did on the mainnet: the ones it sent, now relayed, and the results it settled.
        messages: submission.messages.map(messageLeaf),
        results: submission.results.map((r) => ({ traceId: r.traceId.toLowerCase(), status: r.status })),
      },
    });
  }

  private async lastMessageNonce(sql: SqlRunner, spnId: string): Promise<number> {
    const rows: { last_message_nonce: string }[] = await sql.query('SELECT last_message_nonce FROM mainnet_spn WHERE spn_id = $1', [spnId]);
    return Number(rows[0]?.last_message_nonce ?? 0);
  }

  /** The stored messages the batch's results are about (locked when `forUpdate`). */
  private async resultTargets(sql: SqlRunner, submission: ParsedSubmission, forUpdate = false): Promise<RelayingMessage[]> {
    if (submission.results.length === 0) return [];
    const rows: { trace_id: string; src_spn: string; nonce: string; dst_spn: string; status: string }[] = await sql.query(
      `SELECT trace_id, src_spn, nonce, dst_spn, status FROM mainnet_message WHERE trace_id = ANY($1::text[])${forUpdate ? ' FOR UPDATE' : ''}`,
      [submission.results.map((r) => r.traceId.toLowerCase())],
    );
    return rows.map((r) => ({ traceId: r.trace_id, srcSpn: r.src_spn, nonce: Number(r.nonce), dstSpn: r.dst_spn, status: r.status }));
  }

  /**
   * Records the batch's messages, to be relayed (or failed at once when their destination cannot
   * take them), and the results it settles for messages it ran.
   */
  private async storeMessages(tx: SqlRunner, submission: ParsedSubmission, leaves: string[]): Promise<void> {
    const { header, messages, results } = submission;
    if (messages.length > 0) {
      const destinations = [...new Set(messages.map((m) => m.dstSpn))];
      const rows: { spn_id: string; vm_kind: string }[] = await tx.query(
        'SELECT spn_id, vm_kind FROM mainnet_spn WHERE spn_id = ANY($1::text[])',
        [destinations],
      );
      const vmOf = new Map(rows.map((r) => [r.spn_id, r.vm_kind]));
      const arrivals = messages.map((m) => arrivalOf(m.dstSpn, vmOf.get(m.dstSpn)));
      await tx.query(
        `INSERT INTO mainnet_message (trace_id, src_spn, nonce, src_batch_no, leaf_index, dst_spn, message, status, error, retryable)
         SELECT u.trace_id, $1, u.nonce, $2, u.leaf_index, u.dst_spn, u.message, u.status, u.error, u.retryable
           FROM unnest($3::text[], $4::bigint[], $5::int[], $6::text[], $7::jsonb[], $8::text[], $9::text[], $10::boolean[])
             AS u(trace_id, nonce, leaf_index, dst_spn, message, status, error, retryable)`,
        [
          header.spnId,
          header.batchNo,
          leaves,
          messages.map((m) => m.nonce),
          messages.map((_, i) => i),
          messages.map((m) => m.dstSpn),
          messages.map((m) => canonicalJson(m)),
          arrivals.map((a) => a.status),
          arrivals.map((a) => a.error),
          arrivals.map((a) => a.retryable),
        ],
      );
      await tx.query('UPDATE mainnet_spn SET last_message_nonce = $2 WHERE spn_id = $1', [
        header.spnId,
        messages[messages.length - 1].nonce,
      ]);
    }
    if (results.length > 0) {
      await tx.query(
        `UPDATE mainnet_message m SET status = u.status, error = u.error, retryable = u.retryable, dst_batch_no = $1, updated_at = now()
           FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[]) AS u(trace_id, status, error, retryable)
          WHERE m.trace_id = u.trace_id`,
        [
          header.batchNo,
          results.map((r) => r.traceId.toLowerCase()),
          results.map((r) => r.status),
          results.map((r) => r.error ?? null),
          results.map((r) => (r.status === 'failed' ? r.retryable : null)),
        ],
      );
    }
  }
}
