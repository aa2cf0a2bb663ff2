import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DatabaseModule } from '@mesh/persistence';
import { ProvingPool } from '@mesh/spn-node';
import type { ProverConfig } from './prover-config';
import { openProvingPool, ProvingPoolLifecycle } from './proving-pool.provider';

@Module({})
export class ProverModule {
  static forRoot(config: ProverConfig): DynamicModule {
    return {
      module: ProverModule,
      imports: [DatabaseModule.forRoot({ url: config.databaseUrl })],
      providers: [
        { provide: ProvingPool, useFactory: (db: DataSource) => openProvingPool(config, db), inject: [DataSource] },
        ProvingPoolLifecycle,
      ],
    };
  }
}
