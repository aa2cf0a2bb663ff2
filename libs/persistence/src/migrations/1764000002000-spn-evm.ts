import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tables of an EVM SPN (libs/spn-node/src/evm). Account fields and storage live in the state
 * tree (libs/vm-evm maps them to tree keys); contract code is content-addressed here (the tree
 * holds its hash); logs are indexed for eth_getLogs.
 */
export class SpnEvm1764000002000 implements MigrationInterface {
  readonly name = 'SpnEvm1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE spn_evm_code (spn_id text NOT NULL, code_hash text NOT NULL, code bytea NOT NULL, PRIMARY KEY (spn_id, code_hash))`,
    );
    await q.query(`CREATE TABLE spn_log (
      spn_id text NOT NULL, block_no bigint NOT NULL, log_index integer NOT NULL,
      tx_hash text NOT NULL, tx_index integer NOT NULL, address text NOT NULL,
      topic0 text, topic1 text, topic2 text, topic3 text, data text NOT NULL,
      PRIMARY KEY (spn_id, block_no, log_index))`);
    await q.query(`CREATE INDEX spn_log_address ON spn_log (spn_id, address, block_no)`);
    await q.query(`CREATE INDEX spn_log_topic0 ON spn_log (spn_id, topic0, block_no)`);
    await q.query(`CREATE UNIQUE INDEX spn_block_hash ON spn_block (spn_id, hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX spn_block_hash`);
    await q.query(`DROP TABLE spn_log`);
    await q.query(`DROP TABLE spn_evm_code`);
  }
}
