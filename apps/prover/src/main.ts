import { NestFactory } from '@nestjs/core';
import { MeshError } from '@mesh/core';
import { ProvingPool } from '@mesh/spn-node';
import { loadProverConfig } from './prover-config';
import { ProverModule } from './prover.module';

async function main(): Promise<void> {
  const config = loadProverConfig(process.env);
  const app = await NestFactory.createApplicationContext(ProverModule.forRoot(config), {
    logger: [config.logLevel],
    abortOnError: false,
  });
  app.enableShutdownHooks();
  await app.init();
  const pool = app.get(ProvingPool);
  process.stdout.write(
    `prover ${config.name} proving SPN ${config.spnId}: ${pool.size} prover${pool.size > 1 ? 's' : ''}, ` +
      `profile ${config.circuitProfile}, verification key ${pool.vkHash}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof MeshError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
