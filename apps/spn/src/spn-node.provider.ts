import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SpnNode, WasmVm } from '@mesh/spn-node';
import { buildCircuitArtifacts } from '@mesh/zk';
import { MainnetPortAdapter } from './mainnet-port.adapter';
import type { SpnConfig } from './spn-config';

/** Opens the SPN node over the app's database and runs its loops for the app's lifetime. */
export async function openSpnNode(config: SpnConfig, dataSource: DataSource): Promise<SpnNode<WasmVm>> {
  const logger = new Logger(`spn ${config.spnId}`);
  if (config.devOperatorKey) logger.warn('OPERATOR_KEY is unset: using the well-known development key (never for real value)');
  const artifacts = await buildCircuitArtifacts(config.circuitProfile, { buildIfMissing: false });
  return SpnNode.open(
    dataSource,
    {
      spnId: config.spnId,
      chainId: config.chainId,
      artifacts,
      operatorKey: config.operatorKey,
      mainnet: new MainnetPortAdapter(config.mainnet),
      blockTimeMs: config.blockTimeMs,
      maxBlockTxs: config.maxBlockTxs,
      batchBlocks: config.batchBlocks,
      batchMaxMs: config.batchMaxMs,
      provers: config.provers,
      logger: { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
    },
    ({ db, mempool, options }) => WasmVm.open(db, mempool, options.chainId),
  );
}

/** Stops the node's loops (and its provers) on shutdown; main.ts starts them once the app listens. */
@Injectable()
export class SpnNodeLifecycle implements OnApplicationShutdown {
  constructor(@Inject(SpnNode) private readonly node: SpnNode) {}

  async onApplicationShutdown(): Promise<void> {
    await this.node.stop();
    await (this.node.options.mainnet as MainnetPortAdapter).close();
  }
}
