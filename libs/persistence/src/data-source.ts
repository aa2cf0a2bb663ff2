import { DataSource } from 'typeorm';
import { migrations } from './migrations';

/**
 * The TypeORM DataSource for a Postgres URL. The schema comes from the migrations only:
 * `synchronize` is off, and migrations run at open under a lock (see runMigrations).
 */
export function createDataSource(url: string, logging = false): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: [], // listed as classes, like the migrations, once tables get entities
    migrations,
    migrationsRun: false,
    synchronize: false,
    logging,
  });
}
