import type { NestExpressApplication } from '@nestjs/platform-express';
import { MeshErrorFilter } from '@mesh/transport';
import { rpcBodyReader } from './eth-rpc.controller';
import type { SpnConfig } from './spn-config';

/** Body parsing and error mapping of the SPN app (main.ts and in-process tests use it alike). */
export function configureSpnApp(app: NestExpressApplication, config: SpnConfig): void {
  // JSON-RPC bodies are read as text first (malformed JSON is a JSON-RPC -32700, not an HTTP 400).
  if (config.vm === 'evm') app.use(rpcBodyReader());
  app.useBodyParser('json', { limit: '1mb' }); // plugin uploads; transactions are size-checked by ingress
  app.useGlobalFilters(new MeshErrorFilter());
}
