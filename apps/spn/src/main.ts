import { NestFactory } from '@nestjs/core';
import { MeshError } from '@mesh/core';
import { loadSpnConfig } from './spn-config';
import { SpnModule } from './spn.module';

async function main(): Promise<void> {
  const config = loadSpnConfig(process.env);
  const app = await NestFactory.create(SpnModule.forRoot(config), { logger: [config.logLevel], abortOnError: false });
  app.enableShutdownHooks();
  try {
    await app.listen(config.port, config.host);
  } catch (err) {
    await app.close();
    throw err;
  }
  process.stdout.write(`spn ${config.spnId} listening on ${await app.getUrl()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof MeshError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
