import { readFile, rm } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseError } from '../database-error';
import { dataDirFiles, parsePostmasterPid } from './data-dir-files';
import { inspectProcess } from './process-info';

const ORPHAN_STOP_TIMEOUT_MS = 30_000;

/**
 * Makes `dataDir` startable again after the process that ran its server was killed (SIGKILL,
 * crash): a postmaster.pid whose pid now belongs to another program is removed, and a server
 * left running without its owner (orphaned) is shut down. A server whose owner is still alive is
 * left alone: that is an error. Without /proc (not Linux) nothing is touched and Postgres's
 * own lock-file check decides.
 */
export async function recoverFromKilledRun(dataDir: string): Promise<void> {
  const files = dataDirFiles(dataDir);
  const pid = parsePostmasterPid(await readFile(files.postmasterPid, 'utf8').catch(() => ''));
  if (pid === undefined) return;
  const server = inspectProcess(pid);
  if (server.kind === 'unknown') return;
  if (server.kind === 'gone' || !isPostmasterOf(server.args, dataDir)) {
    await rm(files.postmasterPid, { force: true });
    return;
  }
  const ownerPid = Number(await readFile(files.ownerPid, 'utf8').catch(() => NaN));
  if (server.parentPid === ownerPid) {
    throw new DatabaseError(
      `embedded Postgres data dir ${dataDir} is in use by a server that process ${ownerPid} runs: stop that process or use another data dir`,
    );
  }
  await stopOrphan(pid, dataDir);
}

/** Whether a command line is a Postgres server (postmaster) on `dataDir`. */
export function isPostmasterOf(args: readonly string[], dataDir: string): boolean {
  const dirFlag = args.indexOf('-D');
  return basename(args[0] ?? '') === 'postgres' && dirFlag > 0 && resolve(args[dirFlag + 1] ?? '') === resolve(dataDir);
}

async function stopOrphan(pid: number, dataDir: string): Promise<void> {
  process.kill(pid, 'SIGINT'); // Postgres's fast shutdown: consistent on disk, no recovery needed
  const deadline = Date.now() + ORPHAN_STOP_TIMEOUT_MS;
  while (inspectProcess(pid).kind === 'running') {
    if (Date.now() > deadline) {
      throw new DatabaseError(`orphaned embedded Postgres (pid ${pid}) on ${dataDir} did not stop within ${ORPHAN_STOP_TIMEOUT_MS} ms`);
    }
    await sleep(50);
  }
}
