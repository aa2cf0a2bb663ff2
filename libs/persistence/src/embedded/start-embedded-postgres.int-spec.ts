import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { migrations } from '../migrations';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../open-database';
import { findFreePort } from './free-port';
import { startEmbeddedPostgres } from './start-embedded-postgres';

const REPO = resolve(__dirname, '../../../..');
let dataDir: string;

beforeEach(() => {
  const parent = mkdtempSync(join(tmpdir(), 'mesh-embedded-'));
  chmodSync(parent, 0o755); // as root, Postgres runs as the `postgres` user, which must reach the data dir
  dataDir = join(parent, 'pgdata');
});

afterEach(() => {
  rmSync(resolve(dataDir, '..'), { recursive: true, force: true });
});

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Starts an embedded Postgres in another process and returns that process and the server URL. */
async function startInChildProcess(): Promise<{ child: ReturnType<typeof spawn>; url: string }> {
  // `node --import tsx` rather than the tsx CLI, which would run the script in a grandchild.
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/embedded-postgres-process.ts', dataDir], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) return { child, url: line };
  throw new Error('the child process exited without printing a URL');
}

describe('openDatabase with an embedded Postgres', () => {
  it('keeps the data across close and reopen of the same data dir', async () => {
    const first = await openDatabase({ dataDir });
    expect(first.embedded).toBe(true);
    expect(first.url).toMatch(/^postgres:\/\/postgres:[0-9a-f]+@127\.0\.0\.1:\d+\/mesh$/);
    await first.dataSource.query(`INSERT INTO state_tree (tree_id, depth, root) VALUES ('spn-1', 20, 123456789012345678901234567890)`);
    await first.close();
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false); // the server shut down cleanly

    const second = await openDatabase({ dataDir });
    try {
      expect(await second.dataSource.query(`SELECT tree_id, depth, root FROM state_tree`)).toEqual([
        { tree_id: 'spn-1', depth: 20, root: '123456789012345678901234567890' },
      ]);
      expect(await second.dataSource.query('SELECT name FROM migrations ORDER BY id')).toEqual(
        migrations.map((m) => ({ name: new m().name })),
      );
    } finally {
      await second.close();
    }
  });

  it('takes over a data dir whose owner was killed while its server kept running', async () => {
    const { child, url } = await startInChildProcess();
    await query(url, `CREATE TABLE survivor (note text); INSERT INTO survivor VALUES ('written before the kill')`);
    child.kill('SIGKILL');
    await new Promise((done) => child.once('exit', done));
    expect(await query(url, 'SELECT 1 AS alive')).toEqual([{ alive: 1 }]); // orphaned server still up

    const database = await openDatabase({ dataDir });
    try {
      expect(await database.dataSource.query('SELECT note FROM survivor')).toEqual([{ note: 'written before the kill' }]);
    } finally {
      await database.close();
    }
    await expect(query(url, 'SELECT 1')).rejects.toThrow(); // the orphan is gone, not left running beside ours
  });

  it('refuses a data dir whose server belongs to a live process', async () => {
    const owner = await openDatabase({ dataDir });
    try {
      await expect(openDatabase({ dataDir })).rejects.toThrow(`in use by a server that process ${process.pid} runs`);
    } finally {
      await owner.close();
    }
  });
});

describe('startEmbeddedPostgres', () => {
  it('listens on the port it is given and stops idempotently', async () => {
    const port = await findFreePort('127.0.0.1');
    const server = await startEmbeddedPostgres({ dataDir, port });

    expect(new URL(server.url).port).toBe(String(port));
    expect(await query(server.url, 'SELECT current_database() AS db')).toEqual([{ db: 'mesh' }]);
    await Promise.all([server.stop(), server.stop()]);
    await expect(query(server.url, 'SELECT 1')).rejects.toThrow();
  });
});
