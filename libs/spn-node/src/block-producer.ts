import type { DataSource } from 'typeorm';
import { hashCanonical } from '@mesh/core';
import type { CachedNodeStore, StateTree } from '@mesh/state';
import type { BlockExecutor, MempoolTx } from './executor';
import type { ExecutionReport } from './parallel-execution';
import type { StateCache } from './state-cache';
import { nextOutboxNonce, outboxEntries, storeOutbox } from './outbox';
import { stepToJson } from './step-json';

export const ZERO_HASH = '0x' + '0'.repeat(64);

interface Head {
  number: bigint;
  hash: string;
  timeMs: bigint;
  vmHeader: Record<string, unknown> | null;
  txCount: number;
  /** The nonce of the SPN's next outgoing message. */
  nextNonce: number;
}

export interface ProducedBlock {
  number: bigint;
  hash: string;
  txCount: number;
  stateRoot: bigint;
  updates: number;
  /** Time the executor took (ms). */
  executeMs: number;
  /** Time the whole block took (ms): mempool read, execution, state tree, database commit. */
  blockMs: number;
  /** Of blockMs, the state tree's plan (new root and steps, ms). */
  treeMs: number;
  /** Messages to other SPNs the block's txs sent. */
  messages: number;
  report?: ExecutionReport;
}

/**
 * The sequencer's block step: takes the oldest pending transactions, executes them, and commits
 * the block, its receipts, the deployed plugins, the state-tree writes and the new root in ONE
 * database transaction. A crash before that commit leaves the txs pending (they run again); after
 * it, they are included exactly once.
 */
export class BlockProducer {
  private head: Head | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly spnId: string,
    private readonly tree: StateTree,
    private readonly treeStore: CachedNodeStore,
    private readonly state: StateCache,
    private readonly executor: BlockExecutor,
    private readonly maxBlockTxs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async pendingCount(): Promise<number> {
    const [{ count }]: { count: string }[] = await this.db.query(
      "SELECT count(*) AS count FROM spn_tx WHERE spn_id = $1 AND status = 'pending'",
      [this.spnId],
    );
    return Number(count);
  }

  /** Cuts, executes and commits one block; undefined when the mempool is empty. */
  async produce(): Promise<ProducedBlock | undefined> {
    const blockStarted = performance.now();
    const rows: { hash: string; kind: string; sender: string; nonce: string; body: unknown; code: Buffer | null }[] = await this.db.query(
      "SELECT hash, kind, sender, nonce, body, code FROM spn_tx WHERE spn_id = $1 AND status = 'pending' ORDER BY seq LIMIT $2",
      [this.spnId, this.maxBlockTxs],
    );
    const head = await this.loadHead();
    if (rows.length === 0 && !this.executor.wantsEmptyBlock?.(head, this.now())) return undefined;
    const number = head.number + 1n;
    const timeMs = BigInt(Math.max(this.now(), Number(head.timeMs) + 1)); // strictly increasing block times
    const candidates: MempoolTx[] = rows.map((r) => ({ ...r, nonce: BigInt(r.nonce), code: r.code ? new Uint8Array(r.code) : null }));
    const parent = { number: head.number, hash: head.hash, timeMs: head.timeMs, vmHeader: head.vmHeader };
    const started = performance.now();
    const result = await this.executor.execute({ number, timeMs, parent }, candidates, this.state);
    const executeMs = performance.now() - started;
    const txs = candidates.slice(0, result.included ?? candidates.length); // the rest stay pending, in order
    const vmHeader = result.vmHeader ?? null;

    const updates = [...result.writes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value }));
    const planStarted = performance.now();
    const plan = await this.tree.plan(updates);
    const treeMs = performance.now() - planStarted;
    const txHashes = txs.map((t) => t.hash);
    const hash = hashCanonical({ spnId: this.spnId, number, parentHash: head.hash, timeMs, txHashes, stateRoot: plan.newRoot, vmHeader });
    const outbox = outboxEntries(this.spnId, txHashes, result.receipts, head.nextNonce);

    try {
      await this.db.transaction(async (em) => {
        await em.query(
          `INSERT INTO spn_block (spn_id, number, hash, parent_hash, timestamp_ms, tx_hashes, state_root, gas_used, steps, vm_header)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            this.spnId,
            String(number),
            hash,
            head.hash,
            String(timeMs),
            JSON.stringify(txHashes),
            String(plan.newRoot),
            String(result.gasUsed),
            JSON.stringify(plan.steps.map(stepToJson)),
            vmHeader === null ? null : JSON.stringify(vmHeader),
          ],
        );
        await em.query(
          `UPDATE spn_tx t SET status = u.status, block_no = $2, tx_index = u.idx, receipt = u.receipt
             FROM unnest($3::text[], $4::int[], $5::text[], $6::jsonb[]) AS u(hash, idx, status, receipt)
            WHERE t.spn_id = $1 AND t.hash = u.hash AND t.status = 'pending'`,
          [
            this.spnId,
            String(number),
            txHashes,
            txHashes.map((_, i) => i),
            result.receipts.map((r) => (r.status === 'success' ? 'included' : 'failed')),
            result.receipts.map((r) => JSON.stringify(r)),
          ],
        );
        await storeOutbox(em, this.spnId, number, outbox);
        await result.persist?.(em, { number, hash });
        await this.tree.commit(plan, em);
      });
    } catch (err) {
      this.head = undefined;
      this.treeStore.invalidate();
      await this.tree.reload();
      throw err;
    }
    this.state.apply(result.writes);
    result.afterCommit?.();
    this.head = { number, hash, timeMs, vmHeader, txCount: txs.length, nextNonce: head.nextNonce + outbox.length };
    return {
      number,
      hash,
      txCount: txs.length,
      stateRoot: plan.newRoot,
      updates: plan.steps.length,
      executeMs,
      blockMs: performance.now() - blockStarted,
      treeMs,
      messages: outbox.length,
      report: result.report,
    };
  }

  private async loadHead(): Promise<Head> {
    if (this.head) return this.head;
    const rows: { number: string; hash: string; timestamp_ms: string; vm_header: Record<string, unknown> | null; tx_count: number }[] =
      await this.db.query(
        'SELECT number, hash, timestamp_ms, vm_header, jsonb_array_length(tx_hashes) AS tx_count FROM spn_block WHERE spn_id = $1 ORDER BY number DESC LIMIT 1',
        [this.spnId],
      );
    const nextNonce = await nextOutboxNonce(this.db, this.spnId);
    this.head = rows.length
      ? {
          number: BigInt(rows[0].number),
          hash: rows[0].hash,
          timeMs: BigInt(rows[0].timestamp_ms),
          vmHeader: rows[0].vm_header,
          txCount: rows[0].tx_count,
          nextNonce,
        }
      : { number: 0n, hash: ZERO_HASH, timeMs: 0n, vmHeader: null, txCount: 0, nextNonce };
    return this.head;
  }
}
