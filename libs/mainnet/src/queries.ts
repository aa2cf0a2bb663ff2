import { InvalidInputError, NotFoundError } from '@mesh/core';
import type { DataSource } from 'typeorm';
import { EVENT_COLUMNS, toLedgerEvent } from './ledger';
import { operatorStakes } from './spn-lifecycle';
import { SPN_COLUMNS, toSpnRecord, type SpnRow } from './spn-registry';
import {
  SPN_ID_PATTERN,
  type BatchRecord,
  type BatchSummary,
  type BlockRecord,
  type BlockSummary,
  type CursorPage,
  type OffsetPage,
  type SpnDetails,
  type SpnRecord,
} from './types';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface OffsetPageRequest {
  /** 1..100, default 20. */
  limit?: number;
  /** Items to skip, default 0. */
  offset?: number;
}

export interface CursorPageRequest {
  /** 1..100, default 20. */
  limit?: number;
  /** Only items numbered below this (the previous page's nextBefore). */
  before?: number;
}

export function limitOf(limit: number | undefined): number {
  const n = limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE)
    throw new InvalidInputError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  return n;
}

export function nonNegative(value: number | undefined, what: string): number | undefined {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0))
    throw new InvalidInputError(`${what} must be a non-negative integer`);
  return value;
}

/** An SPN id to look up: InvalidInputError when it cannot be one (REST checks it too; gRPC relies on this). */
export function spnIdOf(spnId: unknown): string {
  if (typeof spnId !== 'string' || !SPN_ID_PATTERN.test(spnId))
    throw new InvalidInputError('spnId must be 1 to 32 characters a-z, 0-9 or -');
  return spnId;
}

interface BatchRow {
  spn_id: string;
  batch_no: string;
  pre_root: string;
  post_root: string;
  first_block: string;
  last_block: string;
  chunks_hash: string;
  tx_data_hash: string;
  chunk_count: number;
  update_count: number;
  tx_count: number;
  settled_at: Date;
  mainnet_block: string | null;
}

const BATCH_COLUMNS =
  'b.spn_id, b.batch_no, b.pre_root::text AS pre_root, b.post_root::text AS post_root, b.first_block, b.last_block, b.chunks_hash, ' +
  'b.tx_data_hash, b.chunk_count, b.update_count, b.tx_count, b.settled_at, e.block_number AS mainnet_block';
const BATCH_FROM =
  "mainnet_batch b LEFT JOIN mainnet_event e ON e.kind = 'batch_settled' AND e.spn_id = b.spn_id AND e.batch_no = b.batch_no";

function toBatchSummary(row: BatchRow): BatchSummary {
  return {
    spnId: row.spn_id,
    batchNo: Number(row.batch_no),
    preRoot: row.pre_root,
    postRoot: row.post_root,
    firstBlock: Number(row.first_block),
    lastBlock: Number(row.last_block),
    chunksHash: row.chunks_hash,
    txDataHash: row.tx_data_hash,
    chunkCount: row.chunk_count,
    updateCount: row.update_count,
    txCount: row.tx_count,
    settledAt: new Date(row.settled_at).toISOString(),
    mainnetBlock: row.mainnet_block === null ? null : Number(row.mainnet_block),
  };
}

interface BlockRow {
  number: string;
  parent_hash: string;
  hash: string;
  ts_ms: string;
  event_count: number;
}

function toBlockSummary(row: BlockRow): BlockSummary {
  return {
    number: Number(row.number),
    parentHash: row.parent_hash,
    hash: row.hash,
    timestamp: Number(row.ts_ms),
    eventCount: row.event_count,
  };
}

/** Read side for the admin API: SPNs, their batches and the ledger's blocks, newest first. */
export class MainnetQueries {
  constructor(private readonly db: DataSource) {}

  /** SPNs, most recently registered first. */
  async listSpns(page: OffsetPageRequest = {}): Promise<OffsetPage<SpnRecord>> {
    const limit = limitOf(page.limit);
    const offset = nonNegative(page.offset, 'offset') ?? 0;
    const rows: SpnRow[] = await this.db.query(
      `SELECT ${SPN_COLUMNS} FROM mainnet_spn ORDER BY registered_at DESC, spn_id LIMIT $1 OFFSET $2`,
      [limit + 1, offset],
    );
    return { items: rows.slice(0, limit).map(toSpnRecord), nextOffset: rows.length > limit ? offset + limit : null };
  }

  /** One SPN with its verification key and the operators restaked on it; NotFoundError when unknown. */
  async getSpn(spnId: string): Promise<SpnDetails> {
    spnIdOf(spnId);
    const rows: (SpnRow & { verification_key: Record<string, unknown> })[] = await this.db.query(
      `SELECT ${SPN_COLUMNS}, verification_key FROM mainnet_spn WHERE spn_id = $1`,
      [spnId],
    );
    if (!rows[0]) throw new NotFoundError(`SPN "${spnId}" is not registered`);
    const operators = await operatorStakes(this.db, spnId, rows[0].min_restake);
    return { ...toSpnRecord(rows[0]), verificationKey: rows[0].verification_key, operators };
  }

  /** Settled batches of an SPN, newest first. */
  async listBatches(spnId: string, page: CursorPageRequest = {}): Promise<CursorPage<BatchSummary>> {
    const limit = limitOf(page.limit);
    const before = nonNegative(page.before, 'before');
    await this.getSpn(spnId);
    const rows: BatchRow[] = await this.db.query(
      `SELECT ${BATCH_COLUMNS} FROM ${BATCH_FROM} WHERE b.spn_id = $1 AND ($2::bigint IS NULL OR b.batch_no < $2) ORDER BY b.batch_no DESC LIMIT $3`,
      [spnId, before ?? null, limit + 1],
    );
    const items = rows.slice(0, limit).map(toBatchSummary);
    return { items, nextBefore: rows.length > limit ? items[items.length - 1].batchNo : null };
  }

  /** One settled batch with its header, signature, chunks (statements, proofs, updates) and tx data. */
  async getBatch(spnId: string, batchNo: number): Promise<BatchRecord> {
    spnIdOf(spnId);
    if (!Number.isSafeInteger(batchNo) || batchNo < 1) throw new InvalidInputError('batchNo must be a positive integer');
    const rows: (BatchRow & { header: BatchRecord['header']; signature: string; chunks: BatchRecord['chunks']; tx_data: unknown[] })[] =
      await this.db.query(
        `SELECT ${BATCH_COLUMNS}, b.header, b.signature, b.chunks, b.tx_data FROM ${BATCH_FROM} WHERE b.spn_id = $1 AND b.batch_no = $2`,
        [spnId, batchNo],
      );
    if (!rows[0]) {
      await this.getSpn(spnId);
      throw new NotFoundError(`SPN "${spnId}" has no settled batch ${batchNo}`);
    }
    const row = rows[0];
    return { ...toBatchSummary(row), header: row.header, signature: row.signature, chunks: row.chunks, txData: row.tx_data };
  }

  /** Mainnet blocks, newest first. */
  async listBlocks(page: CursorPageRequest = {}): Promise<CursorPage<BlockSummary>> {
    const limit = limitOf(page.limit);
    const before = nonNegative(page.before, 'before');
    const rows: BlockRow[] = await this.db.query(
      'SELECT number, parent_hash, hash, ts_ms, event_count FROM mainnet_block WHERE ($1::bigint IS NULL OR number < $1) ORDER BY number DESC LIMIT $2',
      [before ?? null, limit + 1],
    );
    const items = rows.slice(0, limit).map(toBlockSummary);
    return { items, nextBefore: rows.length > limit ? items[items.length - 1].number : null };
  }

  /** One block with the events it finalized. */
  async getBlock(number: number): Promise<BlockRecord> {
    nonNegative(number ?? Number.NaN, 'block number');
    const rows: BlockRow[] = await this.db.query(
      'SELECT number, parent_hash, hash, ts_ms, event_count FROM mainnet_block WHERE number = $1',
      [number],
    );
    if (!rows[0]) throw new NotFoundError(`mainnet block ${number} does not exist`);
    const events = await this.db.query(`SELECT ${EVENT_COLUMNS} FROM mainnet_event WHERE block_number = $1 ORDER BY id`, [number]);
    return { ...toBlockSummary(rows[0]), events: events.map(toLedgerEvent) };
  }
}
