import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseError, describeCause } from '../database-error';
import { dataDirFiles } from './data-dir-files';
import { embeddedOptions } from './embedded-options';
import type { EmbeddedPostgresClass } from './load-embedded-postgres';
import { LogTail } from './log-tail';

/**
 * Makes `dataDir` an initialised Postgres data directory and returns its superuser password.
 * An initialised directory is reused as it is. A new one is built in a staging directory and
 * renamed into place, so a run killed during initdb never leaves a half-made `dataDir` behind.
 */
export async function initialiseDataDir(EmbeddedPostgres: EmbeddedPostgresClass, dataDir: string): Promise<string> {
  if (existsSync(dataDirFiles(dataDir).version)) return readPassword(dataDir);
  await mkdir(dirname(dataDir), { recursive: true });
  const staging = `${dataDir}.initdb-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  const password = randomBytes(18).toString('hex');
  try {
    // initdb's output is in the error it throws; the log tail is not needed.
    await new EmbeddedPostgres(embeddedOptions(staging, password, new LogTail())).initialise();
    await writeFile(dataDirFiles(staging).password, password, { mode: 0o600 });
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    const hint = process.getuid?.() === 0 ? ' (as root, Postgres runs as user `postgres`, which must be able to reach the data dir)' : '';
    throw new DatabaseError(`initdb failed for ${dataDir}${hint}: ${describeCause(err)}`);
  }
  try {
    await rename(staging, dataDir);
    return password;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    if (existsSync(dataDirFiles(dataDir).version)) return readPassword(dataDir); // a concurrent start won
    throw new DatabaseError(`${dataDir} exists and is not an embedded Postgres data directory (${describeCause(err)})`);
  }
}

async function readPassword(dataDir: string): Promise<string> {
  try {
    return (await readFile(dataDirFiles(dataDir).password, 'utf8')).trim();
  } catch {
    throw new DatabaseError(`${dataDir} is a Postgres data directory without ${dataDirFiles(dataDir).password}: not made by Mesh`);
  }
}
