import Joi from 'joi';
import { nodeEnvKeys, parseEnv, SECRET, toNodeConfig, type NodeConfig, type NodeEnv } from '@mesh/persistence';
import { mainnetTransportEnvKeys, toMainnetTransportConfig, type MainnetTransportConfig, type MainnetTransportEnv } from '@mesh/transport';

/** Hardhat's well-known account #0: the devnet operator when OPERATOR_KEY is unset. Never for real funds. */
export const DEV_OPERATOR_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export interface SpnConfig extends NodeConfig {
  /** Id of the SPN this node runs; keys its rows and its local files. */
  spnId: string;
  /** Execution engine; only `wasm` so far. */
  vm: 'wasm';
  /** Mesh chain id, part of every signature's domain. */
  chainId: number;
  /** Circuit profile (circuits/circuits.json) this SPN proves with. */
  circuitProfile: string;
  /** Operator key that signs settlements (0x + 64 hex). */
  operatorKey: string;
  /** True when operatorKey is the well-known development key. */
  devOperatorKey: boolean;
  /** URL this node is reachable at, registered on the mainnet; http://HOST:PORT by default. */
  publicUrl?: string;
  /** How the mainnet is reached (MAINNET_TRANSPORT, MAINNET_TCP_HOST/PORT, NATS_URL). */
  mainnet: MainnetTransportConfig;
  blockTimeMs: number;
  maxBlockTxs: number;
  batchBlocks: number;
  batchMaxMs: number;
  provers: number;
}

interface SpnEnv extends NodeEnv, MainnetTransportEnv {
  SPN_ID: string;
  VM: 'wasm';
  CHAIN_ID: number;
  CIRCUIT_PROFILE: string;
  OPERATOR_KEY?: string;
  PUBLIC_URL?: string;
  BLOCK_TIME_MS: number;
  MAX_BLOCK_TXS: number;
  BATCH_BLOCKS: number;
  BATCH_MAX_MS: number;
  PROVERS: number;
}

const int = (min: number, max: number, fallback: number) =>
  Joi.number()
    .integer()
    .min(min)
    .max(max)
    .empty('')
    .default(fallback)
    .messages({ '*': `{#label} must be an integer from ${min} to ${max}` });

const schema = Joi.object<SpnEnv>({
  ...nodeEnvKeys({ port: 8081 }),
  SPN_ID: Joi.string()
    .pattern(/^[a-z0-9-]{1,32}$/)
    .empty('')
    .default('spn-1')
    .messages({ '*': '{#label} must be 1 to 32 characters a-z, 0-9 or -' }),
  VM: Joi.string().valid('wasm').empty('').default('wasm').messages({ '*': '{#label} must be wasm (the EVM engine is not built yet)' }),
  CHAIN_ID: int(1, 2 ** 31 - 1, 4242),
  CIRCUIT_PROFILE: Joi.string()
    .pattern(/^[a-z0-9-]{1,32}$/)
    .empty('')
    .default('dev')
    .messages({ '*': '{#label} must be a profile name from circuits/circuits.json' }),
  OPERATOR_KEY: Joi.string()
    .pattern(/^0x[0-9a-fA-F]{64}$/)
    .empty('')
    .meta(SECRET)
    .messages({ '*': '{#label} must be a 0x-prefixed 32-byte hex private key' }),
  PUBLIC_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .empty('')
    .messages({ '*': '{#label} must be an http(s) URL' }),
  ...mainnetTransportEnvKeys(),
  BLOCK_TIME_MS: int(10, 60_000, 500),
  MAX_BLOCK_TXS: int(1, 10_000, 200),
  BATCH_BLOCKS: int(1, 1_000, 10),
  BATCH_MAX_MS: int(0, 3_600_000, 5_000),
  PROVERS: int(1, 16, 1),
});

/** The SPN node's settings from its environment; throws a ConfigError naming every bad variable. */
export function loadSpnConfig(env: NodeJS.ProcessEnv): SpnConfig {
  const vars = parseEnv(schema, env);
  return {
    ...toNodeConfig(vars),
    spnId: vars.SPN_ID,
    vm: vars.VM,
    chainId: vars.CHAIN_ID,
    circuitProfile: vars.CIRCUIT_PROFILE,
    operatorKey: vars.OPERATOR_KEY ?? DEV_OPERATOR_KEY,
    devOperatorKey: vars.OPERATOR_KEY === undefined,
    publicUrl: vars.PUBLIC_URL,
    mainnet: toMainnetTransportConfig(vars),
    blockTimeMs: vars.BLOCK_TIME_MS,
    maxBlockTxs: vars.MAX_BLOCK_TXS,
    batchBlocks: vars.BATCH_BLOCKS,
    batchMaxMs: vars.BATCH_MAX_MS,
    provers: vars.PROVERS,
  };
}
