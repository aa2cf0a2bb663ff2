import Joi from 'joi';
import { join } from 'node:path';
import type { OpenDatabaseOptions } from '../open-database';
import { SECRET } from './parse-env';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Environment variables every Mesh node process reads. */
export interface NodeEnv {
  PORT: number;
  HOST: string;
  DATABASE_URL?: string;
  MESH_DATA_DIR: string;
  LOG_LEVEL: LogLevel;
}

/** Settings every Mesh node process shares, read from NodeEnv. */
export interface NodeConfig {
  /** HTTP port (0: any free port). */
  port: number;
  host: string;
  /** Postgres server to use; an embedded one is started when unset. */
  databaseUrl?: string;
  /** Root of the node's local files (relative to the working directory unless absolute). */
  dataDir: string;
  /** Least severe level that is logged. */
  logLevel: LogLevel;
}

/** Joi keys of NodeEnv; an empty variable counts as unset. */
export function nodeEnvKeys(defaults: { port: number }): Joi.PartialSchemaMap<NodeEnv> {
  return {
    PORT: Joi.number().port().empty('').default(defaults.port).messages({ '*': '{#label} must be a port number' }),
    HOST: Joi.string().hostname().empty('').default('127.0.0.1').messages({ '*': '{#label} must be a host name or IP address' }),
    DATABASE_URL: Joi.string()
      .uri({ scheme: ['postgres', 'postgresql'] })
      .empty('')
      .meta(SECRET)
      .messages({ '*': '{#label} must be a postgres:// URL' }),
    MESH_DATA_DIR: Joi.string().empty('').default('.mesh'),
    LOG_LEVEL: Joi.string()
      .valid(...LOG_LEVELS)
      .empty('')
      .default('log')
      .messages({ '*': `{#label} must be one of ${LOG_LEVELS.join(', ')}` }),
  };
}

export function toNodeConfig(env: NodeEnv): NodeConfig {
  return {
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.MESH_DATA_DIR,
    logLevel: env.LOG_LEVEL,
  };
}

/**
 * Where a node's database is: DATABASE_URL, or else an embedded Postgres under
 * `<MESH_DATA_DIR>/<nodeName>/pgdata`, one per node, so that nodes started side by side in
 * one directory do not contend for the same data directory.
 */
export function nodeDatabaseOptions(config: NodeConfig, nodeName: string): OpenDatabaseOptions {
  return config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(config.dataDir, nodeName, 'pgdata') };
}
