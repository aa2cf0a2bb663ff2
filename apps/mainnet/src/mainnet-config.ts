import Joi from 'joi';
import { nodeEnvKeys, parseEnv, toNodeConfig, type NodeConfig, type NodeEnv } from '@mesh/persistence';
import {
  DEFAULT_MAINNET_GRPC_PORT,
  mainnetTransportEnvKeys,
  toMainnetTransportConfig,
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
}

interface MainnetEnv extends NodeEnv, MainnetTransportEnv {
  CHAIN_ID: number;
  MAINNET_BLOCK_MS: number;
  MAINNET_GRPC_PORT: number;
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
  };
}
