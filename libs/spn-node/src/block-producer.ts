import type { DataSource } from 'typeorm';
import { hashCanonical, type WasmCall } from '@mesh/core';
import type { CachedNodeStore, StateTree } from '@mesh/state';
import type { BlockExecutor, ExecutableTx } from './executor';
import type { PluginRegistry } from './plugin-registry';
import type { StateCache } from './state-cache';
import { stepToJson } from './step-json';

export const ZERO_HASH = '0x' + '0'.repeat(64);

export interface ProducedBlock {
  number: bigint;
  hash: string;
  txCount: number;
  stateRoot: bigint;
  updates: number;
}

interface PendingRow {
  hash: string;
  kind: 'call' | 'deploy';
  sender: string;
  nonce: string;
  body: { call?: Record<string, unknown>; deploy?: Record<string, unknown> };
  code: Buffer | null;
}

/**
 * The sequencer's block step: takes the oldest pending transactions, executes them, and commits
 * the block, its receipts, the deployed plugins, the state-tree writes and the new root in ONE
 * database transaction. A crash before that commit leaves the txs pending (they run again); after
 * it, they are included exactly once.
 */
export class BlockProducer {
  private head: { number: bigint; hash: string } | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly spnId: string,
    private readonly tree: StateTree,
    private readonly treeStore: CachedNodeStore,
    private readonly state: StateCache,
    private readonly plugins: PluginRegistry,
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
    const rows: PendingRow[] = await this.db.query(
      "SELECT hash, kind, sender, nonce, body, code FROM spn_tx WHERE spn_id = $1 AND status = 'pending' ORDER BY seq LIMIT $2",
      [this.spnId, this.maxBlockTxs],
    );
    if (rows.length === 0) return undefined;
    const head = await this.loadHead();
    const number = head.number + 1n;
    const timeMs = BigInt(this.now());
    const txs = rows.map(toExecutable);
    const result = await this.executor.execute({ height: number, timeMs }, txs, this.state);

    const updates = [...result.writes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value }));
    const plan = await this.tree.plan(updates);
    const txHashes = txs.map((t) => t.hash);
    const hash = hashCanonical({ spnId: this.spnId, number, parentHash: head.hash, timeMs, txHashes, stateRoot: plan.newRoot });

    try {
      await this.db.transaction(async (em) => {
        await em.query(
          `INSERT INTO spn_block (spn_id, number, hash, parent_hash, timestamp_ms, tx_hashes, state_root, gas_used, steps)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
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
        for (const d of result.deployed) {
          await em.query(
            'INSERT INTO spn_plugin (spn_id, name, code, code_hash, deployer, methods, block_no, tx_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
            [
              this.spnId,
              d.name,
              Buffer.from(d.plugin.meteredCode),
              d.plugin.codeHash,
              d.deployer,
              JSON.stringify(d.plugin.methods),
              String(number),
              d.txHash,
            ],
          );
        }
        await this.tree.commit(plan, em);
      });
    } catch (err) {
      this.head = undefined;
      this.treeStore.invalidate();
      await this.tree.reload();
      throw err;
    }
    this.state.apply(result.writes);
    for (const d of result.deployed) this.plugins.add(d);
    this.head = { number, hash };
    return { number, hash, txCount: txs.length, stateRoot: plan.newRoot, updates: plan.steps.length };
  }

  private async loadHead(): Promise<{ number: bigint; hash: string }> {
    if (this.head) return this.head;
    const rows: { number: string; hash: string }[] = await this.db.query(
      'SELECT number, hash FROM spn_block WHERE spn_id = $1 ORDER BY number DESC LIMIT 1',
      [this.spnId],
    );
    this.head = rows.length ? { number: BigInt(rows[0].number), hash: rows[0].hash } : { number: 0n, hash: ZERO_HASH };
    return this.head;
  }
}

function toExecutable(row: PendingRow): ExecutableTx {
  if (row.kind === 'deploy') {
    const d = row.body.deploy!;
    return {
      hash: row.hash,
      kind: 'deploy',
      sender: row.sender,
      nonce: BigInt(row.nonce),
      name: String(d.name),
      gasLimit: BigInt(String(d.gasLimit)),
      code: new Uint8Array(row.code!),
    };
  }
  const c = row.body.call!;
  const call: WasmCall = {
    from: row.sender,
    nonce: BigInt(row.nonce),
    plugin: String(c.plugin),
    method: String(c.method),
    args: (c.args as string[]).map(String),
    gasLimit: BigInt(String(c.gasLimit)),
  };
  return { hash: row.hash, kind: 'call', sender: row.sender, nonce: call.nonce, call };
}
