import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { RpcErrorCode, type JsonRpcServer } from '@mesh/eth-rpc';
import { SpnNode, type EvmVm } from '@mesh/spn-node';

/** Largest JSON-RPC request body: room for a 128 KiB-calldata transaction (hex doubles it) or a batch. */
export const RPC_BODY_LIMIT_BYTES = 1024 * 1024;

/** Paths the JSON-RPC endpoint answers on (POST). */
export const RPC_PATHS = ['/', '/rpc'];

/**
 * Ethereum JSON-RPC of an EVM SPN at `POST /rpc` and `POST /`: the body is read as text by
 * `rpcBodyReader` (main.ts installs it before the JSON parser), so that malformed JSON gets the
 * JSON-RPC parse error (-32700) instead of an HTTP 400.
 */
@Controller()
export class EthRpcController {
  private readonly rpc: JsonRpcServer;

  constructor(@Inject(SpnNode) node: SpnNode<EvmVm>) {
    this.rpc = node.vm.rpc;
  }

  @Post(['', 'rpc'])
  @HttpCode(200)
  async handle(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<unknown> {
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
      res.status(415);
      return rpcError(RpcErrorCode.INVALID_REQUEST, `unsupported content type ${JSON.stringify(type)}: send application/json`);
    }
    const text = typeof req.body === 'string' ? req.body : JSON.stringify(req.body ?? null);
    const response = await this.rpc.handleText(text);
    if (response === undefined) {
      res.status(204);
      return undefined;
    }
    return response;
  }
}

/** What the controller and the middleware use of Express's request and response. */
type Request = IncomingMessage & { body?: unknown; path: string; _body?: boolean };
interface Response {
  status(code: number): Response;
  set(field: string, value: string): Response;
  json(body: unknown): Response;
}

export function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0', id: null, error: { code, message } };
}

type Next = (err?: unknown) => void;

/**
 * Express middleware for the JSON-RPC paths: reads the body as UTF-8 text up to `limit` bytes
 * (a larger one is answered HTTP 413 with a JSON-RPC -32600 error naming the limit) and marks it
 * read, so that the JSON body parser leaves it alone.
 */
export function rpcBodyReader(limit = RPC_BODY_LIMIT_BYTES) {
  return (req: Request, res: Response, next: Next): void => {
    if (req.method !== 'POST' || !RPC_PATHS.includes(req.path)) return next();
    const tooLarge = () =>
      res
        .status(413)
        .set('Connection', 'close')
        .json(rpcError(RpcErrorCode.INVALID_REQUEST, `request body too large: the limit is ${limit} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk); // past the limit: drained and dropped, answered at the end
    });
    req.on('end', () => {
      if (size > limit) return void tooLarge();
      req.body = Buffer.concat(chunks).toString('utf8');
      req._body = true;
      next();
    });
    req.on('error', next);
  };
}
