/**
 * `npm start`'s launcher (dist/scripts/devnet.js) as a user runs it in a terminal: its own process
 * group, stopped with Ctrl-C, which a terminal sends to every process of that group. The README
 * promises that it then stops the SPNs, the mainnet and Postgres in that order, and leaves
 * nothing running.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '@mesh/persistence';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@mesh/devnet';
import { inspectProcess } from '../../libs/persistence/src/embedded/process-info';
import { assertAppsBuilt } from '../support/node-process';

const BANNER_END = 'Ctrl-C stops everything.';

/** The pids of every process below `pid`. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = inspectProcess(Number(entry));
    if (info.kind === 'running') children.set(info.parentPid, [...(children.get(info.parentPid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid: number) => inspectProcess(pid).kind === 'running';

let dataRoot: string;

beforeAll(() => {
  assertAppsBuilt();
  dataRoot = mkdtempSync(join(tmpdir(), 'mesh-devnet-'));
  chmodSync(dataRoot, 0o755); // as root, Postgres runs as the `postgres` user, which must reach the data dir
});

afterAll(() => {
  rmSync(dataRoot, { recursive: true, force: true });
});

interface Launcher {
  pid: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running: () => boolean;
}

/** `npm start`'s launcher on free ports under `dataDir`, in a process group of its own (as a shell runs a foreground job). */
async function launch(dataDir: string): Promise<Launcher> {
  const ports = { MAINNET_PORT: 0, SPN_PORT: 0, EVM_SPN_PORT: 0, MAINNET_TCP_PORT: 0, MAINNET_GRPC_PORT: 0 };
  for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await findFreePort('127.0.0.1');
  const env: NodeJS.ProcessEnv = { ...process.env, MESH_DATA_DIR: dataDir, NO_COLOR: '1', LOG_LEVEL: 'log' };
  delete env.DATABASE_URL;
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  const child = spawn(process.execPath, ['dist/scripts/devnet.js'], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return { pid: child.pid!, output: () => output, exited, running: () => child.exitCode === null && child.signalCode === null };
}

/** Waits until the devnet is up and both SPNs' first batches settled (their provers, settlement and the mainnet's ledger are at work). */
async function settledOnce(launcher: Launcher): Promise<void> {
  const up = () => {
    const output = launcher.output();
    return output.includes(BANNER_END) && ['wasm-1', 'evm-1'].every((spn) => output.includes(`batch 1 of SPN "${spn}"`));
  };
  const deadline = Date.now() + 300_000;
  while (!up()) {
    if (!launcher.running()) throw new Error(`the devnet exited before it was up:\n${launcher.output()}`);
    if (Date.now() > deadline) throw new Error(`the devnet had not settled a batch of each SPN within 300 s:\n${launcher.output()}`);
    await new Promise((wait) => setTimeout(wait, 200));
  }
}

async function waitUntilGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((wait) => setTimeout(wait, 100));
  return pids.filter(alive);
}

describe('npm start (the devnet launcher)', () => {
  let launcher: Launcher | undefined;
  let children: number[] = [];

  afterEach(() => {
    if (launcher?.running()) process.kill(-launcher.pid, 'SIGKILL');
    for (const pid of [...children, ...(launcher ? descendants(launcher.pid) : [])]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    launcher = undefined;
    children = [];
  });

  it('on Ctrl-C stops the SPNs, the mainnet and Postgres in order, without errors, and leaves no process behind', async () => {
    launcher = await launch(join(dataRoot, 'ctrl-c'));
    await settledOnce(launcher);
    children = descendants(launcher.pid);
    expect(children.length).toBeGreaterThanOrEqual(5); // postgres-process, postgres, mainnet, 2 SPNs

    process.kill(-launcher.pid, 'SIGINT'); // what Ctrl-C in the terminal does: every process of the group gets it

    expect(await launcher.exited).toEqual({ code: 0, signal: null });
    const stopping = launcher.output().slice(launcher.output().indexOf('stopping the devnet'));
    expect(stopping).toMatch(/stopping the devnet[\s\S]*postgres stopped[\s\S]*devnet stopped/);
    expect(stopping).not.toMatch(/ERROR|terminating connection/);
    expect(await waitUntilGone(children, 2_000)).toEqual([]);
  });

  it('killed the hard way, leaves nothing running: its nodes and Postgres stop by themselves (the data dir is free for the next start)', async () => {
    const dataDir = join(dataRoot, 'killed');
    launcher = await launch(dataDir);
    await settledOnce(launcher);
    children = descendants(launcher.pid);
    const postmasterPid = Number(readFileSync(join(dataDir, 'pgdata/postmaster.pid'), 'utf8').split('\n')[0]);
    expect(children).toContain(postmasterPid);

    process.kill(launcher.pid, 'SIGKILL'); // the launcher alone: a crash, or `kill -9` of it

    expect(await launcher.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await waitUntilGone(children, 30_000)).toEqual([]);
    expect(existsSync(join(dataDir, 'pgdata/postmaster.pid'))).toBe(false); // a clean shutdown removes it
  });
});
