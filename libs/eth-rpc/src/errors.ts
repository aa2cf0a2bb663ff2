/**
 * JSON-RPC error codes: the JSON-RPC 2.0 ones, the Ethereum server range (EIP-1474) and 3 for
 * execution reverted (with the revert data), as geth answers them.
 */
export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** Generic server error; geth uses it for rejected transactions and failed reads. */
  SERVER_ERROR: -32000,
  RESOURCE_NOT_FOUND: -32001,
  RESOURCE_UNAVAILABLE: -32002,
  TRANSACTION_REJECTED: -32003,
  METHOD_NOT_SUPPORTED: -32004,
  LIMIT_EXCEEDED: -32005,
  EXECUTION_REVERTED: 3,
} as const;

/** An error that becomes a JSON-RPC error object as is: `{ code, message, data? }`. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export const invalidParams = (message: string): RpcError => new RpcError(RpcErrorCode.INVALID_PARAMS, message);
export const serverError = (message: string, data?: unknown): RpcError => new RpcError(RpcErrorCode.SERVER_ERROR, message, data);
export const limitExceeded = (message: string): RpcError => new RpcError(RpcErrorCode.LIMIT_EXCEEDED, message);

/** What `eth_call` / `eth_estimateGas` answer for a revert: code 3, the revert data, "execution reverted[: reason]". */
export function executionReverted(returnData: string, reason?: string): RpcError {
  return new RpcError(RpcErrorCode.EXECUTION_REVERTED, reason ? `execution reverted: ${reason}` : 'execution reverted', returnData);
}
