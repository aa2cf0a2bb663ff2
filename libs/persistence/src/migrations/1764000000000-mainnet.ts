import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tables of the mainnet (libs/mainnet): registered SPNs, settled batches with their data
 * (data availability), the leaf index of every key an SPN settled, and the ledger (events
 * appended with the change they record, sealed into hash-chained blocks).
 */
export class Mainnet1764000000000 implements MigrationInterface {
  readonly name = 'Mainnet1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE mainnet_spn (
        spn_id text PRIMARY KEY,
        vm_kind text NOT NULL CHECK (vm_kind IN ('wasm', 'evm')),
        profile text NOT NULL,
        depth integer NOT NULL,
        chunk_size integer NOT NULL,
        verification_key jsonb NOT NULL,
        vk_hash text NOT NULL,
        operator text NOT NULL,
        endpoint text NOT NULL,
        status text NOT NULL DEFAULT 'active',
        genesis_root numeric(78,0) NOT NULL,
        last_batch_no bigint NOT NULL DEFAULT 0,
        last_root numeric(78,0) NOT NULL,
        last_block bigint,
        registered_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    await queryRunner.query(
      `CREATE TABLE mainnet_batch (
        spn_id text NOT NULL REFERENCES mainnet_spn (spn_id),
        batch_no bigint NOT NULL,
        pre_root numeric(78,0) NOT NULL,
        post_root numeric(78,0) NOT NULL,
        first_block bigint NOT NULL,
        last_block bigint NOT NULL,
        chunks_hash text NOT NULL,
        tx_data_hash text NOT NULL,
        signature text NOT NULL,
        header jsonb NOT NULL,
        chunks jsonb NOT NULL,
        tx_data jsonb NOT NULL,
        chunk_count integer NOT NULL,
        update_count integer NOT NULL,
        tx_count integer NOT NULL,
        settled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (spn_id, batch_no)
      )`,
    );
    await queryRunner.query(
      `CREATE TABLE mainnet_spn_leaf (
        spn_id text NOT NULL REFERENCES mainnet_spn (spn_id),
        idx bigint NOT NULL,
        key numeric(78,0) NOT NULL,
        batch_no bigint NOT NULL,
        PRIMARY KEY (spn_id, idx)
      )`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX mainnet_spn_leaf_key ON mainnet_spn_leaf (spn_id, key)`);
    await queryRunner.query(
      `CREATE TABLE mainnet_block (
        number bigint PRIMARY KEY,
        parent_hash text NOT NULL,
        hash text NOT NULL UNIQUE,
        ts_ms bigint NOT NULL,
        event_count integer NOT NULL,
        sealed_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    await queryRunner.query(
      `CREATE TABLE mainnet_event (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        spn_id text,
        batch_no bigint,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        block_number bigint REFERENCES mainnet_block (number)
      )`,
    );
    await queryRunner.query(`CREATE INDEX mainnet_event_unsealed ON mainnet_event (id) WHERE block_number IS NULL`);
    await queryRunner.query(`CREATE INDEX mainnet_event_block ON mainnet_event (block_number, id)`);
    await queryRunner.query(`CREATE INDEX mainnet_event_batch ON mainnet_event (spn_id, batch_no)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE mainnet_event`);
    await queryRunner.query(`DROP TABLE mainnet_block`);
    await queryRunner.query(`DROP TABLE mainnet_spn_leaf`);
    await queryRunner.query(`DROP TABLE mainnet_batch`);
    await queryRunner.query(`DROP TABLE mainnet_spn`);
  }
}
