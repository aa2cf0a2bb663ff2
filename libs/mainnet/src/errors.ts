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
  | 'proof';

/**
 * The mainnet refused a batch. Permanent: submitting the same batch again gives the same answer.
 * `rule` names the broken rule, the message says exactly what is wrong. Nothing was stored.
 */
export class SettlementRejectedError extends MeshError {
  constructor(
    readonly rule: SettlementRule,
    reason: string,
    details?: Record<string, unknown>,
  ) {
    super('SETTLEMENT_REJECTED', `settlement rejected: ${reason}`, { rule, ...details });
  }
}

/** An SPN id is already registered with other fields. Maps to HTTP 409. */
export class SpnConflictError extends MeshError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('SPN_CONFLICT', message, details);
  }
}
