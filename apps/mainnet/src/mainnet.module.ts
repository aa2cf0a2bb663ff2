import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseModule, nodeDatabaseOptions } from '@mesh/persistence';
import { HealthController } from './health.controller';
import type { MainnetConfig } from './mainnet-config';

@Module({})
export class MainnetModule {
  static forRoot(config: MainnetConfig): DynamicModule {
    return {
      module: MainnetModule,
      imports: [DatabaseModule.forRoot(nodeDatabaseOptions(config, 'mainnet')), TerminusModule],
      controllers: [HealthController],
    };
  }
}
