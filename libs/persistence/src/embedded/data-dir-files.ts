import { join } from 'node:path';

/** Files an embedded Postgres data directory holds, besides Postgres's own. */
export const dataDirFiles = (dataDir: string) => ({
  /** Written by initdb; its presence means the directory is initialised. */
  version: join(dataDir, 'PG_VERSION'),
  /** Postgres's lock file: pid of the running server on its first line. */
  postmasterPid: join(dataDir, 'postmaster.pid'),
  /** Password of the `postgres` superuser, generated at initialisation. */
  password: join(dataDir, 'mesh-password'),
  /** Pid of the process that started the server, to tell a live owner from a killed one. */
  ownerPid: join(dataDir, 'mesh-owner.pid'),
});

/** The pid on the first line of a postmaster.pid file, if it has one. */
export function parsePostmasterPid(text: string): number | undefined {
  const pid = Number(text.split('\n', 1)[0]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}
