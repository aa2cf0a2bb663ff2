import { MeshError } from '@mesh/core';

/** Which settlement rule a rejected submission broke (ARCHITECTURE.md, data flow step 7). */
export type SettlementRule =
  | 'malformed'
  | 'spn'
  | 'signature'
  | 'chunksHash'
  | 'txDataHash'
  | 'batchNo'
  | 'preRoot'
  | 'blocks'
  | 'chunks'
  | 'updates'
  | 'diffHash'
  | 'leafIndex'
  | 'proof'
  | 'messages'
  | 'messagesRoot'
  | 'resultsHash'
  | 'results';

/**
 * A request refused for breaking one named rule: `rule` names it, `reason` says exactly what is
 * wrong, and the message is `<what> rejected: <reason>`. Nothing was stored.
 */
export abstract class RuleRejectedError<R extends string> extends MeshError {
  constructor(
    code: string,
    what: string,
    readonly rule: R,
    readonly reason: string,
    details?: Record<string, unknown>,
  ) {
    super(code, `${what} rejected: ${reason}`, { rule, ...details });
  }
}

/**
 * The mainnet refused a batch. Permanent: submitting the same batch again gives the same answer.
 * `rule` names the broken rule, the message says exactly what is wrong. Nothing was stored.
 */
export class SettlementRejectedError extends RuleRejectedError<SettlementRule> {
  constructor(rule: SettlementRule, reason: string, details?: Record<string, unknown>) {
    super('SETTLEMENT_REJECTED', 'settlement', rule, reason, details);
  }
}

/** An SPN id is already registered with other fields. Maps to HTTP 409. */
export class SpnConflictError extends MeshError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('SPN_CONFLICT', message, details);
  }
}

/**
 * The SPN exists but is not active (its requirements are not met, or no longer): settlement waits.
 * Not a refusal of the batch: the same batch settles once the SPN is active again. HTTP 409.
 */
export class SpnNotActiveError extends MeshError {
  constructor(spnId: string, status: string) {
    super('SPN_NOT_ACTIVE', `SPN "${spnId}" is ${status}, not active: its requirements (operators with restake) are not met`, {
      spnId,
      status,
    });
  }
}

/** Which check a refused stake operation failed. */
export type StakingRule = 'malformed' | 'signature' | 'nonce' | 'spn' | 'funds' | 'nothingReady';

/** The mainnet refused a stake operation; nothing changed. HTTP 422. */
export class StakingRejectedError extends RuleRejectedError<StakingRule> {
  constructor(rule: StakingRule, reason: string, details?: Record<string, unknown>) {
    super('STAKING_REJECTED', 'stake operation', rule, reason, details);
  }
}

/** Which check refused evidence failed. */
export type EvidenceRule = 'malformed' | 'spn' | 'signature' | 'chunksHash' | 'noFault' | 'duplicate';

/** The evidence proves no fault (or was already used); nothing was slashed. HTTP 422. */
export class EvidenceRejectedError extends RuleRejectedError<EvidenceRule> {
  constructor(rule: EvidenceRule, reason: string, details?: Record<string, unknown>) {
    super('EVIDENCE_REJECTED', 'evidence', rule, reason, details);
  }
}
