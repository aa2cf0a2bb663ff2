import {
  Inject,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { createMainnet, LedgerSealer, type Mainnet } from '@mesh/mainnet';
import { DatabaseModule, nodeDatabaseOptions } from '@mesh/persistence';
import { BlocksController } from './blocks.controller';
import { HealthController } from './health.controller';
import { meshValidationPipe, MeshErrorFilter } from '@mesh/transport';
import type { MainnetConfig } from './mainnet-config';
import { MainnetAdminGrpcController } from './mainnet-admin.grpc-controller';
import { MainnetMessagesController } from './mainnet-messages.controller';
import { MAINNET, MAINNET_CONFIG } from './mainnet.tokens';
import { SpnsController } from './spns.controller';
import { StakingController } from './staking.controller';
import { CrossMessagesController } from './cross-messages.controller';

/** Seals the ledger every MAINNET_BLOCK_MS while the app runs, and once more when it stops. */
@Injectable()
class LedgerSealing implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Ledger');
  private readonly sealer: LedgerSealer;

  constructor(@Inject(MAINNET) mainnet: Mainnet, @Inject(MAINNET_CONFIG) config: MainnetConfig) {
    this.sealer = new LedgerSealer(mainnet.ledger, {
      intervalMs: config.blockMs,
      onSealed: (block) => this.logger.log(`sealed block ${block.number} (${block.eventCount} events) ${block.hash}`),
      onError: (err) => this.logger.error(`sealing failed: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.sealer.sealOnce(); // the genesis block on a fresh database
    this.sealer.start();
  }

  /** Before the database closes (DatabaseModule closes it in onApplicationShutdown). */
  beforeApplicationShutdown(): Promise<void> {
    return this.sealer.stop();
  }
}

@Module({})
export class MainnetModule {
  static forRoot(config: MainnetConfig): DynamicModule {
    return {
      module: MainnetModule,
      imports: [DatabaseModule.forRoot(nodeDatabaseOptions(config, 'mainnet')), TerminusModule],
      controllers: [
        HealthController,
        SpnsController,
        StakingController,
        CrossMessagesController,
        BlocksController,
        MainnetMessagesController,
        MainnetAdminGrpcController,
      ],
      providers: [
        { provide: MAINNET_CONFIG, useValue: config },
        {
          provide: MAINNET,
          useFactory: (db: DataSource) =>
            createMainnet(db, {
              chainId: config.chainId,
              unbondingMs: config.unbondingMs,
              slashBps: config.slashBps,
              genesisBalances: config.genesisBalances,
            }),
          inject: [DataSource],
        },
        { provide: APP_PIPE, useFactory: meshValidationPipe },
        { provide: APP_FILTER, useClass: MeshErrorFilter },
        LedgerSealing,
      ],
      exports: [MAINNET],
    };
  }
}
