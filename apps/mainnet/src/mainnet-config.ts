import Joi from 'joi';
import { nodeEnvKeys, parseEnv, toNodeConfig, type NodeConfig, type NodeEnv } from '@mesh/persistence';

export type MainnetConfig = NodeConfig;

const schema = Joi.object<NodeEnv>(nodeEnvKeys({ port: 8080 }));

/** The mainnet's settings from its environment; throws a ConfigError naming every bad variable. */
export function loadMainnetConfig(env: NodeJS.ProcessEnv): MainnetConfig {
  return toNodeConfig(parseEnv(schema, env));
}
