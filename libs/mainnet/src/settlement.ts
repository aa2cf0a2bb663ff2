import { canonicalJson, chunksHash, recoverBatchSigner, txDataHash } from '@mesh/core';
import type { Hasher } from '@mesh/state';
import type { ChunkVerifier } from '@mesh/zk';
import type { DataSource } from 'typeorm';
import { SettlementRejectedError, SpnNotActiveError } from './errors';
import type { Ledger } from './ledger';
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
      await this.store(tx, submission, newLeaves);
      return { accepted: true, duplicate: false, batchNo: header.batchNo, postRoot: String(submission.postRoot) };
    });
  }

  /** A resubmission of a settled batch is accepted as a duplicate when it is the same batch. */
  private async duplicateOf(sql: SqlRunner, submission: ParsedSubmission): Promise<SubmitResult> {
    const { header } = submission;
    const rows: {
      chunks_hash: string;
      tx_data_hash: string;
      pre_root: string;
      post_root: string;
      first_block: string;
      last_block: string;
    }[] = await sql.query(
      `SELECT chunks_hash, tx_data_hash, pre_root::text AS pre_root, post_root::text AS post_root, first_block, last_block
         FROM mainnet_batch WHERE spn_id = $1 AND batch_no = $2`,
      [header.spnId, header.batchNo],
    );
    const stored = rows[0];
    if (
      stored &&
      stored.chunks_hash === header.chunksHash.toLowerCase() &&
      stored.tx_data_hash === header.txDataHash.toLowerCase() &&
      stored.post_root === String(submission.postRoot) &&
      stored.pre_root === String(submission.preRoot) &&
      Number(stored.first_block) === header.firstBlock &&
      Number(stored.last_block) === header.lastBlock
    ) {
      return { accepted: true, duplicate: true, batchNo: header.batchNo, postRoot: stored.post_root };
    }
    throw new SettlementRejectedError(
      'batchNo',
      `batch ${header.batchNo} of SPN "${header.spnId}" is already settled with other content (its roots, blocks, chunksHash or txDataHash differ); the next batch must continue from the last settled one`,
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
         header, chunks, tx_data, chunk_count, update_count, tx_count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13, $14, $15)`,
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
      },
    });
  }
}
