import { MeshError } from '@mesh/core';

/**
 * The error body the mainnet sends back over the transport (the RpcException payload).
 * `retryable` is false for a refusal (bad input, a rule broken): the same request gets the same
 * answer; true for a failure on the mainnet's side (database down, a bug) that may pass.
 */
export interface MainnetRpcError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  retryable: boolean;
}

/**
 * Codes of MeshErrors that come from the mainnet's state, not from the request: worth retrying.
 * SPN_NOT_ACTIVE: the SPN's requirements are not met right now; its batches settle once they are.
 */
const RETRYABLE_CODES = new Set(['DATABASE', 'SPN_NOT_ACTIVE']);

/** Server side: what to send back for an error thrown by a message handler. */
export function toMainnetRpcError(err: unknown): MainnetRpcError {
  if (err instanceof MeshError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.details ? { details: err.details } : {}),
      retryable: RETRYABLE_CODES.has(err.code),
    };
  }
  return { code: 'INTERNAL', message: `internal mainnet error: ${(err as Error)?.message ?? String(err)}`, retryable: true };
}

/**
 * The mainnet refused the request for good (SETTLEMENT_REJECTED, INVALID_INPUT, SPN_CONFLICT,
 * NOT_FOUND, ...): resending it unchanged gets the same answer. `mainnetCode` and `message` are
 * the mainnet's own; `details` carries e.g. the broken settlement `rule`.
 */
export class MainnetRejectedError extends MeshError {
  constructor(
    readonly mainnetCode: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super('MAINNET_REJECTED', message, { mainnetCode, ...details });
  }
}

/** The mainnet could not be reached, did not answer in time, or failed on its side: retry later. */
export class MainnetUnavailableError extends MeshError {
  readonly retryable = true;

  constructor(message: string, details?: Record<string, unknown>) {
    super('MAINNET_UNAVAILABLE', message, details);
  }
}
