import { messageLeaf, type CrossMessage } from '@mesh/core';
import type { SqlRunner } from '@mesh/state';
import type { TxReceipt } from './executor';

/**
 * The messages a block's txs sent, numbered on from `firstNonce` in tx order (and, within a tx,
 * in the order it sent them): the SPN's outbox entries for the block. Deterministic: the same
 * block and receipts give the same nonces on every run.
 */
export function outboxEntries(
  spnId: string,
  txHashes: readonly string[],
  receipts: readonly TxReceipt[],
  firstNonce: number,
): CrossMessage[] {
  const entries: CrossMessage[] = [];
  let nonce = firstNonce;
  receipts.forEach((receipt, i) => {
    if (receipt.status !== 'success') return;
    for (const m of receipt.messages ?? []) {
      entries.push({
        srcSpn: spnId,
        nonce: nonce++,
        srcPlugin: m.srcPlugin,
        txHash: txHashes[i],
        dstSpn: m.dstSpn,
        plugin: m.plugin,
        method: m.method,
        args: m.args,
      });
    }
  });
  return entries;
}

/** Stores a block's outbox entries (inside the block's database transaction). */
export async function storeOutbox(sql: SqlRunner, spnId: string, blockNo: bigint, entries: readonly CrossMessage[]): Promise<void> {
  if (entries.length === 0) return;
  await sql.query(
    `INSERT INTO spn_outbox (spn_id, nonce, trace_id, block_no, tx_hash, message)
     SELECT $1, u.nonce, u.trace_id, $2, u.tx_hash, u.message FROM unnest($3::bigint[], $4::text[], $5::text[], $6::jsonb[])
       AS u(nonce, trace_id, tx_hash, message)`,
    [
      spnId,
      String(blockNo),
      entries.map((e) => e.nonce),
      entries.map(messageLeaf),
      entries.map((e) => e.txHash),
      entries.map((e) => JSON.stringify(e)),
    ],
  );
}

/** The nonce the SPN's next message takes. */
export async function nextOutboxNonce(sql: SqlRunner, spnId: string): Promise<number> {
  const [{ last }]: { last: string | null }[] = await sql.query('SELECT max(nonce) AS last FROM spn_outbox WHERE spn_id = $1', [spnId]);
  return last === null ? 1 : Number(last) + 1;
}
