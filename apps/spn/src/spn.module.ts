import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { DatabaseModule, nodeDatabaseOptions } from '@mesh/persistence';
import { SpnNode } from '@mesh/spn-node';
import { EthRpcController } from './eth-rpc.controller';
import { HealthController } from './health.controller';
import { SpnController, WasmController } from './spn.controller';
import { openSpnNode, SpnNodeLifecycle } from './spn-node.provider';
import type { SpnConfig } from './spn-config';

@Module({})
export class SpnModule {
  static forRoot(config: SpnConfig): DynamicModule {
    // The VM-independent reads always; Wasm SPNs add their REST ingress, EVM SPNs Ethereum JSON-RPC.
    const vmController = config.vm === 'evm' ? EthRpcController : WasmController;
    return {
      module: SpnModule,
      imports: [DatabaseModule.forRoot(nodeDatabaseOptions(config, join('spns', config.spnId))), TerminusModule],
      controllers: [HealthController, SpnController, vmController],
      providers: [
        { provide: SpnNode, useFactory: (dataSource: DataSource) => openSpnNode(config, dataSource), inject: [DataSource] },
        SpnNodeLifecycle,
      ],
    };
  }
}
