import { readFileSync } from 'node:fs';
import Joi from 'joi';
import { ConfigError } from '@mesh/core';
import { DEFAULT_SLASH_BPS, DEFAULT_UNBONDING_MS, parseGenesisBalances } from '@mesh/mainnet';
import { nodeEnvKeys, parseEnv, SECRET, toNodeConfig, type NodeConfig, type NodeEnv } from '@mesh/persistence';
import {
  DEFAULT_MAINNET_GRPC_PORT,
  mainnetTransportEnvKeys,
  toMainnetTransportConfig,
  type GrpcServerTls,
  type MainnetTransportConfig,
  type MainnetTransportEnv,
} from '@mesh/transport';

export interface MainnetConfig extends NodeConfig {
  /** Chain id of the signing domain: batch headers signed for another chain do not verify. */
  chainId: number;
  /** The SPN <-> mainnet microservice transport (TCP by default). */
  transport: MainnetTransportConfig;
  /** Milliseconds between two mainnet blocks. */
  blockMs: number;
  /** Port of the gRPC admin API (on HOST); 0: any free port. */
  grpcPort: number;
  /** TLS identity of the gRPC admin API (MAINNET_GRPC_TLS_CERT / _KEY); plaintext when unset. */
  grpcTls?: GrpcServerTls;
  /** How long unbonding stake waits before it can be withdrawn (MAINNET_UNBONDING_MS). */
  unbondingMs: number;
  /** Share of an operator's slashable stake a proven fault burns, in basis points (MAINNET_SLASH_BPS). */
  slashBps: number;
  /** Balances credited by the first start that gives them (MAINNET_GENESIS_BALANCES). */
  genesisBalances: Map<string, bigint>;
  /** When set, registering an SPN over REST or gRPC needs `Authorization: Bearer <token>` (MAINNET_ADMIN_TOKEN). */
  adminToken?: string;
}

interface MainnetEnv extends NodeEnv, MainnetTransportEnv {
  CHAIN_ID: number;
  MAINNET_BLOCK_MS: number;
  MAINNET_GRPC_PORT: number;
  MAINNET_GRPC_TLS_CERT?: string;
  MAINNET_GRPC_TLS_KEY?: string;
  MAINNET_UNBONDING_MS: number;
  MAINNET_SLASH_BPS: number;
  MAINNET_GENESIS_BALANCES?: string;
  MAINNET_ADMIN_TOKEN?: string;
}

export const DEFAULT_CHAIN_ID = 4242;

const schema = Joi.object<MainnetEnv>({
  ...nodeEnvKeys({ port: 8080 }),
  ...mainnetTransportEnvKeys(),
  CHAIN_ID: Joi.number()
    .integer()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .empty('')
    .default(DEFAULT_CHAIN_ID)
    .messages({ '*': '{#label} must be a positive integer' }),
  MAINNET_BLOCK_MS: Joi.number()
    .integer()
    .min(10)
    .max(3_600_000)
    .empty('')
    .default(1000)
    .messages({ '*': '{#label} must be an integer number of milliseconds from 10 to 3600000' }),
  MAINNET_GRPC_PORT: Joi.number().port().empty('').default(DEFAULT_MAINNET_GRPC_PORT).messages({ '*': '{#label} must be a port number' }),
  MAINNET_GRPC_TLS_CERT: Joi.string().empty(''),
  MAINNET_GRPC_TLS_KEY: Joi.string().empty(''),
  MAINNET_UNBONDING_MS: Joi.number()
    .integer()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .empty('')
    .default(DEFAULT_UNBONDING_MS)
    .messages({ '*': '{#label} must be a non-negative integer number of milliseconds' }),
  MAINNET_SLASH_BPS: Joi.number()
    .integer()
    .min(0)
    .max(10_000)
    .empty('')
    .default(DEFAULT_SLASH_BPS)
    .messages({ '*': '{#label} must be an integer from 0 to 10000 (basis points)' }),
  MAINNET_GENESIS_BALANCES: Joi.string().empty(''),
  MAINNET_ADMIN_TOKEN: Joi.string()
    .min(16)
    .pattern(/^[\x21-\x7e]+$/)
    .empty('')
    .meta(SECRET)
    .messages({ '*': '{#label} must be at least 16 printable characters without spaces' }),
});

/**
 * The mainnet's settings from its environment; throws a ConfigError naming every bad variable.
 * The TCP microservice listens on MAINNET_TCP_HOST, or on HOST when that is unset.
 */
export function loadMainnetConfig(env: NodeJS.ProcessEnv): MainnetConfig {
  const vars = parseEnv(schema, env);
  return {
    ...toNodeConfig(vars),
    chainId: vars.CHAIN_ID,
    transport: toMainnetTransportConfig(vars, vars.HOST),
    blockMs: vars.MAINNET_BLOCK_MS,
    grpcPort: vars.MAINNET_GRPC_PORT,
    unbondingMs: vars.MAINNET_UNBONDING_MS,
    slashBps: vars.MAINNET_SLASH_BPS,
    genesisBalances: loadGenesisBalances(vars.MAINNET_GENESIS_BALANCES),
    ...(vars.MAINNET_ADMIN_TOKEN ? { adminToken: vars.MAINNET_ADMIN_TOKEN } : {}),
    ...(vars.MAINNET_GRPC_TLS_CERT || vars.MAINNET_GRPC_TLS_KEY ? { grpcTls: loadGrpcTls(vars) } : {}),
  };
}

/** MAINNET_GENESIS_BALANCES: `0xaddress=amount,...` (libs/mainnet parseGenesisBalances). */
function loadGenesisBalances(text: string | undefined): Map<string, bigint> {
  if (text === undefined) return new Map();
  try {
    return parseGenesisBalances(text);
  } catch (err) {
    throw new ConfigError(
      `Invalid configuration: MAINNET_GENESIS_BALANCES must be 0xaddress=amount pairs separated by commas: ${(err as Error).message}`,
      {
        variables: ['MAINNET_GENESIS_BALANCES'],
      },
    );
  }
}

/** MAINNET_GRPC_TLS_CERT and MAINNET_GRPC_TLS_KEY: PEM files, both or neither, read at start. */
function loadGrpcTls(vars: MainnetEnv): GrpcServerTls {
  const pem = (name: 'MAINNET_GRPC_TLS_CERT' | 'MAINNET_GRPC_TLS_KEY', what: string): Buffer => {
    const problem = (message: string) => new ConfigError(`Invalid configuration: ${name} ${message}`, { variables: [name] });
    const path = vars[name];
    if (!path)
      throw problem(
        `is required with ${name === 'MAINNET_GRPC_TLS_CERT' ? 'MAINNET_GRPC_TLS_KEY' : 'MAINNET_GRPC_TLS_CERT'} (both or neither)`,
      );
    let text: Buffer;
    try {
      text = readFileSync(path);
    } catch (err) {
      throw problem(
        `must be the path of a PEM file (cannot read ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    if (!new RegExp(`-----BEGIN [A-Z ]*${what}-----`).test(text.toString('latin1')))
      throw problem(`must be a PEM file holding a ${what} (${JSON.stringify(path)})`);
    return text;
  };
  return { certChain: pem('MAINNET_GRPC_TLS_CERT', 'CERTIFICATE'), privateKey: pem('MAINNET_GRPC_TLS_KEY', 'PRIVATE KEY') };
}
