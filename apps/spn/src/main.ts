import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MeshError } from '@mesh/core';
import { SpnNode } from '@mesh/spn-node';
import { MeshErrorFilter } from '@mesh/transport';
import { loadSpnConfig } from './spn-config';
import { SpnModule } from './spn.module';

async function main(): Promise<void> {
  const config = loadSpnConfig(process.env);
  const app = await NestFactory.create<NestExpressApplication>(SpnModule.forRoot(config), {
    logger: [config.logLevel],
    abortOnError: false,
  });
  app.useBodyParser('json', { limit: '1mb' }); // plugin uploads; transactions are size-checked by ingress
  app.useGlobalFilters(new MeshErrorFilter());
  app.enableShutdownHooks();
  try {
    await app.listen(config.port, config.host);
  } catch (err) {
    await app.close();
    throw err;
  }
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  app.get(SpnNode).start(config.publicUrl ?? url);
  process.stdout.write(`spn ${config.spnId} listening on ${url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof MeshError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
