import { hashCanonical } from '@mesh/core';
import type { DataSource } from 'typeorm';
import type { BlockRecord, LedgerEvent, LedgerEventKind, SqlRunner } from './types';

/** Parent hash of block 0. */
export const GENESIS_PARENT_HASH = '0x' + '00'.repeat(32);

/** Advisory lock key held while sealing ("mnbk" in ASCII): one sealer at a time across instances. */
export const SEAL_LOCK_KEY = 0x6d6e626b;

export interface LedgerEventInput {
  kind: LedgerEventKind;
  /** The SPN the event is about; null for events of the mainnet's own accounts. */
  spnId: string | null;
  batchNo?: number;
  data: Record<string, unknown>;
}

/** What a block hash covers. */
export interface BlockContent {
  number: number;
  parentHash: string;
  timestamp: number;
  events: LedgerEvent[];
}

/** keccak256 over the canonical JSON of {number, parentHash, timestamp, events}. */
export function blockHash(block: BlockContent): string {
  const { number, parentHash, timestamp, events } = block;
  return hashCanonical({ number, parentHash, timestamp, events });
}

interface EventRow {
  id: string;
  kind: LedgerEventKind;
  spn_id: string | null;
  batch_no: string | null;
  data: Record<string, unknown>;
}

export function toLedgerEvent(row: EventRow): LedgerEvent {
  return {
    id: Number(row.id),
    kind: row.kind,
    spnId: row.spn_id,
    batchNo: row.batch_no === null ? null : Number(row.batch_no),
    data: row.data,
  };
}

export const EVENT_COLUMNS = 'id, kind, spn_id, batch_no, data';

export type ChainCheck = { ok: true; blocks: number; events: number } | { ok: false; block: number; reason: string };

/**
 * The mainnet's own hash-chained ledger. What the mainnet finalizes (registrations, settled
 * batches) is appended as an event in the same transaction as the change itself; `sealPending`
 * then puts every unsealed event into the next block.
 */
export class Ledger {
  constructor(
    private readonly db: DataSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** Appends an event inside the caller's transaction; it is sealed into the next block. */
  async append(tx: SqlRunner, event: LedgerEventInput): Promise<number> {
    const rows: { id: string }[] = await tx.query(
      `INSERT INTO mainnet_event (kind, spn_id, batch_no, data) VALUES ($1, $2, $3, $4::jsonb) RETURNING id`,
      [event.kind, event.spnId, event.batchNo ?? null, JSON.stringify(event.data)],
    );
    return Number(rows[0].id);
  }

  /**
   * Seals every unsealed event into the next block (block 0, the genesis block, is sealed on the
   * first call even when there is nothing to put in it). Returns the new block, or undefined when
   * there was nothing to seal or another instance holds the sealing lock right now.
   */
  async sealPending(): Promise<BlockRecord | undefined> {
    return this.db.transaction(async (tx) => {
      const [{ locked }] = await tx.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [SEAL_LOCK_KEY]);
      if (!locked) return undefined;
      const [parent]: { number: string; hash: string; ts_ms: string }[] = await tx.query(
        'SELECT number, hash, ts_ms FROM mainnet_block ORDER BY number DESC LIMIT 1',
      );
      const rows: EventRow[] = await tx.query(
        `SELECT ${EVENT_COLUMNS} FROM mainnet_event WHERE block_number IS NULL ORDER BY id FOR UPDATE`,
      );
      if (parent && rows.length === 0) return undefined;
      const events = rows.map(toLedgerEvent);
      const content: BlockContent = {
        number: parent ? Number(parent.number) + 1 : 0,
        parentHash: parent ? parent.hash : GENESIS_PARENT_HASH,
        timestamp: Math.max(this.now(), parent ? Number(parent.ts_ms) : 0),
        events,
      };
      const hash = blockHash(content);
      await tx.query('INSERT INTO mainnet_block (number, parent_hash, hash, ts_ms, event_count) VALUES ($1, $2, $3, $4, $5)', [
        content.number,
        content.parentHash,
        hash,
        content.timestamp,
        events.length,
      ]);
      if (events.length > 0) {
        await tx.query('UPDATE mainnet_event SET block_number = $1 WHERE id = ANY($2::bigint[])', [
          content.number,
          events.map((e) => String(e.id)),
        ]);
      }
      return { ...content, hash, eventCount: events.length };
    });
  }

  /**
   * Recomputes every block hash from the stored events and checks the chain: numbers from 0
   * without holes, block 0's parent is the zero hash, each parentHash is the previous block's hash.
   */
  async verifyChain(): Promise<ChainCheck> {
    const blocks: { number: string; parent_hash: string; hash: string; ts_ms: string; event_count: number }[] = await this.db.query(
      'SELECT number, parent_hash, hash, ts_ms, event_count FROM mainnet_block ORDER BY number',
    );
    const rows: (EventRow & { block_number: string })[] = await this.db.query(
      `SELECT ${EVENT_COLUMNS}, block_number FROM mainnet_event WHERE block_number IS NOT NULL ORDER BY block_number, id`,
    );
    const byBlock = new Map<number, LedgerEvent[]>();
    for (const row of rows) {
      const n = Number(row.block_number);
      if (!byBlock.has(n)) byBlock.set(n, []);
      byBlock.get(n)!.push(toLedgerEvent(row));
    }
    let previous = GENESIS_PARENT_HASH;
    for (const [i, block] of blocks.entries()) {
      const number = Number(block.number);
      if (number !== i) return { ok: false, block: number, reason: `expected block ${i}, found block ${number}` };
      if (block.parent_hash !== previous) return { ok: false, block: number, reason: `parentHash ${block.parent_hash} is not ${previous}` };
      const events = byBlock.get(number) ?? [];
      if (events.length !== block.event_count) {
        return { ok: false, block: number, reason: `holds ${events.length} events, its header says ${block.event_count}` };
      }
      const hash = blockHash({ number, parentHash: block.parent_hash, timestamp: Number(block.ts_ms), events });
      if (hash !== block.hash)
        return { ok: false, block: number, reason: `stored hash ${block.hash} is not the hash of its content ${hash}` };
      previous = block.hash;
    }
    return { ok: true, blocks: blocks.length, events: rows.length };
  }
}

export interface LedgerSealerOptions {
  /** Milliseconds between two seals. */
  intervalMs: number;
  onSealed?: (block: BlockRecord) => void;
  onError?: (err: unknown) => void;
}

/** Runs `ledger.sealPending()` every interval (never two at once) and once more on stop. */
export class LedgerSealer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly ledger: Ledger,
    private readonly options: LedgerSealerOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** Stops the timer, waits for a seal in progress, then seals what is still pending. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.sealOnce();
  }

  /** One seal now (errors go to onError). */
  async sealOnce(): Promise<void> {
    while (this.running) await this.running;
    this.running = (async () => {
      try {
        const block = await this.ledger.sealPending();
        if (block) this.options.onSealed?.(block);
      } catch (err) {
        this.options.onError?.(err);
      }
    })();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.sealOnce().then(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }
}
