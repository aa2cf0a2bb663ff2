import type { DataSource } from 'typeorm';
import { NotFoundError, type SpnStatusView, type TxReceiptView, type TxView } from '@mesh/core';
import { decodePluginValue, pluginStateKey } from './wasm/plugin-state-keys';
import type { StateCache } from './state-cache';

export interface BlockView {
  number: string;
  hash: string;
  parentHash: string;
  timestampMs: string;
  stateRoot: string;
  gasUsed: string;
  txHashes: string[];
  updates: number;
  batchNo: string | null;
}

export interface BatchView {
  batchNo: string;
  firstBlock: string;
  lastBlock: string;
  preRoot: string;
  postRoot: string;
  status: string;
  chunks: number;
  provedChunks: number;
  error: string | null;
  header: unknown;
  createdAt: string;
  provedAt: string | null;
  settledAt: string | null;
}

/** Read side of an SPN node: what its REST API shows. */
export class SpnQueries {
  constructor(
    private readonly db: DataSource,
    private readonly spnId: string,
    private readonly state: StateCache,
  ) {}

  async tx(hash: string): Promise<TxView> {
    const rows: Record<string, any>[] = await this.db.query(
      `SELECT t.hash, t.status, t.kind, t.sender, t.nonce, t.block_no, t.tx_index, t.receipt, b.batch_no
         FROM spn_tx t LEFT JOIN spn_block b ON b.spn_id = t.spn_id AND b.number = t.block_no
        WHERE t.spn_id = $1 AND t.hash = $2`,
      [this.spnId, hash.toLowerCase()],
    );
    if (rows.length === 0) throw new NotFoundError(`no transaction ${hash} on SPN ${this.spnId}`);
    const r = rows[0];
    const sent: { nonce: string; trace_id: string; dst_spn: string }[] = r.receipt?.messages
      ? await this.db.query(
          "SELECT nonce, trace_id, message->>'dstSpn' AS dst_spn FROM spn_outbox WHERE spn_id = $1 AND tx_hash = $2 ORDER BY nonce",
          [this.spnId, r.hash],
        )
      : [];
    return {
      hash: r.hash,
      status: r.status,
      kind: r.kind,
      from: r.sender,
      nonce: String(r.nonce),
      blockNumber: r.block_no ?? null,
      txIndex: r.tx_index ?? null,
      receipt: (r.receipt as TxReceiptView | null) ?? null,
      batchNo: r.batch_no ?? null,
      ...(sent.length > 0 ? { sentMessages: sent.map((m) => ({ nonce: Number(m.nonce), traceId: m.trace_id, dstSpn: m.dst_spn })) } : {}),
    };
  }

  async blocks(limit: number, before?: bigint): Promise<BlockView[]> {
    const rows: Record<string, any>[] = await this.db.query(
      `SELECT number, hash, parent_hash, timestamp_ms, state_root, gas_used, tx_hashes, jsonb_array_length(steps) AS updates, batch_no
         FROM spn_block WHERE spn_id = $1 AND ($2::bigint IS NULL OR number < $2) ORDER BY number DESC LIMIT $3`,
      [this.spnId, before === undefined ? null : String(before), limit],
    );
    return rows.map(blockView);
  }

  async block(number: bigint): Promise<BlockView & { txs: TxView[] }> {
    const rows: Record<string, any>[] = await this.db.query(
      `SELECT number, hash, parent_hash, timestamp_ms, state_root, gas_used, tx_hashes, jsonb_array_length(steps) AS updates, batch_no
         FROM spn_block WHERE spn_id = $1 AND number = $2`,
      [this.spnId, String(number)],
    );
    if (rows.length === 0) throw new NotFoundError(`SPN ${this.spnId} has no block ${number}`);
    const view = blockView(rows[0]);
    const txs = await Promise.all(view.txHashes.map((h) => this.tx(h)));
    return { ...view, txs };
  }

  /** A plugin's stored value under a UTF-8 storage key (as the SDK's Storage writes it). */
  pluginState(plugin: string, key: string): { plugin: string; key: string; value: string | null; u64: string | null } {
    const bytes = decodePluginValue(this.state.get(pluginStateKey(plugin, Buffer.from(key, 'utf8'))));
    const value = bytes ? '0x' + Buffer.from(bytes).toString('hex') : null;
    // The SDK's Storage.setU64 writes 8 bytes big-endian.
    const u64 = bytes && bytes.length === 8 ? Buffer.from(bytes).readBigUInt64BE().toString() : null;
    return { plugin, key, value, u64 };
  }

  async batch(batchNo: bigint): Promise<BatchView> {
    const rows: Record<string, any>[] = await this.db.query(
      `SELECT b.*, (SELECT count(*) FROM spn_proof_job j WHERE j.spn_id = b.spn_id AND j.batch_no = b.batch_no AND j.status = 'done') AS proved
         FROM spn_batch b WHERE b.spn_id = $1 AND b.batch_no = $2`,
      [this.spnId, String(batchNo)],
    );
    if (rows.length === 0) throw new NotFoundError(`SPN ${this.spnId} has no batch ${batchNo}`);
    const r = rows[0];
    return {
      batchNo: r.batch_no,
      firstBlock: r.first_block,
      lastBlock: r.last_block,
      preRoot: r.pre_root,
      postRoot: r.post_root,
      status: r.status,
      chunks: r.chunk_count,
      provedChunks: Number(r.proved),
      error: r.error,
      header: r.header,
      createdAt: new Date(r.created_at).toISOString(),
      provedAt: r.proved_at ? new Date(r.proved_at).toISOString() : null,
      settledAt: r.settled_at ? new Date(r.settled_at).toISOString() : null,
    };
  }

  /** Latest block, batch and settlement positions, for status displays. */
  async status(): Promise<SpnStatusView> {
    const [row]: Record<string, any>[] = await this.db.query(
      `SELECT (SELECT max(number) FROM spn_block WHERE spn_id = $1) AS height,
              (SELECT state_root FROM spn_block WHERE spn_id = $1 ORDER BY number DESC LIMIT 1) AS state_root,
              (SELECT count(*) FROM spn_tx WHERE spn_id = $1 AND status = 'pending') AS pending,
              (SELECT max(batch_no) FROM spn_batch WHERE spn_id = $1) AS last_batch,
              (SELECT max(batch_no) FROM spn_batch WHERE spn_id = $1 AND status = 'settled') AS last_settled,
              (SELECT post_root FROM spn_batch WHERE spn_id = $1 AND status = 'settled' ORDER BY batch_no DESC LIMIT 1) AS settled_root,
              (SELECT count(*) FROM spn_proof_job WHERE spn_id = $1 AND status = 'queued') AS queued_jobs,
              (SELECT count(*) FROM spn_proof_job WHERE spn_id = $1 AND status = 'queued' AND locked_until > now()) AS proving_jobs,
              (SELECT array_agg(DISTINCT locked_by ORDER BY locked_by) FROM spn_proof_job
                WHERE spn_id = $1 AND status = 'queued' AND locked_until > now()) AS provers`,
      [this.spnId],
    );
    return {
      height: row.height ?? '0',
      stateRoot: row.state_root ?? null,
      pending: Number(row.pending),
      lastBatch: row.last_batch ?? null,
      lastSettledBatch: row.last_settled ?? null,
      settledRoot: row.settled_root ?? null,
      proving: { queuedJobs: Number(row.queued_jobs), provingJobs: Number(row.proving_jobs), provers: row.provers ?? [] },
    };
  }
}

function blockView(r: Record<string, any>): BlockView {
  return {
    number: r.number,
    hash: r.hash,
    parentHash: r.parent_hash,
    timestampMs: r.timestamp_ms,
    stateRoot: r.state_root,
    gasUsed: r.gas_used,
    txHashes: r.tx_hashes,
    updates: Number(r.updates),
    batchNo: r.batch_no ?? null,
  };
}
