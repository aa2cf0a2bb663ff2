import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { join } from 'node:path';
import { DatabaseModule, nodeDatabaseOptions } from '@mesh/persistence';
import { HealthController } from './health.controller';
import type { SpnConfig } from './spn-config';

@Module({})
export class SpnModule {
  static forRoot(config: SpnConfig): DynamicModule {
    return {
      module: SpnModule,
      imports: [DatabaseModule.forRoot(nodeDatabaseOptions(config, join('spns', config.spnId))), TerminusModule],
      controllers: [HealthController],
    };
  }
}
