import type { RelayedMessage, SettlementSubmission } from '@mesh/core';

/** What the SPN asks the mainnet to record about it. */
export interface SpnRegistration {
  spnId: string;
  vmKind: 'wasm' | 'evm';
  profile: string;
  verificationKey: unknown;
  operator: string;
  endpoint: string;
  requirements?: { minOperators: number; minRestake: string };
}

export type SubmitOutcome = { status: 'accepted'; duplicate: boolean } | { status: 'rejected'; reason: string };

/**
 * The SPN's view of the mainnet. The app adapts the transport client to it: a permanent refusal
 * is an outcome (`rejected`, with the mainnet's reason); a transport failure, a time-out or an SPN
 * that is not active (yet, or any more: SPN_NOT_ACTIVE) throws, and the caller retries.
 */
export interface MainnetPort {
  registerSpn(registration: SpnRegistration): Promise<void>;
  submitBatch(submission: SettlementSubmission): Promise<SubmitOutcome>;
  /** Settled messages for this SPN that have no result yet, settled after `afterSeq` (libs/mainnet MessageRelay). */
  pendingMessages(spnId: string, afterSeq: number): Promise<RelayedMessage[]>;
}
