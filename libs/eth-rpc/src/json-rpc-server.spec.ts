import { describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '@mesh/core';
import { RpcError } from './errors';
import { JsonRpcServer } from './server';

const calls: string[] = [];
const server = new JsonRpcServer(
  {
    echo: { handler: (params) => params },
    record: { handler: (params) => void calls.push(JSON.stringify(params)) },
    refuse: { handler: () => Promise.reject(new InvalidInputError('bad thing')) },
    refuseTx: { handler: () => Promise.reject(new InvalidInputError('nonce too low')), invalidInput: 'server' },
    missing: { handler: () => Promise.reject(new NotFoundError('no such thing')) },
    custom: { handler: () => Promise.reject(new RpcError(3, 'execution reverted: no', '0x08c379a0')) },
    crash: { handler: () => Promise.reject(new Error('secret detail')) },
  },
  { maxBatchSize: 3, onInternalError: (method, err) => calls.push(`internal ${method}: ${(err as Error).message}`) },
);

describe('JsonRpcServer framing', () => {
  it('answers a single request with its id and result', async () => {
    expect(await server.handleText('{"jsonrpc":"2.0","id":7,"method":"echo","params":[1,"a"]}')).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: [1, 'a'],
    });
    expect(await server.handle({ jsonrpc: '2.0', id: 'x', method: 'echo' })).toEqual({ jsonrpc: '2.0', id: 'x', result: null });
    expect(await server.handle({ jsonrpc: '2.0', id: null, method: 'echo', params: [] })).toEqual({ jsonrpc: '2.0', id: null, result: [] });
  });

  it('answers text that is not JSON with -32700 and id null', async () => {
    const response = await server.handleText('{"jsonrpc":"2.0","method":"echo"');
    expect(response).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect((response as any).error.message).toMatch(/^parse error: /);
  });

  it.each([
    [1, null, 'invalid request: a request must be a JSON object'],
    [{ id: 1, method: 'echo' }, 1, 'invalid request: jsonrpc must be "2.0"'],
    [{ jsonrpc: '1.0', id: 1, method: 'echo' }, 1, 'invalid request: jsonrpc must be "2.0"'],
    [{ jsonrpc: '2.0', id: 2, method: 5 }, 2, 'invalid request: method must be a non-empty string'],
    [{ jsonrpc: '2.0', id: {}, method: 'echo' }, null, 'invalid request: id must be a string, a number or null'],
    [{ jsonrpc: '2.0', id: 3, method: 'echo', params: 'x' }, 3, 'invalid request: params must be an array or an object'],
  ])('answers an invalid request object %j with -32600', async (request, id, message) => {
    expect(await server.handle(request)).toEqual({ jsonrpc: '2.0', id, error: { code: -32600, message } });
  });

  it('answers an unknown method with -32601', async () => {
    expect(await server.handle({ jsonrpc: '2.0', id: 1, method: 'eth_mine' })).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32601, message: 'the method eth_mine does not exist/is not available' },
    });
    expect(await server.handle({ jsonrpc: '2.0', id: 1, method: 'toString' })).toMatchObject({ error: { code: -32601 } });
  });

  it('maps errors: InvalidInputError to -32602 or -32000 by method, NotFound to -32001, RpcError as is, others to -32603 without details', async () => {
    const error = async (method: string) => ((await server.handle({ jsonrpc: '2.0', id: 1, method })) as any).error;
    expect(await error('refuse')).toEqual({ code: -32602, message: 'bad thing' });
    expect(await error('refuseTx')).toEqual({ code: -32000, message: 'nonce too low' });
    expect(await error('missing')).toEqual({ code: -32001, message: 'no such thing' });
    expect(await error('custom')).toEqual({ code: 3, message: 'execution reverted: no', data: '0x08c379a0' });
    expect(await error('crash')).toEqual({ code: -32603, message: 'internal error' });
    expect(calls).toContain('internal crash: secret detail');
  });

  it('answers a batch in order, per item, leaving out notifications', async () => {
    const response = await server.handle([
      { jsonrpc: '2.0', id: 1, method: 'echo', params: [1] },
      { jsonrpc: '2.0', method: 'record', params: ['note'] },
      { jsonrpc: '2.0', id: 3, method: 'nope' },
    ]);
    expect(response).toEqual([
      { jsonrpc: '2.0', id: 1, result: [1] },
      { jsonrpc: '2.0', id: 3, error: { code: -32601, message: 'the method nope does not exist/is not available' } },
    ]);
    expect(calls).toContain('["note"]');
  });

  it('answers invalid items of a batch with -32600 each', async () => {
    expect(await server.handleText('[1, {"jsonrpc":"2.0","id":9,"method":"echo","params":[2]}, "x"]')).toEqual([
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request: a request must be a JSON object' } },
      { jsonrpc: '2.0', id: 9, result: [2] },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request: a request must be a JSON object' } },
    ]);
  });

  it('answers an empty batch with one -32600, and a batch over the limit too', async () => {
    expect(await server.handleText('[]')).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'invalid request: empty batch' },
    });
    const four = Array.from({ length: 4 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'echo' }));
    expect(await server.handle(four)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'batch too large: 4 requests, the limit is 3' },
    });
  });

  it('answers nothing for notifications only, even failing ones', async () => {
    expect(await server.handle({ jsonrpc: '2.0', method: 'record', params: ['n1'] })).toBeUndefined();
    expect(
      await server.handle([
        { jsonrpc: '2.0', method: 'crash' },
        { jsonrpc: '2.0', method: 'unknown' },
      ]),
    ).toBeUndefined();
  });
});
