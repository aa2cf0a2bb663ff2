/**
 * `npm start`: a local Rollup Mesh as separate processes: embedded PostgreSQL (unless
 * DATABASE_URL is set), the mainnet, a Wasm SPN with the example token deployed and the dev
 * accounts funded, and an EVM SPN whose genesis funds the same dev accounts (Ethereum JSON-RPC).
 * Runs until Ctrl-C, then stops the SPNs, the mainnet and Postgres in order.
 *
 * Environment: MESH_DATA_DIR (default .mesh/devnet), DATABASE_URL, MAINNET_PORT (8080),
 * SPN_PORT (8081), EVM_SPN_PORT (8545), MAINNET_TCP_PORT (7070), MAINNET_GRPC_PORT (7071),
 * LOG_LEVEL (log), DEVNET_PROVERS (unset: each SPN proves in its own process; N: N prover
 * processes per SPN, apps/prover, and the SPNs prove nothing themselves), DEVNET_WASM_SPNS (1:
 * wasm-1 only; N: wasm-1..wasm-N on SPN_PORT, SPN_PORT + 1, ...). Every Wasm SPN has the example
 * `bridge` plugin deployed (cross-SPN messages); on wasm-1 the dev accounts hold bridge tokens.
 */
import { resolve } from 'node:path';
import { SpnClient } from '@mesh/client';
import { DEV_BRIDGE, Devnet, DEV_MNEMONIC, devAccounts, setupDevPlugin, setupDevToken, type DevnetSpnOptions } from '@mesh/devnet';

const DEV_ACCOUNTS = 5;
const DEV_FUNDING = 1_000_000n;

async function main(): Promise<void> {
  const env = process.env;
  const dataDir = resolve(env.MESH_DATA_DIR || '.mesh/devnet');
  const provers = proverProcesses(env.DEVNET_PROVERS);
  const wasmSpns = countOf('DEVNET_WASM_SPNS', env.DEVNET_WASM_SPNS, 4) ?? 1;
  const spnPort = Number(env.SPN_PORT || 8081);
  const wasm: DevnetSpnOptions[] = Array.from({ length: wasmSpns }, (_, i) => ({
    spnId: `wasm-${i + 1}`,
    vm: 'wasm',
    port: spnPort === 0 ? 0 : spnPort + i,
    provers,
  }));
  process.stdout.write(`starting the devnet (data in ${dataDir}) ...\n`);
  const devnet = await Devnet.start({
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    mainnetPort: Number(env.MAINNET_PORT || 8080),
    spns: [...wasm, { spnId: 'evm-1', vm: 'evm', port: Number(env.EVM_SPN_PORT || 8545), provers }],
    mainnetTcpPort: Number(env.MAINNET_TCP_PORT || 7070),
    mainnetGrpcPort: Number(env.MAINNET_GRPC_PORT || 7071),
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
  let evmChainId: number;
  try {
    await setupDevToken(client, accounts[0], accounts, DEV_FUNDING);
    for (const spn of wasm) {
      const other = new SpnClient(devnet.node(spn.spnId).url, { chainId: devnet.chainId, spnId: spn.spnId });
      await setupDevPlugin(other, DEV_BRIDGE, accounts[0], accounts, spn.spnId === 'wasm-1' ? DEV_FUNDING : 0n);
    }
    evmChainId = await evmChainIdOf(devnet.node('evm-1').url);
  } catch (err) {
    await devnet.stop();
    throw err;
  }

  const lines = [
    '',
    '================ Rollup Mesh devnet ================',
    `mainnet      ${devnet.mainnetUrl}   (REST admin API; OpenAPI at ${devnet.mainnetUrl}/docs)`,
    `mainnet grpc 127.0.0.1:${devnet.mainnetGrpcPort}   (gRPC admin API, mesh.mainnet.v1.MainnetAdmin: libs/transport/proto)`,
    `mainnet tcp  127.0.0.1:${devnet.mainnetTcpPort}   (SPN settlement transport)`,
    ...wasm.map((spn) => `wasm SPN     ${devnet.node(spn.spnId).url}   (id ${spn.spnId}, chain ${devnet.chainId}; POST /tx, GET /status)`),
    `EVM SPN      ${devnet.node('evm-1').url}   (id evm-1; Ethereum JSON-RPC at / and /rpc, chain id ${evmChainId}; GET /status)`,
    `provers      ${provers ? `${provers} prover process${provers > 1 ? 'es' : ''} per SPN (apps/prover)` : 'in each SPN process (DEVNET_PROVERS=N: N prover processes per SPN)'}`,
    `database     ${devnet.postgres ? `embedded PostgreSQL, data in ${dataDir}/pgdata` : 'DATABASE_URL'}`,
    `token        plugin "token" deployed on wasm-1; each dev account holds ${DEV_FUNDING} tokens`,
    `bridge       plugin "bridge" on every Wasm SPN (DEVNET_WASM_SPNS=N runs N); each dev account holds ${DEV_FUNDING} on wasm-1.`,
    `             Send to another SPN: \`npm run mesh -- tx send --plugin bridge --method send --arg <spn> --arg <address> --arg 10 --dev-account 1\``,
    `             then \`npm run mesh -- message list wasm-1\` shows the message and its state.`,
    '',
    `dev accounts (mnemonic "${DEV_MNEMONIC}"; account 0 is the SPNs' operator and the token owner;`,
    `each holds 10000 ETH on the EVM SPN, and 10^24 base units of mainnet balance to stake:`,
    `\`npm run mesh -- stake bond 1000 --dev-account 0\`, \`npm run mesh -- account --dev-account 0\`):`,
    ...accounts.map((a, i) => `  (${i}) ${a.address}  key ${a.privateKey}`),
    '',
    'These keys are public: never use them for real value.',
    'Try `npm run demo` in another terminal. Ctrl-C stops everything.',
    '====================================================',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

/** DEVNET_PROVERS: unset or empty: none (the SPNs prove); else 1..16 prover processes per SPN. */
function proverProcesses(value: string | undefined): number | undefined {
  return countOf('DEVNET_PROVERS', value, 16);
}

/** A count from the environment: undefined when unset or empty, else an integer from 1 to `max`. */
function countOf(name: string, value: string | undefined, max: number): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`${name} must be an integer from 1 to ${max} (got ${JSON.stringify(value)})`);
  return n;
}

async function evmChainIdOf(url: string): Promise<number> {
  const response = await fetch(`${url}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
  });
  return Number(((await response.json()) as { result: string }).result);
}

main().catch((err: unknown) => {
  process.stderr.write(`devnet failed: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
