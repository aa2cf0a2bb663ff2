import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Wallet } from 'ethers';
import { devAccount } from '@mesh/devnet';
import { UsageError, type CliIo } from './cli-io';

export const DEFAULT_MAINNET_URL = 'http://127.0.0.1:8080';
export const DEFAULT_SPN_URL = 'http://127.0.0.1:8081';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** Where the nodes are: `--mainnet` / `--spn`, else MESH_MAINNET_URL / MESH_SPN_URL, else the devnet's. */
export const NODE_OPTIONS = {
  mainnet: { type: 'string' },
  spn: { type: 'string' },
} as const satisfies Options;

/** Who signs: `--dev-account N` (the devnet's public test accounts), else MESH_KEY. A key is never taken on the command line (ps would show it). */
export const SIGNER_OPTIONS = {
  'dev-account': { type: 'string' },
} as const satisfies Options;

/**
 * node:util parseArgs in strict mode for one command; an unknown option or a missing value is a
 * UsageError naming the command.
 */
export function parseCommand<O extends Options>(command: string, argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message, command);
  }
}

export function mainnetUrl(values: { mainnet?: string }, io: CliIo): string {
  return httpUrl(values.mainnet ?? io.env.MESH_MAINNET_URL ?? DEFAULT_MAINNET_URL, '--mainnet / MESH_MAINNET_URL');
}

export function spnUrl(values: { spn?: string }, io: CliIo): string {
  return httpUrl(values.spn ?? io.env.MESH_SPN_URL ?? DEFAULT_SPN_URL, '--spn / MESH_SPN_URL');
}

function httpUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${what} must be an http(s) URL (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${what} must be an http(s) URL (got ${JSON.stringify(value)})`);
  return value.replace(/\/$/, '');
}

/** The signing key: `--dev-account N` (0-9) or MESH_KEY (0x + 64 hex). */
export function signer(values: { 'dev-account'?: string }, io: CliIo, command: string): Wallet {
  const dev = values['dev-account'];
  if (dev !== undefined) {
    const n = Number(dev);
    if (!/^\d+$/.test(dev) || n > 9)
      throw new UsageError(`--dev-account must be an integer from 0 to 9 (got ${JSON.stringify(dev)})`, command);
    const account = devAccount(n);
    return new Wallet(account.privateKey);
  }
  const key = io.env.MESH_KEY;
  if (!key) throw new UsageError('no signing key: set MESH_KEY (0x + 64 hex digits), or pass --dev-account N on a devnet', command);
  if (!/^0x[0-9a-fA-F]{64}$/.test(key))
    throw new UsageError('MESH_KEY must be a 0x-prefixed 32-byte hex private key (value hidden)', command);
  return new Wallet(key);
}

/** A required string option, as a UsageError naming it when missing or empty. */
export function required(value: string | undefined, name: string, command: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`, command);
  return value;
}
