import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { DatabaseError } from './database-error';
import { migrations } from './migrations';
import { openDatabase, type DatabaseHandle } from './open-database';

const STATE_TABLES = ['state_leaf', 'state_node', 'state_tree'];
const ALL_MIGRATIONS = migrations.map((m) => new m().name);

let testDb: TestDatabase;
const opened: DatabaseHandle[] = [];

async function open(): Promise<DatabaseHandle> {
  const database = await openDatabase({ url: testDb.url });
  opened.push(database);
  return database;
}

async function stateTables(database: DatabaseHandle): Promise<string[]> {
  const rows: { table_name: string }[] = await database.dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'state_%' ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

async function migrationNames(database: DatabaseHandle): Promise<string[]> {
  const rows: { name: string }[] = await database.dataSource.query('SELECT name FROM migrations ORDER BY id');
  return rows.map((row) => row.name);
}

beforeEach(async () => {
  testDb = await createTestDatabase();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((database) => database.close()));
  await testDb.drop();
});

describe('openDatabase on a server (DATABASE_URL)', () => {
  it('runs the migrations: the state tree tables and the migration row exist', async () => {
    const database = await open();

    expect(database.embedded).toBe(false);
    expect(database.url).toBe(testDb.url);
    expect(await stateTables(database)).toEqual(STATE_TABLES);
    expect(await migrationNames(database)).toEqual(ALL_MIGRATIONS);
    const indexes: { indexdef: string }[] = await database.dataSource.query(
      `SELECT indexdef FROM pg_indexes WHERE indexname = 'state_leaf_key'`,
    );
    expect(indexes[0].indexdef).toMatch(/UNIQUE INDEX state_leaf_key ON public\.state_leaf USING btree \(tree_id, key\)/);
  });

  it('is idempotent: opening again applies nothing twice', async () => {
    await (await open()).close();
    const again = await open();

    expect(await migrationNames(again)).toEqual(ALL_MIGRATIONS);
    expect(await stateTables(again)).toEqual(STATE_TABLES);
  });

  it('lets several processes open a fresh database at once (migrations are serialised)', async () => {
    const all = await Promise.all([open(), open(), open(), open()]);

    expect(await migrationNames(all[0])).toEqual(ALL_MIGRATIONS);
  });

  it('has down migrations that drop every table', async () => {
    const database = await open();
    for (let i = 0; i < migrations.length; i++) await database.dataSource.undoLastMigration();

    expect(await stateTables(database)).toEqual([]);
    expect(await migrationNames(database)).toEqual([]);
    const left: unknown[] = await database.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    expect(left).toEqual([]);
  });

  it('close() is idempotent', async () => {
    const database = await open();
    await Promise.all([database.close(), database.close()]);

    expect(database.dataSource.isInitialized).toBe(false);
  });

  it('fails with a DatabaseError that does not leak the password when the server is unreachable', async () => {
    const failure = openDatabase({ url: 'postgres://mesh:s3cret@127.0.0.1:1/mesh' });

    await expect(failure).rejects.toBeInstanceOf(DatabaseError);
    await expect(failure).rejects.toThrow(/cannot connect to postgres:\/\/mesh:\*\*\*@127\.0\.0\.1:1\/mesh: \S+/);
  });
});
