import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cross-SPN messages (ARCHITECTURE.md, data flow step 8).
 *
 * SPN side: `spn_outbox` numbers the messages the SPN's txs send (nonce per SPN, in block and tx
 * order); a relayed message the SPN runs is an `spn_tx` row of kind `message` (hash = its trace
 * id, sender = `spn:<source SPN>`, nonce = its nonce), so the primary key and the unique
 * (sender, nonce) keep it to one run.
 *
 * Mainnet side: `mainnet_message` holds every settled message, its place in its source batch
 * (for the inclusion proof) and its state; batches record the roots their headers signed.
 *
 * Batch headers gained two signed fields (`messagesRoot`, `resultsHash`): an SPN batch signed
 * before this migration and not settled yet is signed again (its header and signature are cleared).
 */
export class Messages1764000005000 implements MigrationInterface {
  readonly name = 'Messages1764000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE spn_tx DROP CONSTRAINT spn_tx_kind_check`);
    await q.query(`ALTER TABLE spn_tx ADD CONSTRAINT spn_tx_kind_check CHECK (kind IN ('call', 'deploy', 'evm', 'message'))`);
    await q.query(`CREATE TABLE spn_outbox (
      spn_id text NOT NULL, nonce bigint NOT NULL, trace_id text NOT NULL,
      block_no bigint NOT NULL, tx_hash text NOT NULL, message jsonb NOT NULL,
      PRIMARY KEY (spn_id, nonce))`);
    await q.query(`CREATE INDEX spn_outbox_block ON spn_outbox (spn_id, block_no)`);
    await q.query(`CREATE UNIQUE INDEX spn_outbox_trace ON spn_outbox (trace_id)`);
    await q.query(`UPDATE spn_batch SET status = 'proved', header = NULL, signature = NULL WHERE status = 'submitted'`);

    const zero = '0x' + '00'.repeat(32);
    await q.query(`ALTER TABLE mainnet_batch ADD COLUMN messages_root text NOT NULL DEFAULT '${zero}'`);
    await q.query(`ALTER TABLE mainnet_batch ADD COLUMN results_hash text NOT NULL DEFAULT '${zero}'`);
    await q.query(`ALTER TABLE mainnet_spn ADD COLUMN last_message_nonce bigint NOT NULL DEFAULT 0`);
    await q.query(`CREATE TABLE mainnet_message (
      trace_id text PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      src_spn text NOT NULL REFERENCES mainnet_spn (spn_id),
      nonce bigint NOT NULL,
      src_batch_no bigint NOT NULL,
      leaf_index integer NOT NULL,
      dst_spn text NOT NULL,
      message jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('relaying', 'executed', 'failed')),
      error text,
      retryable boolean,
      dst_batch_no bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (src_spn, nonce))`);
    await q.query(`CREATE INDEX mainnet_message_relaying ON mainnet_message (dst_spn, seq) WHERE status = 'relaying'`);
    await q.query(`CREATE INDEX mainnet_message_dst ON mainnet_message (dst_spn, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mainnet_message`);
    await q.query(`ALTER TABLE mainnet_spn DROP COLUMN last_message_nonce`);
    await q.query(`ALTER TABLE mainnet_batch DROP COLUMN results_hash`);
    await q.query(`ALTER TABLE mainnet_batch DROP COLUMN messages_root`);
    await q.query(`DROP TABLE spn_outbox`);
    await q.query(`DELETE FROM spn_tx WHERE kind = 'message'`);
    await q.query(`ALTER TABLE spn_tx DROP CONSTRAINT spn_tx_kind_check`);
    await q.query(`ALTER TABLE spn_tx ADD CONSTRAINT spn_tx_kind_check CHECK (kind IN ('call', 'deploy', 'evm'))`);
  }
}
