import type { EmbeddedPostgresClass } from './load-embedded-postgres';
import type { LogTail } from './log-tail';

/** Address the embedded server listens on: loopback only, no Unix socket. */
export const EMBEDDED_HOST = '127.0.0.1';
/** Superuser created by initdb. */
export const EMBEDDED_SUPERUSER = 'postgres';

/**
 * embedded-postgres options shared by initdb and the server. Postgres refuses to run as root, so
 * as root the package runs both as the `postgres` system user (creating it if missing).
 */
export function embeddedOptions(
  databaseDir: string,
  password: string,
  log: LogTail,
  port = 0,
): ConstructorParameters<EmbeddedPostgresClass>[0] {
  return {
    databaseDir,
    port,
    user: EMBEDDED_SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', `listen_addresses=${EMBEDDED_HOST}`, '-c', 'unix_socket_directories='],
    onLog: log.append,
    onError: log.append,
  };
}
