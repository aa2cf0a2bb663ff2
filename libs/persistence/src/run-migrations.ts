import type { DataSource } from 'typeorm';

/** Advisory lock key held while migrating ("mesh" in ASCII); any constant shared by all nodes works. */
const MIGRATION_LOCK_KEY = 0x6d657368;

/**
 * Runs the pending migrations, each batch in one transaction. Several processes may open the
 * same database at once (a mainnet and its SPNs), and TypeORM does not lock while migrating, so
 * a session-level advisory lock serialises them: the second waits, then finds nothing to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  const lock = dataSource.createQueryRunner();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await dataSource.runMigrations({ transaction: 'all' });
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await lock.release();
  }
}
