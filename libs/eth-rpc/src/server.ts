import { MeshError } from '@mesh/core';
import { RpcError, RpcErrorCode } from './errors';

export type JsonRpcId = string | number | null;

export interface JsonRpcSuccess {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: unknown;
}

export interface JsonRpcFailure {
  jsonrpc: '2.0';
  id: JsonRpcId;
  error: { code: number; message: string; data?: unknown };
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;

export interface RpcMethod {
  /** Runs the method on the request's `params` (undefined when absent). */
  handler(params: unknown): Promise<unknown> | unknown;
  /**
   * Which code an InvalidInputError thrown by the method gets: -32602 (`params`, the default) or
   * -32000 (`server`: the input was well-formed but refused, e.g. a transaction the pool rejects).
   */
  invalidInput?: 'params' | 'server';
}

export interface JsonRpcServerOptions {
  /** Largest batch answered; a larger one gets one -32600 error. Default 1000 (geth's). */
  maxBatchSize?: number;
  /** Called with errors that are not the caller's fault (they are answered as -32603 "internal error"). */
  onInternalError?(method: string, err: unknown): void;
}

/**
 * JSON-RPC 2.0 framing over a method table: single requests and batches, notifications (no `id`:
 * run, not answered), and the spec's errors: -32700 for text that is not JSON, -32600 for an empty
 * batch or a request object that is not one (per batch item), -32601 for an unknown method, and
 * the method's own errors. A thrown RpcError is answered as is; a MeshError by its kind; anything
 * else as -32603 without its details.
 */
export class JsonRpcServer {
  private readonly maxBatchSize: number;

  constructor(
    private readonly methods: Readonly<Record<string, RpcMethod>>,
    private readonly options: JsonRpcServerOptions = {},
  ) {
    this.maxBatchSize = options.maxBatchSize ?? 1000;
  }

  /** Answers a request body given as text; undefined when there is nothing to answer (only notifications). */
  async handleText(text: string): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      return failure(null, new RpcError(RpcErrorCode.PARSE_ERROR, `parse error: ${(err as Error).message}`));
    }
    return this.handle(body);
  }

  /** Answers a parsed request body (one request object or a batch array). */
  async handle(body: unknown): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    if (!Array.isArray(body)) return this.handleOne(body);
    if (body.length === 0) return failure(null, new RpcError(RpcErrorCode.INVALID_REQUEST, 'invalid request: empty batch'));
    if (body.length > this.maxBatchSize)
      return failure(
        null,
        new RpcError(RpcErrorCode.INVALID_REQUEST, `batch too large: ${body.length} requests, the limit is ${this.maxBatchSize}`),
      );
    const responses: JsonRpcResponse[] = [];
    for (const item of body) {
      const response = await this.handleOne(item); // in order: a batch may depend on its earlier requests
      if (response) responses.push(response);
    }
    return responses.length ? responses : undefined;
  }

  /** Calls one method directly (tests, in-process clients); throws its RpcError. */
  async call(method: string, params: unknown[] = []): Promise<unknown> {
    const response = await this.handleOne({ jsonrpc: '2.0', id: 1, method, params });
    if (response && 'error' in response) throw new RpcError(response.error.code, response.error.message, response.error.data);
    return (response as JsonRpcSuccess).result;
  }

  private async handleOne(request: unknown): Promise<JsonRpcResponse | undefined> {
    const problem = invalidRequest(request);
    if (problem) {
      const id = validId((request as { id?: unknown } | null)?.id);
      return failure(id, new RpcError(RpcErrorCode.INVALID_REQUEST, `invalid request: ${problem}`));
    }
    const r = request as { id?: JsonRpcId; method: string; params?: unknown };
    const notification = !('id' in r);
    const id = r.id ?? null;
    const method = Object.prototype.hasOwnProperty.call(this.methods, r.method) ? this.methods[r.method] : undefined;
    if (!method) {
      return notification
        ? undefined
        : failure(id, new RpcError(RpcErrorCode.METHOD_NOT_FOUND, `the method ${r.method} does not exist/is not available`));
    }
    try {
      const result = await method.handler(r.params);
      return notification ? undefined : { jsonrpc: '2.0', id, result: result === undefined ? null : result };
    } catch (err) {
      return notification ? undefined : failure(id, this.toRpcError(r.method, method, err));
    }
  }

  private toRpcError(name: string, method: RpcMethod, err: unknown): RpcError {
    if (err instanceof RpcError) return err;
    if (err instanceof MeshError) {
      if (err.code === 'INVALID_INPUT')
        return new RpcError(method.invalidInput === 'server' ? RpcErrorCode.SERVER_ERROR : RpcErrorCode.INVALID_PARAMS, err.message);
      if (err.code === 'NOT_FOUND') return new RpcError(RpcErrorCode.RESOURCE_NOT_FOUND, err.message);
    }
    this.options.onInternalError?.(name, err);
    return new RpcError(RpcErrorCode.INTERNAL_ERROR, 'internal error');
  }
}

function failure(id: JsonRpcId, error: RpcError): JsonRpcFailure {
  return { jsonrpc: '2.0', id, error: error.toJSON() };
}

function validId(id: unknown): JsonRpcId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

/** Why `request` is not a JSON-RPC 2.0 request object, or undefined when it is one. */
function invalidRequest(request: unknown): string | undefined {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return 'a request must be a JSON object';
  const r = request as Record<string, unknown>;
  if (r.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  if (typeof r.method !== 'string' || r.method.length === 0) return 'method must be a non-empty string';
  if ('id' in r && r.id !== null && typeof r.id !== 'string' && !(typeof r.id === 'number' && Number.isFinite(r.id)))
    return 'id must be a string, a number or null';
  if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null)) return 'params must be an array or an object';
  return undefined;
}
