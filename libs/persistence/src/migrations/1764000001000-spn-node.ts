import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tables of an SPN node (libs/spn-node). Every row is keyed by its SPN id, so several SPNs can
 * share one database. The state tree itself lives in state_tree / state_node / state_leaf with
 * tree_id = the SPN id.
 */
export class SpnNode1764000001000 implements MigrationInterface {
  readonly name = 'SpnNode1764000001000';

  async up(q: QueryRunner): Promise<void> {
    // Next nonce each sender may use; advanced at ingress, in the transaction that stores the tx.
    await q.query(
      `CREATE TABLE spn_sender (spn_id text NOT NULL, address text NOT NULL, next_nonce bigint NOT NULL, PRIMARY KEY (spn_id, address))`,
    );
    // Mempool and transaction history: a tx is stored (pending) before it is acknowledged.
    await q.query(`CREATE TABLE spn_tx (
      spn_id text NOT NULL, hash text NOT NULL, seq bigserial NOT NULL,
      kind text NOT NULL CHECK (kind IN ('call', 'deploy', 'evm')),
      sender text NOT NULL, nonce bigint NOT NULL,
      body jsonb NOT NULL, code bytea,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'included', 'failed', 'settled')),
      block_no bigint, tx_index integer, receipt jsonb,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (spn_id, hash), UNIQUE (spn_id, sender, nonce))`);
    await q.query(`CREATE INDEX spn_tx_pending ON spn_tx (spn_id, seq) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX spn_tx_block ON spn_tx (spn_id, block_no, tx_index)`);
    await q.query(`CREATE TABLE spn_block (
      spn_id text NOT NULL, number bigint NOT NULL, hash text NOT NULL, parent_hash text NOT NULL,
      timestamp_ms bigint NOT NULL, tx_hashes jsonb NOT NULL, state_root numeric(78,0) NOT NULL,
      gas_used bigint NOT NULL, steps jsonb NOT NULL, vm_header jsonb, batch_no bigint,
      PRIMARY KEY (spn_id, number))`);
    await q.query(`CREATE TABLE spn_plugin (
      spn_id text NOT NULL, name text NOT NULL, code bytea NOT NULL, code_hash text NOT NULL,
      deployer text NOT NULL, methods jsonb NOT NULL, block_no bigint NOT NULL, tx_hash text NOT NULL,
      PRIMARY KEY (spn_id, name))`);
    await q.query(`CREATE TABLE spn_batch (
      spn_id text NOT NULL, batch_no bigint NOT NULL, first_block bigint NOT NULL, last_block bigint NOT NULL,
      pre_root numeric(78,0) NOT NULL, post_root numeric(78,0) NOT NULL,
      status text NOT NULL CHECK (status IN ('proving', 'proved', 'submitted', 'settled', 'rejected')),
      chunk_count integer NOT NULL, header jsonb, signature text, error text,
      created_at timestamptz NOT NULL DEFAULT now(), proved_at timestamptz, settled_at timestamptz,
      PRIMARY KEY (spn_id, batch_no))`);
    // Proving jobs: one per chunk, taken with FOR UPDATE SKIP LOCKED.
    await q.query(`CREATE TABLE spn_proof_job (
      spn_id text NOT NULL, batch_no bigint NOT NULL, chunk_index integer NOT NULL,
      statement jsonb NOT NULL, steps jsonb NOT NULL,
      status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done')),
      proof jsonb, attempts integer NOT NULL DEFAULT 0, locked_until timestamptz, last_error text,
      PRIMARY KEY (spn_id, batch_no, chunk_index))`);
    await q.query(`CREATE INDEX spn_proof_job_queued ON spn_proof_job (spn_id, batch_no, chunk_index) WHERE status = 'queued'`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['spn_proof_job', 'spn_batch', 'spn_plugin', 'spn_block', 'spn_tx', 'spn_sender'])
      await q.query(`DROP TABLE ${table}`);
  }
}
