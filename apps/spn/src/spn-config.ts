import Joi from 'joi';
import { nodeEnvKeys, parseEnv, toNodeConfig, type NodeConfig, type NodeEnv } from '@mesh/persistence';

export interface SpnConfig extends NodeConfig {
  /** Id of the SPN this node runs; keys its rows and its local files. */
  spnId: string;
  /** Base URL of the mainnet this SPN settles to. */
  mainnetUrl: string;
}

interface SpnEnv extends NodeEnv {
  SPN_ID: string;
  MAINNET_URL: string;
}

const schema = Joi.object<SpnEnv>({
  ...nodeEnvKeys({ port: 8081 }),
  SPN_ID: Joi.string()
    .pattern(/^[a-z0-9-]{1,32}$/)
    .empty('')
    .default('spn-1')
    .messages({ '*': '{#label} must be 1 to 32 characters a-z, 0-9 or -' }),
  MAINNET_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .empty('')
    .default('http://127.0.0.1:8080')
    .messages({ '*': '{#label} must be an http(s) URL' }),
});

/** The SPN node's settings from its environment; throws a ConfigError naming every bad variable. */
export function loadSpnConfig(env: NodeJS.ProcessEnv): SpnConfig {
  const vars = parseEnv(schema, env);
  return { ...toNodeConfig(vars), spnId: vars.SPN_ID, mainnetUrl: vars.MAINNET_URL };
}
