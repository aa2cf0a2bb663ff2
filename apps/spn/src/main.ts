import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { listenError, MeshError } from '@mesh/core';
import { devGenesisAccounts, SpnNode, type EvmVm } from '@mesh/spn-node';
import { configureSpnApp } from './app-setup';
import { loadSpnConfig, type SpnConfig } from './spn-config';
import { SpnModule } from './spn.module';

async function main(): Promise<void> {
  const config = loadSpnConfig(process.env);
  const app = await NestFactory.create<NestExpressApplication>(SpnModule.forRoot(config), {
    logger: [config.logLevel],
    abortOnError: false,
  });
  configureSpnApp(app, config);
  app.enableShutdownHooks();
  try {
    await app.listen(config.port, config.host).catch((err: unknown) => {
      throw listenError(err, `${config.host}:${config.port}`, 'PORT, HOST');
    });
  } catch (err) {
    await app.close();
    throw err;
  }
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  const node = app.get(SpnNode);
  node.start(config.publicUrl ?? url);
  process.stdout.write(`spn ${config.spnId} listening on ${url}\n`);
  if (config.vm === 'evm') process.stdout.write(evmBanner(config, url, node as SpnNode<EvmVm>));
}

/** What local Ethereum devnets print: the RPC URL, the chain id and (default genesis) the funded accounts. */
function evmBanner(config: SpnConfig, url: string, node: SpnNode<EvmVm>): string {
  const lines = [`JSON-RPC: ${url}/rpc (also ${url}/), chain id ${node.vm.chainId}, block gas limit ${node.vm.blockGasLimit}`];
  if (config.evm?.devGenesis) {
    const accounts = devGenesisAccounts();
    lines.push(
      '',
      'Available accounts (mnemonic "test test test test test test test test test test test junk"; public keys: never for real value)',
      '==================',
      ...accounts.map((a, i) => `(${i}) ${a.address} (10000 ETH)`),
      '',
      'Private keys',
      '==================',
      ...accounts.map((a, i) => `(${i}) ${a.privateKey}`),
      '',
    );
  } else {
    lines.push(`genesis: ${Object.keys(config.evm?.genesis ?? {}).length} accounts from GENESIS_ALLOC`);
  }
  return lines.join('\n') + '\n';
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof MeshError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
