/**
 * `npm start`: a local Rollup Mesh as separate processes: embedded PostgreSQL (unless
 * DATABASE_URL is set), the mainnet and one Wasm SPN with the example token deployed and the
 * dev accounts funded. Runs until Ctrl-C, then stops the SPN, the mainnet and Postgres in order.
 *
 * Environment: MESH_DATA_DIR (default .mesh/devnet), DATABASE_URL, MAINNET_PORT (8080),
 * SPN_PORT (8081), MAINNET_TCP_PORT (7070), LOG_LEVEL (log).
 */
import { resolve } from 'node:path';
import { SpnClient } from '@mesh/client';
import { Devnet, DEV_MNEMONIC, devAccounts, setupDevToken } from '@mesh/devnet';

const DEV_ACCOUNTS = 5;
const DEV_FUNDING = 1_000_000n;

async function main(): Promise<void> {
  const env = process.env;
  const dataDir = resolve(env.MESH_DATA_DIR || '.mesh/devnet');
  process.stdout.write(`starting the devnet (data in ${dataDir}) ...\n`);
  const devnet = await Devnet.start({
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    mainnetPort: Number(env.MAINNET_PORT || 8080),
    spnPort: Number(env.SPN_PORT || 8081),
    mainnetTcpPort: Number(env.MAINNET_TCP_PORT || 7070),
    logLevel: env.LOG_LEVEL || 'log',
    onLine: (line) => process.stdout.write(`${line}\n`),
  });
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping the devnet ...\n');
    await devnet.stop();
    process.stdout.write('devnet stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const accounts = devAccounts(DEV_ACCOUNTS);
  const client = new SpnClient(devnet.spnUrl, { chainId: devnet.chainId, spnId: devnet.spnId });
  try {
    await setupDevToken(client, accounts[0], accounts, DEV_FUNDING);
  } catch (err) {
    await devnet.stop();
    throw err;
  }

  const lines = [
    '',
    '================ Rollup Mesh devnet ================',
    `mainnet      ${devnet.mainnetUrl}   (REST admin API; OpenAPI at ${devnet.mainnetUrl}/docs)`,
    `mainnet tcp  127.0.0.1:${devnet.mainnetTcpPort}`,
    `wasm SPN     ${devnet.spnUrl}   (id ${devnet.spnId}, chain ${devnet.chainId}; POST /tx, GET /status)`,
    `database     ${devnet.postgres ? `embedded PostgreSQL, data in ${dataDir}/pgdata` : 'DATABASE_URL'}`,
    `token        plugin "token" deployed; each dev account holds ${DEV_FUNDING} tokens`,
    '',
    `dev accounts (mnemonic "${DEV_MNEMONIC}"; account 0 is the SPN operator and token owner):`,
    ...accounts.map((a, i) => `  (${i}) ${a.address}  key ${a.privateKey}`),
    '',
    'These keys are public: never use them for real value.',
    'Try `npm run demo` in another terminal. Ctrl-C stops everything.',
    '====================================================',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`devnet failed: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
