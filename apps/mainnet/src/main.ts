import { NestFactory } from '@nestjs/core';
import { MeshError } from '@mesh/core';
import { loadMainnetConfig } from './mainnet-config';
import { MainnetModule } from './mainnet.module';

async function main(): Promise<void> {
  const config = loadMainnetConfig(process.env);
  const app = await NestFactory.create(MainnetModule.forRoot(config), { logger: [config.logLevel], abortOnError: false });
  app.enableShutdownHooks();
  try {
    await app.listen(config.port, config.host);
  } catch (err) {
    await app.close();
    throw err;
  }
  process.stdout.write(`mainnet listening on ${await app.getUrl()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof MeshError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
