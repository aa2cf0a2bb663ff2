import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Proving jobs taken by prover processes of their own (apps/prover) besides the SPN node's:
 * `locked_by` names the lease's holder (so a node restarting frees its own leases only, not those
 * of provers still working), `proved_by` who stored the proof, and `vk_hash` the verification key
 * the SPN registered on the mainnet (sha256 of its JSON): a prover whose circuit artifacts differ
 * does not take the job, since the mainnet would reject its proof. Jobs queued before this
 * migration have no `vk_hash` and any prover takes them, as before.
 */
export class ProofJobProvers1764000003000 implements MigrationInterface {
  readonly name = 'ProofJobProvers1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE spn_proof_job ADD COLUMN locked_by text, ADD COLUMN proved_by text, ADD COLUMN vk_hash text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE spn_proof_job DROP COLUMN vk_hash, DROP COLUMN proved_by, DROP COLUMN locked_by`);
  }
}
