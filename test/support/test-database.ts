import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { redactPassword, withDatabaseName } from '@mesh/persistence';

export interface TestDatabase {
  /** URL of a fresh, empty database of its own. */
  url: string;
  /** Drops the database, disconnecting whoever is still connected. Idempotent. */
  drop(): Promise<void>;
}

const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Creates a uniquely named database on the machine's PostgreSQL server (TEST_DATABASE_URL, or
 * the local server with trust auth). Test files running in parallel each get their own database;
 * it is copied from template0, which nobody can be connected to, so concurrent creations never
 * fail with "source database is being accessed by other users".
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL || DEFAULT_SERVER_URL;
  const name = `mesh_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE template0`));
  let dropping: Promise<void> | undefined;
  return {
    url: withDatabaseName(serverUrl, name),
    drop: () =>
      (dropping ??= onServer(serverUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      })),
  };
}

async function onServer<T>(serverUrl: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  try {
    await client.connect();
  } catch (err) {
    const reason = (err as Error).message || (err as NodeJS.ErrnoException).code;
    throw new Error(`test PostgreSQL server unreachable at ${redactPassword(serverUrl)} (set TEST_DATABASE_URL): ${reason}`);
  }
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
