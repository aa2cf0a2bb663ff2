import type { DataSource } from 'typeorm';
import { redactPassword } from './connection-url';
import { createDataSource } from './data-source';
import { DatabaseError, describeCause } from './database-error';
import { startEmbeddedPostgres } from './embedded/start-embedded-postgres';
import { runMigrations } from './run-migrations';

export interface OpenDatabaseOptions {
  /** Postgres server to use (normally DATABASE_URL). Without it an embedded server is started. */
  url?: string;
  /** Data directory of the embedded server; `.mesh/pgdata` under the working directory by default. */
  dataDir?: string;
  /** Port of the embedded server; a free one by default. */
  port?: number;
  /** Log every SQL statement (TypeORM logging). */
  logging?: boolean;
}

export interface DatabaseHandle {
  /** Initialised, migrated DataSource. */
  dataSource: DataSource;
  /** Connection URL in use (with credentials: redact before logging). */
  url: string;
  /** Whether this handle started the server itself (and stops it on close). */
  embedded: boolean;
  /** Closes the pool, then stops the embedded server if there is one. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_EMBEDDED_DATA_DIR = '.mesh/pgdata';

/** Connects to the database (starting an embedded Postgres when no URL is given) and migrates it. */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  if (options.url) return connect(options.url, false, async () => {}, options.logging);
  const server = await startEmbeddedPostgres({ dataDir: options.dataDir ?? DEFAULT_EMBEDDED_DATA_DIR, port: options.port });
  try {
    return await connect(server.url, true, server.stop, options.logging);
  } catch (err) {
    await server.stop();
    throw err;
  }
}

async function connect(url: string, embedded: boolean, stopServer: () => Promise<void>, logging = false): Promise<DatabaseHandle> {
  const dataSource = createDataSource(url, logging);
  try {
    await dataSource.initialize();
  } catch (err) {
    throw new DatabaseError(`cannot connect to ${redactPassword(url)}: ${describeCause(err)}`);
  }
  try {
    await runMigrations(dataSource);
  } catch (err) {
    await dataSource.destroy();
    throw new DatabaseError(`migrating ${redactPassword(url)} failed: ${describeCause(err)}`);
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        if (dataSource.isInitialized) await dataSource.destroy();
      } finally {
        await stopServer();
      }
    })();
    return closing;
  };
  return { dataSource, url, embedded, close };
}
