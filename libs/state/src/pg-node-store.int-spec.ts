import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '@mesh/persistence';
import { createTestDatabase } from '../../../test/support/test-database';
import { CachedNodeStore } from './cached-node-store';
import { poseidonHasher, type Hasher } from './hasher';
import { MemoryNodeStore } from './memory-node-store';
import { PgNodeStore } from './pg-node-store';
import { StateTree } from './state-tree';

const root = resolve(__dirname, '../../..');
let testDb: { url: string; drop(): Promise<void> };
let db: DatabaseHandle;
let hasher: Hasher;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase({ url: testDb.url });
  hasher = await poseidonHasher();
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

/** Runs the tree in a separate Node process against the test database. */
function treeProcess(treeId: string, depth: number, updates?: { key: string; value: string }[]) {
  const args = [resolve(root, 'node_modules/tsx/dist/cli.mjs'), 'test/support/state-tree-process.ts', testDb.url, treeId, String(depth)];
  if (updates) args.push(JSON.stringify(updates));
  const out = execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { root: string; size: number; values: Record<string, string>; proofsVerify: boolean };
}

describe('PgNodeStore (real Postgres)', () => {
  it('keeps a tree across a process restart: same root, values and proofs', async () => {
    const updates = Array.from({ length: 40 }, (_, i) => ({ key: String(1000 + (i % 25)), value: String(i * 7) }));
    const written = treeProcess('restart', 10, updates);
    const reopened = treeProcess('restart', 10);
    const memory = await StateTree.open(new MemoryNodeStore(), { depth: 10, hasher });
    await memory.update(updates);

    expect(written.root).toBe(String(memory.root));
    expect(reopened.root).toBe(written.root);
    expect(reopened.size).toBe(written.size);
    expect(written.proofsVerify).toBe(true);
    const after = treeProcess('restart', 10, [{ key: '1003', value: '0' }]);
    expect(after.values['1003']).toBe('0');
    await memory.update([{ key: 1003n, value: 0n }]);
    expect(after.root).toBe(String(memory.root));
  });

  it('keeps trees of different ids apart in the shared tables', async () => {
    const a = await StateTree.open(new PgNodeStore(db.dataSource, 'a'), { depth: 8, hasher });
    const b = await StateTree.open(new PgNodeStore(db.dataSource, 'b'), { depth: 8, hasher });
    await a.update([{ key: 1n, value: 1n }]);
    expect(await b.get(1n)).toBe(0n);
    expect(b.root).not.toBe(a.root);
  });

  it('writes a planned batch inside the caller transaction, and nothing when it rolls back', async () => {
    const store = new CachedNodeStore(new PgNodeStore(db.dataSource, 'tx'));
    const tree = await StateTree.open(store, { depth: 8, hasher });
    await tree.update([{ key: 1n, value: 1n }]);
    const before = tree.root;

    const plan = await tree.plan([{ key: 2n, value: 2n }]);
    await expect(
      db.dataSource.transaction(async (tx) => {
        await tree.commit(plan, tx);
        throw new Error('block write failed');
      }),
    ).rejects.toThrow('block write failed');
    store.invalidate();
    await tree.reload();
    expect(tree.root).toBe(before);
    expect(await tree.get(2n)).toBe(0n);

    const again = await StateTree.open(new PgNodeStore(db.dataSource, 'tx'), { depth: 8, hasher });
    expect(again.root).toBe(before);
  });

  it('refuses to reopen a stored tree with another depth', async () => {
    await expect(StateTree.open(new PgNodeStore(db.dataSource, 'a'), { depth: 9, hasher })).rejects.toThrow(/depth 8/);
  });
});
