import { InvalidInputError, messageTree, NotFoundError, type CrossMessage, type MessageTree, type RelayedMessage } from '@mesh/core';
import type { DataSource } from 'typeorm';
import { limitOf, nonNegative, spnIdOf, type CursorPageRequest } from './queries';
import type { CursorPage, MessageRecord, MessageStatus } from './types';

/** Most messages one relay request returns. */
export const MAX_RELAY_BATCH = 100;

const TRACE_ID = /^0x[0-9a-f]{64}$/;

interface MessageRow {
  trace_id: string;
  seq: string;
  src_batch_no: string;
  leaf_index: number;
  message: CrossMessage;
  status: MessageStatus;
  error: string | null;
  retryable: boolean | null;
  dst_batch_no: string | null;
  created_at: Date;
  updated_at: Date;
}

const MESSAGE_COLUMNS = 'trace_id, seq, src_batch_no, leaf_index, message, status, error, retryable, dst_batch_no, created_at, updated_at';

function toRecord(row: MessageRow): MessageRecord {
  return {
    traceId: row.trace_id,
    seq: Number(row.seq),
    message: row.message,
    status: row.status,
    error: row.error,
    retryable: row.retryable,
    srcBatchNo: Number(row.src_batch_no),
    dstBatchNo: row.dst_batch_no === null ? null : Number(row.dst_batch_no),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/**
 * The relay side of cross-SPN messages (ARCHITECTURE.md, step 8). Settled messages wait here,
 * `relaying`, until their destination settles a batch with their result. A destination SPN pulls
 * what waits for it (`pending`): each message with its source batch's signed `messagesRoot` and
 * the Merkle proof that the message is in it. Pulling changes nothing, so a destination that
 * crashed pulls the same messages again; it runs each once (its inbox is keyed by trace id).
 */
export class MessageRelay {
  constructor(private readonly db: DataSource) {}

  /**
   * The messages waiting for SPN `dstSpn`, oldest first, with their inclusion proofs: those the
   * mainnet settled after `afterSeq` (0: all).
   */
  async pending(dstSpn: unknown, afterSeq: unknown = 0, limit = MAX_RELAY_BATCH): Promise<RelayedMessage[]> {
    const spnId = spnIdOf(dstSpn);
    if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq) || afterSeq < 0)
      throw new InvalidInputError('afterSeq must be a non-negative integer');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RELAY_BATCH)
      throw new InvalidInputError(`limit must be an integer from 1 to ${MAX_RELAY_BATCH}`);
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${MESSAGE_COLUMNS} FROM mainnet_message WHERE dst_spn = $1 AND status = 'relaying' AND seq > $2 ORDER BY seq LIMIT $3`,
      [spnId, afterSeq, limit],
    );
    const batches = new Map<string, Promise<{ root: string; tree: MessageTree }>>();
    const batchOf = (srcSpn: string, batchNo: string) => {
      const key = `${srcSpn}/${batchNo}`;
      let batch = batches.get(key);
      if (!batch) batches.set(key, (batch = this.sourceBatch(srcSpn, batchNo)));
      return batch;
    };
    return Promise.all(
      rows.map(async (row): Promise<RelayedMessage> => {
        const { root, tree } = await batchOf(row.message.srcSpn, row.src_batch_no);
        return {
          message: row.message,
          traceId: row.trace_id,
          seq: Number(row.seq),
          srcBatchNo: Number(row.src_batch_no),
          messagesRoot: root,
          proof: tree.proof(row.leaf_index),
        };
      }),
    );
  }

  /** One message by its trace id, with its state; NotFoundError when there is none. */
  async get(traceId: string): Promise<MessageRecord> {
    if (typeof traceId !== 'string' || !TRACE_ID.test(traceId.toLowerCase()))
      throw new InvalidInputError('a trace id is 0x and 64 hex digits');
    const rows: MessageRow[] = await this.db.query(`SELECT ${MESSAGE_COLUMNS} FROM mainnet_message WHERE trace_id = $1`, [
      traceId.toLowerCase(),
    ]);
    if (!rows[0]) throw new NotFoundError(`no settled message has trace id ${traceId}`);
    return toRecord(rows[0]);
  }

  /** Messages an SPN sent (`out`) or was sent (`in`), newest first. */
  async list(spnId: string, direction: 'in' | 'out', page: CursorPageRequest = {}): Promise<CursorPage<MessageRecord>> {
    spnIdOf(spnId);
    if (direction !== 'in' && direction !== 'out') throw new InvalidInputError('direction must be "in" or "out"');
    const limit = limitOf(page.limit);
    const before = nonNegative(page.before, 'before');
    const column = direction === 'out' ? 'src_spn' : 'dst_spn';
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${MESSAGE_COLUMNS} FROM mainnet_message WHERE ${column} = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3`,
      [spnId, before ?? null, limit + 1],
    );
    const items = rows.slice(0, limit).map(toRecord);
    return { items, nextBefore: rows.length > limit ? items[items.length - 1].seq : null };
  }

  /** The root a source batch's header signed, and its message tree (built once for all its messages). */
  private async sourceBatch(srcSpn: string, batchNo: string): Promise<{ root: string; tree: MessageTree }> {
    const [batch]: { messages_root: string }[] = await this.db.query(
      'SELECT messages_root FROM mainnet_batch WHERE spn_id = $1 AND batch_no = $2',
      [srcSpn, batchNo],
    );
    const leaves: { trace_id: string }[] = await this.db.query(
      'SELECT trace_id FROM mainnet_message WHERE src_spn = $1 AND src_batch_no = $2 ORDER BY leaf_index',
      [srcSpn, batchNo],
    );
    return { root: batch.messages_root, tree: messageTree(leaves.map((l) => l.trace_id)) };
  }
}
