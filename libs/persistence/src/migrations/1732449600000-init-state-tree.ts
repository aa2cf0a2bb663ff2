import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables of the Poseidon Merkle state tree (libs/state PgNodeStore reads and writes them). */
export class InitStateTree1732449600000 implements MigrationInterface {
  readonly name = 'InitStateTree1732449600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE state_tree (tree_id text PRIMARY KEY, depth integer NOT NULL, root numeric(78,0) NOT NULL, next_index bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await queryRunner.query(
      `CREATE TABLE state_node (tree_id text NOT NULL, level smallint NOT NULL, idx bigint NOT NULL, hash numeric(78,0) NOT NULL, PRIMARY KEY (tree_id, level, idx))`,
    );
    await queryRunner.query(
      `CREATE TABLE state_leaf (tree_id text NOT NULL, idx bigint NOT NULL, key numeric(78,0) NOT NULL, value numeric(78,0) NOT NULL, PRIMARY KEY (tree_id, idx))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX state_leaf_key ON state_leaf (tree_id, key)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE state_leaf`);
    await queryRunner.query(`DROP TABLE state_node`);
    await queryRunner.query(`DROP TABLE state_tree`);
  }
}
