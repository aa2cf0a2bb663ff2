import { Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { redactPassword } from '../connection-url';
import { openDatabase, type DatabaseHandle, type OpenDatabaseOptions } from '../open-database';

/** Injection token of the app's DatabaseHandle. */
export const DATABASE_HANDLE = Symbol('DATABASE_HANDLE');

@Injectable()
class CloseDatabaseOnShutdown implements OnApplicationShutdown {
  constructor(@Inject(DATABASE_HANDLE) private readonly database: DatabaseHandle) {}

  /** Runs after the HTTP server has stopped taking requests: closes the pool, stops an embedded server. */
  onApplicationShutdown(): Promise<void> {
    return this.database.close();
  }
}

/**
 * Nest face of openDatabase: provides the DatabaseHandle (DATABASE_HANDLE) and its DataSource
 * (token `DataSource`, the one @nestjs/typeorm and terminus look up) and closes them on app
 * shutdown. Call `app.enableShutdownHooks()` so that SIGINT / SIGTERM get there too.
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: OpenDatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DATABASE_HANDLE, useFactory: () => openLogged(options) },
        { provide: DataSource, useFactory: (database: DatabaseHandle) => database.dataSource, inject: [DATABASE_HANDLE] },
        CloseDatabaseOnShutdown,
      ],
      exports: [DATABASE_HANDLE, DataSource],
    };
  }
}

async function openLogged(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const database = await openDatabase(options);
  const where = database.embedded ? `embedded Postgres (data dir ${options.dataDir})` : 'Postgres';
  new Logger(DatabaseModule.name).log(`${where} at ${redactPassword(database.url)}, migrations applied`);
  return database;
}
