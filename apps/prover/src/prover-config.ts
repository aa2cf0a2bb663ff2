import { hostname } from 'node:os';
import Joi from 'joi';
import { nodeEnvKeys, parseEnv, type LogLevel } from '@mesh/persistence';
import { DEFAULT_PROOF_LEASE_MS, spnIdentityEnvKeys, type SpnIdentityEnv } from '@mesh/spn-node';

export interface ProverConfig {
  /** The SPN's Postgres server (DATABASE_URL): the prover takes its jobs there and stores its proofs there. */
  databaseUrl: string;
  /** The SPN whose proving jobs this process takes (SPN_ID). */
  spnId: string;
  /** Circuit profile (CIRCUIT_PROFILE): the SPN's; its artifacts must be the ones the SPN registered. */
  circuitProfile: string;
  /** Proving workers in this process, each a prover process of its own (PROVERS). */
  provers: number;
  /** How long a taken job stays this process's before others may take it (PROVER_LEASE_MS). */
  leaseMs: number;
  /** Name of this process in the jobs it takes and proves (`locked_by`, `proved_by`). */
  name: string;
  logLevel: LogLevel;
}

interface ProverEnv extends SpnIdentityEnv {
  DATABASE_URL: string;
  PROVERS: number;
  PROVER_LEASE_MS: number;
  LOG_LEVEL: LogLevel;
}

const { DATABASE_URL, LOG_LEVEL } = nodeEnvKeys({ port: 0 });

const schema = Joi.object<ProverEnv>({
  DATABASE_URL: (DATABASE_URL as Joi.StringSchema).required().messages({
    'any.required': "{#label} is required: a prover works on its SPN's database (the SPN node's DATABASE_URL)",
  }),
  LOG_LEVEL,
  ...spnIdentityEnvKeys(),
  PROVERS: Joi.number().integer().min(1).max(16).empty('').default(1).messages({ '*': '{#label} must be an integer from 1 to 16' }),
  PROVER_LEASE_MS: Joi.number()
    .integer()
    .min(1_000)
    .max(86_400_000)
    .empty('')
    .default(DEFAULT_PROOF_LEASE_MS)
    .messages({ '*': '{#label} must be an integer number of milliseconds from 1000 to 86400000' }),
});

/** The prover process's settings from its environment; throws a ConfigError naming every bad variable. */
export function loadProverConfig(env: NodeJS.ProcessEnv, pid = process.pid): ProverConfig {
  const vars = parseEnv(schema, env);
  return {
    databaseUrl: vars.DATABASE_URL,
    spnId: vars.SPN_ID,
    circuitProfile: vars.CIRCUIT_PROFILE,
    provers: vars.PROVERS,
    leaseMs: vars.PROVER_LEASE_MS,
    name: `prover@${hostname()}:${pid}`,
    logLevel: vars.LOG_LEVEL,
  };
}
