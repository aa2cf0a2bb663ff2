import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staking and the SPN lifecycle on the mainnet (libs/mainnet, `Staking`): accounts with a balance
 * (from the genesis allocation), bonded stake and a nonce; restake per operator and SPN; unbonding
 * entries that wait out the unbonding delay; slashes with the evidence's header digest (one slash
 * per signed header). SPNs gain requirements (minimum operators and restake); their status is
 * now `proposed`, `active` or `paused`. SPNs registered before keep no requirements and stay active.
 */
export class MainnetStaking1764000004000 implements MigrationInterface {
  readonly name = 'MainnetStaking1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE mainnet_spn
         ADD COLUMN min_operators integer NOT NULL DEFAULT 0,
         ADD COLUMN min_restake numeric(78,0) NOT NULL DEFAULT 0,
         ADD CONSTRAINT mainnet_spn_status CHECK (status IN ('proposed', 'active', 'paused'))`,
    );
    await q.query(
      `CREATE TABLE mainnet_account (
        address text PRIMARY KEY,
        balance numeric(78,0) NOT NULL DEFAULT 0 CHECK (balance >= 0),
        bonded numeric(78,0) NOT NULL DEFAULT 0 CHECK (bonded >= 0),
        nonce bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    await q.query(
      `CREATE TABLE mainnet_restake (
        operator text NOT NULL REFERENCES mainnet_account (address),
        spn_id text NOT NULL REFERENCES mainnet_spn (spn_id),
        amount numeric(78,0) NOT NULL CHECK (amount >= 0),
        PRIMARY KEY (operator, spn_id)
      )`,
    );
    await q.query(`CREATE INDEX mainnet_restake_spn ON mainnet_restake (spn_id)`);
    await q.query(
      `CREATE TABLE mainnet_unbonding (
        id bigserial PRIMARY KEY,
        operator text NOT NULL REFERENCES mainnet_account (address),
        spn_id text REFERENCES mainnet_spn (spn_id),
        amount numeric(78,0) NOT NULL CHECK (amount >= 0),
        ready_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    await q.query(`CREATE INDEX mainnet_unbonding_operator ON mainnet_unbonding (operator, ready_at)`);
    await q.query(
      `CREATE TABLE mainnet_slash (
        id bigserial PRIMARY KEY,
        spn_id text NOT NULL REFERENCES mainnet_spn (spn_id),
        operator text NOT NULL,
        batch_no bigint NOT NULL,
        header_digest text NOT NULL UNIQUE,
        failed_chunks jsonb NOT NULL,
        amount numeric(78,0) NOT NULL,
        evidence jsonb NOT NULL,
        slashed_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    await q.query(`CREATE INDEX mainnet_slash_spn ON mainnet_slash (spn_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mainnet_slash`);
    await q.query(`DROP TABLE mainnet_unbonding`);
    await q.query(`DROP TABLE mainnet_restake`);
    await q.query(`DROP TABLE mainnet_account`);
    await q.query(`ALTER TABLE mainnet_spn DROP CONSTRAINT mainnet_spn_status, DROP COLUMN min_restake, DROP COLUMN min_operators`);
  }
}
