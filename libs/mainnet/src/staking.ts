import {
  batchHeaderDigest,
  canonicalJson,
  chunksHash,
  ConfigError,
  parseAddress,
  recoverBatchSigner,
  recoverStakeOperationSigner,
} from '@mesh/core';
import type { DataSource } from 'typeorm';
import { EvidenceRejectedError, SettlementRejectedError, StakingRejectedError } from './errors';
import type { Ledger } from './ledger';
import { proofFailures } from './settlement';
import { reviewSpnStatus } from './spn-lifecycle';
import type { SpnRegistry } from './spn-registry';
import { parseStakeOperation, type ParsedStakeOperation } from './stake-input';
import { parseSubmission, type ParsedSubmission } from './submission';
import type { AccountRecord, SlashRecord, SqlRunner, StakingParams } from './types';

export interface StakingOptions {
  /** Chain id of the signing domain (CHAIN_ID). */
  chainId: number;
  /** How long unbonded and unrestaked stake waits before `withdraw` (MAINNET_UNBONDING_MS). */
  unbondingMs: number;
  /** Share of the slashable stake a proven fault takes, in basis points (MAINNET_SLASH_BPS). */
  slashBps: number;
  /** The mainnet's clock (ms). */
  now: () => number;
}

/** Advisory lock key held while the genesis allocation is applied ("mngn" in ASCII). */
const GENESIS_LOCK_KEY = 0x6d6e676e;

interface AccountRow {
  address: string;
  balance: string;
  bonded: string;
  nonce: string;
}

interface SlashRow {
  id: string;
  spn_id: string;
  operator: string;
  batch_no: string;
  header_digest: string;
  failed_chunks: number[];
  amount: string;
  slashed_at: Date;
}

const SLASH_COLUMNS = 'id, spn_id, operator, batch_no, header_digest, failed_chunks, amount::text AS amount, slashed_at';

function toSlashRecord(row: SlashRow): SlashRecord {
  return {
    id: Number(row.id),
    spnId: row.spn_id,
    operator: row.operator,
    batchNo: Number(row.batch_no),
    headerDigest: row.header_digest,
    failedChunks: row.failed_chunks,
    amount: row.amount,
    slashedAt: new Date(row.slashed_at).toISOString(),
  };
}

/**
 * Stake on the mainnet (ARCHITECTURE.md, "SPN lifecycle and restaking"). Accounts get balances
 * from the genesis allocation; operators bond them, restake bonded stake to SPNs, and take it
 * back through unbonding, which waits out `unbondingMs`. Every operation is signed (EIP-712,
 * the mainnet's domain) and carries the account's nonce, so none can be replayed. Restake
 * changes re-evaluate the SPN's status (`reviewSpnStatus`). `slash` takes evidence, a batch
 * signed by an SPN's operator whose proof does not verify, and burns `slashBps` of the
 * operator's stake on that SPN. Each change and its ledger event commit in one transaction that
 * locks the account row, then the SPN row; a refused request changes nothing.
 */
export class Staking {
  constructor(
    private readonly db: DataSource,
    private readonly ledger: Ledger,
    private readonly registry: SpnRegistry,
    private readonly options: StakingOptions,
  ) {}

  /**
   * Credits the genesis allocation, once: the first start that gives one records it (a
   * `genesis_balances` ledger event); a later start must give the same allocation or none.
   */
  async applyGenesis(balances: ReadonlyMap<string, bigint>): Promise<void> {
    if (balances.size === 0) return;
    const wanted = Object.fromEntries([...balances].sort(([a], [b]) => a.localeCompare(b)).map(([a, v]) => [a, String(v)]));
    await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [GENESIS_LOCK_KEY]);
      const recorded: { data: { balances: Record<string, string> } }[] = await tx.query(
        "SELECT data FROM mainnet_event WHERE kind = 'genesis_balances' ORDER BY id LIMIT 1",
      );
      if (recorded[0]) {
        if (canonicalJson(recorded[0].data.balances) !== canonicalJson(wanted)) {
          throw new ConfigError(
            'Invalid configuration: MAINNET_GENESIS_BALANCES differs from the genesis allocation this mainnet already recorded ' +
              `(${Object.keys(recorded[0].data.balances).length} account(s)); unset it or give the recorded one`,
            { variables: ['MAINNET_GENESIS_BALANCES'] },
          );
        }
        return;
      }
      await tx.query(
        `INSERT INTO mainnet_account (address, balance) SELECT a, b FROM unnest($1::text[], $2::numeric[]) AS g(a, b)
         ON CONFLICT (address) DO UPDATE SET balance = mainnet_account.balance + EXCLUDED.balance, updated_at = now()`,
        [Object.keys(wanted), Object.values(wanted)],
      );
      await this.ledger.append(tx, { kind: 'genesis_balances', spnId: null, data: { balances: wanted } });
    });
  }

  /** What a client needs to sign operations, and the rules they run under. */
  params(): StakingParams {
    const { chainId, unbondingMs, slashBps } = this.options;
    return { chainId, unbondingMs, slashBps };
  }

  /** An account with its stake; an address never seen has all zeros. Not an address: InvalidInputError. */
  async account(value: string, sql: SqlRunner = this.db): Promise<AccountRecord> {
    const address = parseAddress(value, 'address');
    const rows: AccountRow[] = await sql.query(
      'SELECT address, balance::text AS balance, bonded::text AS bonded, nonce FROM mainnet_account WHERE address = $1',
      [address],
    );
    const restakes: { spn_id: string; amount: string }[] = await sql.query(
      'SELECT spn_id, amount::text AS amount FROM mainnet_restake WHERE operator = $1 AND amount > 0 ORDER BY spn_id',
      [address],
    );
    const unbonding: { id: string; amount: string; spn_id: string | null; ready_at: Date }[] = await sql.query(
      'SELECT id, amount::text AS amount, spn_id, ready_at FROM mainnet_unbonding WHERE operator = $1 AND amount > 0 ORDER BY id',
      [address],
    );
    const row = rows[0];
    return {
      address,
      balance: row?.balance ?? '0',
      bonded: row?.bonded ?? '0',
      nonce: row ? Number(row.nonce) : 0,
      restakes: restakes.map((r) => ({ spnId: r.spn_id, amount: r.amount })),
      unbonding: unbonding.map((u) => ({
        id: Number(u.id),
        amount: u.amount,
        spnId: u.spn_id,
        readyAt: new Date(u.ready_at).toISOString(),
      })),
    };
  }

  /** Applies a signed stake operation; returns the account after it. */
  async submit(value: unknown): Promise<AccountRecord> {
    const parsed = parseStakeOperation(value);
    const { op } = parsed;
    const { signature, ...fields } = op;
    const signer = recoverStakeOperationSigner(this.options.chainId, fields, signature);
    if (signer !== op.operator) {
      throw new StakingRejectedError(
        'signature',
        signer
          ? `the operation is signed by ${signer}, not by ${op.operator} (chain ${this.options.chainId})`
          : 'the signature is not a valid secp256k1 signature of the operation',
      );
    }
    return this.db.transaction(async (tx) => {
      const account = await this.lockAccount(tx, op.operator);
      if (op.nonce !== Number(account.nonce)) {
        throw new StakingRejectedError('nonce', `nonce must be ${account.nonce} (the account's next), got ${op.nonce}`, {
          expected: Number(account.nonce),
        });
      }
      const applied = await this.apply(tx, parsed, account);
      await tx.query('UPDATE mainnet_account SET nonce = nonce + 1, updated_at = now() WHERE address = $1', [op.operator]);
      await this.ledger.append(tx, {
        kind: 'stake_operation',
        spnId: op.spnId || null,
        data: { kind: op.kind, operator: op.operator, spnId: op.spnId, amount: applied, nonce: op.nonce },
      });
      return this.account(op.operator, tx);
    });
  }

  /**
   * Slashes the operator whose signed batch the evidence is: a submission (header, chunks, tx
   * data, signature) signed by the SPN's operator, its chunks the ones the header covers, and at
   * least one chunk proof that does not verify under the SPN's registered key. Takes `slashBps`
   * of the operator's restake on the SPN plus its unbonding entries from it (restake first), and
   * burns it. One slash per signed header. Returns the slash (amount 0 when there was no stake).
   */
  async slash(value: unknown): Promise<SlashRecord> {
    let submission: ParsedSubmission;
    try {
      submission = parseSubmission(value);
    } catch (err) {
      if (err instanceof SettlementRejectedError) throw new EvidenceRejectedError('malformed', err.reason);
      throw err;
    }
    const { header } = submission;
    const spn = await this.registry.get(header.spnId);
    if (!spn) throw new EvidenceRejectedError('spn', `SPN "${header.spnId}" is not registered`);
    const signer = recoverBatchSigner(this.options.chainId, header, submission.signature);
    if (signer !== spn.operator) {
      throw new EvidenceRejectedError(
        'signature',
        `the batch header is not signed by the operator of SPN "${spn.spnId}" (${spn.operator}) on chain ${this.options.chainId}`,
      );
    }
    const computed = chunksHash(submission.chunks);
    if (computed !== header.chunksHash.toLowerCase()) {
      throw new EvidenceRejectedError(
        'chunksHash',
        `the chunks hash to ${computed}, not to the signed header.chunksHash ${header.chunksHash}`,
      );
    }
    const failures = await proofFailures(await this.registry.verifierFor(spn.spnId), submission.parsedChunks);
    if (failures.length === 0) {
      throw new EvidenceRejectedError('noFault', `every chunk proof verifies under the key registered for SPN "${spn.spnId}": no fault`);
    }
    const failedChunks = failures.map((f) => f.chunk);
    const digest = batchHeaderDigest(this.options.chainId, header);

    return this.db.transaction(async (tx) => {
      await this.lockAccount(tx, spn.operator);
      await tx.query('SELECT 1 FROM mainnet_spn WHERE spn_id = $1 FOR UPDATE', [spn.spnId]);
      const earlier: { id: string }[] = await tx.query('SELECT id FROM mainnet_slash WHERE header_digest = $1', [digest]);
      if (earlier[0]) {
        throw new EvidenceRejectedError('duplicate', `this signed batch header was already used as evidence (slash ${earlier[0].id})`, {
          slashId: Number(earlier[0].id),
        });
      }
      const amount = await this.takeSlashableStake(tx, spn.operator, spn.spnId);
      const rows: SlashRow[] = await tx.query(
        `INSERT INTO mainnet_slash (spn_id, operator, batch_no, header_digest, failed_chunks, amount, evidence)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb) RETURNING ${SLASH_COLUMNS}`,
        [
          spn.spnId,
          spn.operator,
          header.batchNo,
          digest,
          JSON.stringify(failedChunks),
          String(amount),
          canonicalJson({ header, signature: submission.signature, chunks: submission.chunks }),
        ],
      );
      const slash = toSlashRecord(rows[0]);
      await this.ledger.append(tx, {
        kind: 'operator_slashed',
        spnId: spn.spnId,
        batchNo: header.batchNo,
        data: { slashId: slash.id, spnId: spn.spnId, operator: spn.operator, headerDigest: digest, failedChunks, amount: slash.amount },
      });
      await reviewSpnStatus(tx, this.ledger, spn.spnId, `operator ${spn.operator} slashed`);
      return slash;
    });
  }

  /** Slashes proven against an SPN, newest first. */
  async slashesOf(spnId: string): Promise<SlashRecord[]> {
    const rows: SlashRow[] = await this.db.query(`SELECT ${SLASH_COLUMNS} FROM mainnet_slash WHERE spn_id = $1 ORDER BY id DESC`, [spnId]);
    return rows.map(toSlashRecord);
  }

  /** The account row, locked; created (all zeros) when the address has none. Rolled back with a refusal. */
  private async lockAccount(tx: SqlRunner, address: string): Promise<AccountRow> {
    await tx.query('INSERT INTO mainnet_account (address) VALUES ($1) ON CONFLICT (address) DO NOTHING', [address]);
    const rows: AccountRow[] = await tx.query(
      'SELECT address, balance::text AS balance, bonded::text AS bonded, nonce FROM mainnet_account WHERE address = $1 FOR UPDATE',
      [address],
    );
    return rows[0];
  }

  /** The operation's effect; returns the amount moved (for `withdraw`, what became balance). */
  private async apply(tx: SqlRunner, { op, value }: ParsedStakeOperation, account: AccountRow): Promise<string> {
    const short = (what: string, have: string) =>
      new StakingRejectedError('funds', `${op.operator} has ${have} ${what}, less than the ${op.amount} to ${op.kind}`);
    switch (op.kind) {
      case 'bond':
        if (BigInt(account.balance) < value) throw short('mainnet balance', account.balance);
        await tx.query('UPDATE mainnet_account SET balance = balance - $2, bonded = bonded + $2 WHERE address = $1', [
          op.operator,
          op.amount,
        ]);
        return op.amount;
      case 'unbond':
        if (BigInt(account.bonded) < value) throw short('bonded stake not restaked', account.bonded);
        await tx.query('UPDATE mainnet_account SET bonded = bonded - $2 WHERE address = $1', [op.operator, op.amount]);
        await this.startUnbonding(tx, op.operator, null, op.amount);
        return op.amount;
      case 'restake': {
        await this.lockSpn(tx, op.spnId);
        if (BigInt(account.bonded) < value) throw short('bonded stake not restaked', account.bonded);
        await tx.query('UPDATE mainnet_account SET bonded = bonded - $2 WHERE address = $1', [op.operator, op.amount]);
        await tx.query(
          `INSERT INTO mainnet_restake (operator, spn_id, amount) VALUES ($1, $2, $3)
           ON CONFLICT (operator, spn_id) DO UPDATE SET amount = mainnet_restake.amount + EXCLUDED.amount`,
          [op.operator, op.spnId, op.amount],
        );
        await reviewSpnStatus(tx, this.ledger, op.spnId, `${op.operator} restaked ${op.amount}`);
        return op.amount;
      }
      case 'unrestake': {
        await this.lockSpn(tx, op.spnId);
        const rows: { amount: string }[] = await tx.query(
          'SELECT amount::text AS amount FROM mainnet_restake WHERE operator = $1 AND spn_id = $2 FOR UPDATE',
          [op.operator, op.spnId],
        );
        const restaked = rows[0]?.amount ?? '0';
        if (BigInt(restaked) < value) throw short(`restaked on SPN "${op.spnId}"`, restaked);
        await tx.query('UPDATE mainnet_restake SET amount = amount - $3 WHERE operator = $1 AND spn_id = $2', [
          op.operator,
          op.spnId,
          op.amount,
        ]);
        await this.startUnbonding(tx, op.operator, op.spnId, op.amount);
        await reviewSpnStatus(tx, this.ledger, op.spnId, `${op.operator} unrestaked ${op.amount}`);
        return op.amount;
      }
      case 'withdraw': {
        const ready: { amount: string | null }[] = await tx.query(
          `WITH taken AS (DELETE FROM mainnet_unbonding WHERE operator = $1 AND ready_at <= to_timestamp($2::double precision / 1000) RETURNING amount)
           SELECT sum(amount)::text AS amount FROM taken`,
          [op.operator, this.options.now()],
        );
        const amount = ready[0]?.amount ?? '0';
        if (BigInt(amount) === 0n) {
          const next: { ready_at: Date }[] = await tx.query(
            'SELECT ready_at FROM mainnet_unbonding WHERE operator = $1 AND amount > 0 ORDER BY ready_at LIMIT 1',
            [op.operator],
          );
          throw new StakingRejectedError(
            'nothingReady',
            next[0]
              ? `nothing to withdraw yet: the next unbonding entry is ready at ${new Date(next[0].ready_at).toISOString()}`
              : `${op.operator} has nothing unbonding`,
          );
        }
        await tx.query('UPDATE mainnet_account SET balance = balance + $2 WHERE address = $1', [op.operator, amount]);
        return amount;
      }
    }
  }

  private async lockSpn(tx: SqlRunner, spnId: string): Promise<void> {
    const rows: unknown[] = await tx.query('SELECT 1 FROM mainnet_spn WHERE spn_id = $1 FOR UPDATE', [spnId]);
    if (rows.length === 0) throw new StakingRejectedError('spn', `SPN "${spnId}" is not registered`);
  }

  private async startUnbonding(tx: SqlRunner, operator: string, spnId: string | null, amount: string): Promise<void> {
    await tx.query(
      'INSERT INTO mainnet_unbonding (operator, spn_id, amount, ready_at) VALUES ($1, $2, $3, to_timestamp($4::double precision / 1000))',
      [operator, spnId, amount, this.options.now() + this.options.unbondingMs],
    );
  }

  /** Takes `slashBps` of the operator's restake on the SPN plus its unbonding entries from it: restake first, then the oldest entries. */
  private async takeSlashableStake(tx: SqlRunner, operator: string, spnId: string): Promise<bigint> {
    const restake: { amount: string }[] = await tx.query(
      'SELECT amount::text AS amount FROM mainnet_restake WHERE operator = $1 AND spn_id = $2 FOR UPDATE',
      [operator, spnId],
    );
    const entries: { id: string; amount: string }[] = await tx.query(
      'SELECT id, amount::text AS amount FROM mainnet_unbonding WHERE operator = $1 AND spn_id = $2 AND amount > 0 ORDER BY id FOR UPDATE',
      [operator, spnId],
    );
    const restaked = BigInt(restake[0]?.amount ?? '0');
    const slashable = restaked + entries.reduce((sum, e) => sum + BigInt(e.amount), 0n);
    const total = (slashable * BigInt(this.options.slashBps)) / 10_000n;
    let left = total;
    const fromRestake = left < restaked ? left : restaked;
    if (fromRestake > 0n) {
      await tx.query('UPDATE mainnet_restake SET amount = amount - $3 WHERE operator = $1 AND spn_id = $2', [
        operator,
        spnId,
        String(fromRestake),
      ]);
      left -= fromRestake;
    }
    for (const entry of entries) {
      if (left === 0n) break;
      const take = left < BigInt(entry.amount) ? left : BigInt(entry.amount);
      await tx.query('UPDATE mainnet_unbonding SET amount = amount - $2 WHERE id = $1', [entry.id, String(take)]);
      left -= take;
    }
    return total;
  }
}
