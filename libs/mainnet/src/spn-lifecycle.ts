import type { Ledger } from './ledger';
import type { SpnOperatorStake, SpnRequirements, SpnStatus, SqlRunner } from './types';

/**
 * Whether an SPN's requirements are met: at least `minOperators` operators with a qualifying
 * restake (at least `minRestake`, and above 0), its own operator (the batch signer) among them.
 * An SPN without requirements (`minOperators` 0) always meets them.
 */
export function requirementsMet(requirements: SpnRequirements, operator: string, stakes: readonly SpnOperatorStake[]): boolean {
  if (requirements.minOperators === 0) return true;
  const qualifying = stakes.filter((s) => s.qualifies);
  return qualifying.length >= requirements.minOperators && qualifying.some((s) => s.operator === operator);
}

/** The status an SPN moves to: active when met; otherwise proposed until it was first active, then paused. */
export function nextStatus(current: SpnStatus, met: boolean): SpnStatus {
  if (met) return 'active';
  return current === 'proposed' ? 'proposed' : 'paused';
}

/** Operators with restake on an SPN, the largest first, and whether each counts toward its requirements. */
export async function operatorStakes(sql: SqlRunner, spnId: string, minRestake: string): Promise<SpnOperatorStake[]> {
  const rows: { operator: string; amount: string }[] = await sql.query(
    'SELECT operator, amount::text AS amount FROM mainnet_restake WHERE spn_id = $1 AND amount > 0 ORDER BY amount DESC, operator',
    [spnId],
  );
  const min = BigInt(minRestake);
  return rows.map((r) => ({ operator: r.operator, restake: r.amount, qualifies: BigInt(r.amount) >= min }));
}

/**
 * Re-evaluates an SPN's status after its restake changed, inside the caller's transaction (which
 * must hold the SPN row's lock): sets the new status and appends a `spn_status_changed` ledger
 * event when it changes. Returns the status now.
 */
export async function reviewSpnStatus(tx: SqlRunner, ledger: Ledger, spnId: string, reason: string): Promise<SpnStatus> {
  const rows: { status: SpnStatus; operator: string; min_operators: number; min_restake: string }[] = await tx.query(
    'SELECT status, operator, min_operators, min_restake::text AS min_restake FROM mainnet_spn WHERE spn_id = $1',
    [spnId],
  );
  const spn = rows[0];
  const requirements = { minOperators: spn.min_operators, minRestake: spn.min_restake };
  const stakes = await operatorStakes(tx, spnId, spn.min_restake);
  const status = nextStatus(spn.status, requirementsMet(requirements, spn.operator, stakes));
  if (status !== spn.status) {
    await tx.query('UPDATE mainnet_spn SET status = $2, updated_at = now() WHERE spn_id = $1', [spnId, status]);
    await ledger.append(tx, {
      kind: 'spn_status_changed',
      spnId,
      data: { spnId, from: spn.status, to: status, reason, qualifyingOperators: stakes.filter((s) => s.qualifies).length },
    });
  }
  return status;
}
