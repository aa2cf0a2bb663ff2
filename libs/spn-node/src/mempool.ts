import type { DataSource } from 'typeorm';
import { InvalidInputError } from '@mesh/core';

export interface Accepted {
  hash: string;
  /** True when this exact transaction had been accepted before (a client retry). */
  duplicate: boolean;
}

export interface NewMempoolTx {
  hash: string;
  kind: string;
  sender: string;
  nonce: bigint;
  body: unknown;
  code: Buffer | null;
}

/**
 * The SPN's mempool table. `add` stores a checked tx (pending) and advances its sender's nonce in
 * one database transaction, so a tx is acknowledged only once it is durable and a nonce is never
 * taken twice. A nonce must be exactly the sender's next one: replays and gaps are refused.
 */
export class Mempool {
  constructor(
    private readonly db: DataSource,
    readonly spnId: string,
  ) {}

  add(tx: NewMempoolTx): Promise<Accepted> {
    const spnId = this.spnId;
    return this.db.transaction(async (em) => {
      await em.query('INSERT INTO spn_sender (spn_id, address, next_nonce) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING', [spnId, tx.sender]);
      const [{ next_nonce }]: { next_nonce: string }[] = await em.query(
        'SELECT next_nonce FROM spn_sender WHERE spn_id = $1 AND address = $2 FOR UPDATE',
        [spnId, tx.sender],
      );
      // Checked under the sender's lock, so that two copies of one tx posted at once both get its hash.
      const existing: unknown[] = await em.query('SELECT 1 FROM spn_tx WHERE spn_id = $1 AND hash = $2', [spnId, tx.hash]);
      if (existing.length > 0) return { hash: tx.hash, duplicate: true };
      const expected = BigInt(next_nonce);
      if (tx.nonce < expected)
        throw new InvalidInputError(`nonce ${tx.nonce} of ${tx.sender} was already used (next nonce is ${expected})`);
      if (tx.nonce > expected) throw new InvalidInputError(`nonce ${tx.nonce} of ${tx.sender} skips ahead (next nonce is ${expected})`);
      await em.query('INSERT INTO spn_tx (spn_id, hash, kind, sender, nonce, body, code) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        spnId,
        tx.hash,
        tx.kind,
        tx.sender,
        String(tx.nonce),
        JSON.stringify(tx.body),
        tx.code,
      ]);
      await em.query('UPDATE spn_sender SET next_nonce = next_nonce + 1 WHERE spn_id = $1 AND address = $2', [spnId, tx.sender]);
      return { hash: tx.hash, duplicate: false };
    });
  }

  /** Next nonce of a sender counting its pending txs (what its next transaction must carry). */
  async nextNonce(address: string): Promise<bigint> {
    const rows: { next_nonce: string }[] = await this.db.query('SELECT next_nonce FROM spn_sender WHERE spn_id = $1 AND address = $2', [
      this.spnId,
      address.toLowerCase(),
    ]);
    return rows.length ? BigInt(rows[0].next_nonce) : 0n;
  }
}
