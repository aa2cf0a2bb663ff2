import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { SpnClient, type TxInfo } from '@mesh/client';
import type { TxStatus } from '@mesh/core';
import { UsageError, type CliIo } from '../cli-io';
import { COMMON_OPTIONS, NODE_OPTIONS, parseCommand, required, SIGNER_OPTIONS, signer, spnUrl } from '../options';

export const TX_USAGE = `mesh tx send --plugin NAME --method NAME [--arg VALUE ...] [--gas-limit N] [--wait none|included|settled] [--timeout SECONDS] [--spn URL] [--dev-account N] [--json]
mesh tx show <hash> [--spn URL] [--json]
  A Wasm SPN's signed plugin call. The key: MESH_KEY, or --dev-account N (the devnet's public accounts).
  --wait included (default) waits until the tx is in a block, settled until its batch settled on the mainnet.`;

export const PLUGIN_USAGE = `mesh plugin build <dir> [--text]
mesh plugin deploy <file.wasm> [--name NAME] [--wait none|included|settled] [--timeout SECONDS] [--spn URL] [--dev-account N] [--json]
mesh plugin list [--spn URL] [--json]
  build compiles <dir>/assembly/index.ts (AssemblyScript, libs/sdk-as) to <dir>/build/plugin.wasm.
  deploy's NAME defaults to the plugin's folder name (<name>/build/plugin.wasm).`;

export const STATE_USAGE = `mesh state <plugin> <key> [--spn URL] [--json]
  A plugin storage value of a Wasm SPN, at its latest block.`;

const WAIT_OPTIONS = {
  wait: { type: 'string', default: 'included' },
  timeout: { type: 'string' },
} as const;

const DONE: Record<string, readonly TxStatus[]> = { included: ['included', 'failed', 'settled'], settled: ['settled', 'failed'] };

export async function txCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'send') return send(rest, io);
  if (sub === 'show') return show(rest, io);
  throw new UsageError(sub ? `unknown command: tx ${sub}` : 'tx needs a command: send or show', 'tx');
}

export async function pluginCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'build') return build(rest, io);
  if (sub === 'deploy') return deploy(rest, io);
  if (sub === 'list') return listPlugins(rest, io);
  throw new UsageError(sub ? `unknown command: plugin ${sub}` : 'plugin needs a command: build, deploy or list', 'plugin');
}

export async function stateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('state', argv, { ...COMMON_OPTIONS, spn: NODE_OPTIONS.spn });
  if (positionals.length !== 2) throw new UsageError('state needs a plugin and a key', 'state');
  const value = await reader(spnUrl(values, io)).state(positionals[0], positionals[1]);
  io.out(values.json ? JSON.stringify(value, null, 2) + '\n' : `${value.u64 ?? value.value ?? '(unset)'}\n`);
  return 0;
}

async function send(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    'tx',
    argv,
    {
      ...COMMON_OPTIONS,
      ...SIGNER_OPTIONS,
      ...WAIT_OPTIONS,
      spn: NODE_OPTIONS.spn,
      plugin: { type: 'string' },
      method: { type: 'string' },
      arg: { type: 'string', multiple: true, default: [] },
      'gas-limit': { type: 'string' },
    },
    false,
  );
  const plugin = required(values.plugin, 'plugin', 'tx');
  const method = required(values.method, 'method', 'tx');
  const gasLimit = values['gas-limit'] === undefined ? undefined : positiveInteger(values['gas-limit'], '--gas-limit', 'tx');
  const wait = waitFor(values, 'tx');
  const key = signer(values, io, 'tx');
  const client = await connect(spnUrl(values, io));
  const nonce = await client.nextNonce(key.address);
  const hash = await client.call(key, { plugin, method, args: values.arg, nonce, ...(gasLimit === undefined ? {} : { gasLimit }) });
  return report(client, hash, wait, values.json === true, io);
}

async function show(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('tx', argv, { ...COMMON_OPTIONS, spn: NODE_OPTIONS.spn });
  if (positionals.length !== 1) throw new UsageError('tx show needs one tx hash', 'tx');
  const info = await reader(spnUrl(values, io)).tx(positionals[0]);
  io.out(values.json ? JSON.stringify(info, null, 2) + '\n' : describeTx(info));
  return 0;
}

async function build(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('plugin', argv, { ...COMMON_OPTIONS, text: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError('plugin build needs one plugin folder', 'plugin');
  // Loaded only here: the AssemblyScript compiler is large.
  const { buildPlugin } = await import('@mesh/sdk-as');
  const built = await buildPlugin(positionals[0], { text: values.text === true });
  io.out(values.json ? JSON.stringify(built, null, 2) + '\n' : `${built.wasmPath}: ${built.bytes} bytes (${Math.round(built.ms)} ms)\n`);
  return 0;
}

async function deploy(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('plugin', argv, {
    ...COMMON_OPTIONS,
    ...SIGNER_OPTIONS,
    ...WAIT_OPTIONS,
    spn: NODE_OPTIONS.spn,
    name: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('plugin deploy needs one .wasm file', 'plugin');
  const file = positionals[0];
  const name = values.name ?? (basename(dirname(file)) === 'build' ? basename(dirname(dirname(file))) : undefined);
  if (!name) throw new UsageError('--name is required (the file is not <name>/build/plugin.wasm)', 'plugin');
  let code: Buffer;
  try {
    code = readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'plugin');
  }
  const wait = waitFor(values, 'plugin');
  const key = signer(values, io, 'plugin');
  const client = await connect(spnUrl(values, io));
  const nonce = await client.nextNonce(key.address);
  const hash = await client.deploy(key, name, code, nonce);
  return report(client, hash, wait, values.json === true, io);
}

async function listPlugins(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('plugin', argv, { ...COMMON_OPTIONS, spn: NODE_OPTIONS.spn }, false);
  const plugins = await reader(spnUrl(values, io)).plugins();
  if (values.json) io.out(JSON.stringify(plugins, null, 2) + '\n');
  else for (const p of plugins) io.out(`${p.name}: ${p.methods.join(', ')}\n`);
  return 0;
}

/** A client for reads only (no signing domain needed). */
function reader(url: string): SpnClient {
  return new SpnClient(url, { chainId: 0, spnId: '' });
}

/** A client signing for this SPN: its id and chain id come from its /status. */
async function connect(url: string): Promise<SpnClient> {
  const status = await reader(url).status();
  if (status.vm !== 'wasm')
    throw new UsageError(`${url} is an EVM SPN: send Ethereum txs to its JSON-RPC (${url}/rpc) with any Ethereum tool`);
  return new SpnClient(url, { chainId: status.chainId, spnId: status.spnId });
}

function waitFor(values: { wait?: string; timeout?: string }, command: string): { statuses?: readonly TxStatus[]; timeoutMs: number } {
  const wait = values.wait ?? 'included';
  if (wait !== 'none' && !(wait in DONE))
    throw new UsageError(`--wait must be none, included or settled (got ${JSON.stringify(wait)})`, command);
  const seconds = values.timeout === undefined ? (wait === 'settled' ? 900 : 120) : positiveInteger(values.timeout, '--timeout', command);
  return { statuses: wait === 'none' ? undefined : DONE[wait], timeoutMs: Number(seconds) * 1000 };
}

function positiveInteger(value: string, what: string, command: string): bigint {
  if (!/^[1-9]\d{0,17}$/.test(value)) throw new UsageError(`${what} must be a positive integer (got ${JSON.stringify(value)})`, command);
  return BigInt(value);
}

/** Prints the tx (after waiting when asked); exit code 1 when it failed on the SPN (reverted, out of gas, ...). */
async function report(
  client: SpnClient,
  hash: string,
  wait: { statuses?: readonly TxStatus[]; timeoutMs: number },
  json: boolean,
  io: CliIo,
): Promise<number> {
  const info = wait.statuses ? await client.waitFor(hash, wait.statuses, wait.timeoutMs) : await client.tx(hash);
  io.out(json ? JSON.stringify(info, null, 2) + '\n' : describeTx(info));
  return info.status === 'failed' ? 1 : 0;
}

export function describeTx(info: TxInfo): string {
  const where = info.blockNumber === null ? '' : ` in block ${info.blockNumber}${info.batchNo === null ? '' : `, batch ${info.batchNo}`}`;
  const lines = [`${info.kind} ${info.hash} from ${info.from} (nonce ${info.nonce}): ${info.status}${where}`];
  const r = info.receipt;
  if (r) {
    lines.push(
      `  receipt: ${r.status}, gas ${r.gasUsed}${r.error ? `, ${r.error}` : ''}${r.returnData && r.returnData !== '0x' ? `, returned ${r.returnData}` : ''}`,
    );
    for (const e of r.events) lines.push(`  event ${e.name}: ${e.data}`);
  }
  for (const m of info.sentMessages ?? [])
    lines.push(`  message #${m.nonce} to ${m.dstSpn}: trace id ${m.traceId} (\`mesh message ${m.traceId}\` once its batch settles)`);
  return lines.join('\n') + '\n';
}
