import { canonicalJson, hashCanonical, InvalidInputError } from '@mesh/core';
import { zeroHashes, type Hasher } from '@mesh/state';
import { ChunkVerifier, type CircuitsManifest, type VerificationKey } from '@mesh/zk';
import type { DataSource } from 'typeorm';
import { SpnConflictError } from './errors';
import type { Ledger } from './ledger';
import { NO_REQUIREMENTS, parseRegisterSpnInput } from './register-input';
import { requirementsMet } from './spn-lifecycle';
import type { SpnRecord, SpnStatus, SqlRunner, VmKind } from './types';

/** A mainnet_spn row as the queries select it (SPN_COLUMNS). */
export interface SpnRow {
  spn_id: string;
  vm_kind: VmKind;
  profile: string;
  depth: number;
  chunk_size: number;
  operator: string;
  endpoint: string;
  status: SpnStatus;
  min_operators: number;
  min_restake: string;
  vk_hash: string;
  genesis_root: string;
  last_batch_no: string;
  last_root: string;
  last_block: string | null;
  registered_at: Date;
}

export const SPN_COLUMNS =
  'spn_id, vm_kind, profile, depth, chunk_size, operator, endpoint, status, min_operators, min_restake::text AS min_restake, ' +
  'vk_hash, genesis_root::text AS genesis_root, ' +
  'last_batch_no, last_root::text AS last_root, last_block, registered_at';

export function toSpnRecord(row: SpnRow): SpnRecord {
  return {
    spnId: row.spn_id,
    vmKind: row.vm_kind,
    profile: row.profile,
    depth: row.depth,
    chunkSize: row.chunk_size,
    operator: row.operator,
    endpoint: row.endpoint,
    status: row.status,
    requirements: { minOperators: row.min_operators, minRestake: row.min_restake },
    verificationKeyHash: row.vk_hash,
    genesisRoot: row.genesis_root,
    lastBatchNo: Number(row.last_batch_no),
    lastRoot: row.last_root,
    lastBlock: row.last_block === null ? null : Number(row.last_block),
    registeredAt: new Date(row.registered_at).toISOString(),
  };
}

/**
 * The SPNs the mainnet knows. Registration validates everything the caller sends, computes the
 * genesis root itself (the empty tree of the profile's depth) and records a `spn_registered`
 * ledger event in the same transaction. An SPN without requirements is active at once; one with
 * requirements is `proposed` until operators restake enough on it (`Staking`, `reviewSpnStatus`).
 */
export class SpnRegistry {
  private readonly verifiers = new Map<string, Promise<ChunkVerifier>>();

  constructor(
    private readonly db: DataSource,
    private readonly ledger: Ledger,
    private readonly hasher: Hasher,
    private readonly manifest: CircuitsManifest,
  ) {}

  /**
   * Registers an SPN. The same id with identical fields returns the existing SPN (idempotent);
   * with other fields it is an SpnConflictError naming them. Bad input is an InvalidInputError.
   */
  async register(value: unknown): Promise<SpnRecord> {
    const { input, profile } = parseRegisterSpnInput(value, this.manifest);
    let verifier: ChunkVerifier;
    try {
      verifier = await ChunkVerifier.fromKey(input.verificationKey as unknown as VerificationKey);
    } catch (err) {
      throw new InvalidInputError(`verificationKey does not load as a Groth16 key: ${(err as Error)?.message ?? String(err)}`);
    }
    if (verifier.nPublic !== 4) throw new InvalidInputError(`verificationKey has ${verifier.nPublic} public signals, the statement has 4`);
    const vkHash = hashCanonical(input.verificationKey);
    const genesisRoot = String(zeroHashes(this.hasher, profile.depth)[profile.depth]);
    const requirements = input.requirements ?? NO_REQUIREMENTS;
    // Nobody can have restaked on an SPN that does not exist yet: only an SPN without requirements starts active.
    const status: SpnStatus = requirementsMet(requirements, input.operator, []) ? 'active' : 'proposed';

    const record = await this.db.transaction(async (tx) => {
      const inserted: { spn_id: string }[] = await tx.query(
        `INSERT INTO mainnet_spn (spn_id, vm_kind, profile, depth, chunk_size, verification_key, vk_hash, operator, endpoint, status,
           genesis_root, last_root, min_operators, min_restake)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $11, $10, $10, $12, $13)
         ON CONFLICT (spn_id) DO NOTHING RETURNING spn_id`,
        [
          input.spnId,
          input.vmKind,
          profile.name,
          profile.depth,
          profile.chunkSize,
          JSON.stringify(input.verificationKey),
          vkHash,
          input.operator,
          input.endpoint,
          genesisRoot,
          status,
          requirements.minOperators,
          requirements.minRestake,
        ],
      );
      const existing = toSpnRecord((await tx.query(`SELECT ${SPN_COLUMNS} FROM mainnet_spn WHERE spn_id = $1`, [input.spnId]))[0]);
      if (inserted.length > 0) {
        await this.ledger.append(tx, {
          kind: 'spn_registered',
          spnId: input.spnId,
          data: {
            spnId: input.spnId,
            vmKind: input.vmKind,
            profile: profile.name,
            operator: input.operator,
            endpoint: input.endpoint,
            verificationKeyHash: vkHash,
            genesisRoot,
            requirements,
            status,
          },
        });
        return existing;
      }
      const differing = (
        [
          ['vmKind', existing.vmKind, input.vmKind],
          ['profile', existing.profile, input.profile],
          ['verificationKey', existing.verificationKeyHash, vkHash],
          ['operator', existing.operator, input.operator],
          ['endpoint', existing.endpoint, input.endpoint],
          ['requirements', canonicalJson(existing.requirements), canonicalJson(requirements)],
        ] as const
      ).filter(([, a, b]) => a !== b);
      if (differing.length > 0) {
        throw new SpnConflictError(
          `SPN "${input.spnId}" is already registered with another ${differing.map(([name]) => name).join(', ')}`,
          { fields: differing.map(([name]) => name) },
        );
      }
      return existing;
    });
    if (!this.verifiers.has(input.spnId)) this.verifiers.set(input.spnId, Promise.resolve(verifier));
    return record;
  }

  async get(spnId: string, sql: SqlRunner = this.db): Promise<SpnRecord | undefined> {
    const rows: SpnRow[] = await sql.query(`SELECT ${SPN_COLUMNS} FROM mainnet_spn WHERE spn_id = $1`, [spnId]);
    return rows[0] && toSpnRecord(rows[0]);
  }

  /** The verifier of an SPN's registered key, loaded once per SPN. */
  verifierFor(spnId: string): Promise<ChunkVerifier> {
    let verifier = this.verifiers.get(spnId);
    if (!verifier) {
      verifier = (async () => {
        const rows: { verification_key: VerificationKey }[] = await this.db.query(
          'SELECT verification_key FROM mainnet_spn WHERE spn_id = $1',
          [spnId],
        );
        if (!rows[0]) throw new Error(`SPN "${spnId}" has no verification key`);
        return ChunkVerifier.fromKey(rows[0].verification_key);
      })();
      verifier.catch(() => this.verifiers.delete(spnId));
      this.verifiers.set(spnId, verifier);
    }
    return verifier;
  }
}
