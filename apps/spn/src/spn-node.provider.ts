import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EvmVm, SpnNode, WasmVm } from '@mesh/spn-node';
import { buildCircuitArtifacts } from '@mesh/zk';
import { MainnetPortAdapter } from './mainnet-port.adapter';
import type { SpnConfig } from './spn-config';

/** Opens the SPN node over the app's database and runs its loops for the app's lifetime. */
export async function openSpnNode(config: SpnConfig, dataSource: DataSource): Promise<SpnNode<WasmVm | EvmVm>> {
  const logger = new Logger(`spn ${config.spnId}`);
  if (config.devOperatorKey) logger.warn('OPERATOR_KEY is unset: using the well-known development key (never for real value)');
  if (config.evm?.devGenesis)
    logger.warn("GENESIS_ALLOC is unset: the genesis prefunds the test mnemonic's first 10 accounts (never for real value)");
  if (config.provers === 0)
    logger.warn('PROVERS=0: this node proves nothing itself; its batches wait for prover processes (apps/prover) on its database');
  const artifacts = await buildCircuitArtifacts(config.circuitProfile, { buildIfMissing: false });
  const node = await SpnNode.open<WasmVm | EvmVm>(
    dataSource,
    {
      spnId: config.spnId,
      chainId: config.chainId,
      artifacts,
      operatorKey: config.operatorKey,
      requirements: config.requirements,
      mainnet: new MainnetPortAdapter(config.mainnet),
      blockTimeMs: config.blockTimeMs,
      maxBlockTxs: config.maxBlockTxs,
      batchBlocks: config.batchBlocks,
      batchMaxMs: config.batchMaxMs,
      provers: config.provers,
      execution: { workers: config.executorWorkers, minParallelTxs: config.parallelMinTxs, adaptive: config.parallelAdaptive },
      logger: { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
    },
    (ctx) =>
      config.evm
        ? EvmVm.open(ctx, { genesis: config.evm.genesis, blockGasLimit: config.evm.blockGasLimit, chainId: config.evm.chainId })
        : WasmVm.open(ctx),
  );
  // An accepted Ethereum tx counts towards a full block, as the Wasm controller's do.
  if (node.vm.kind === 'evm') node.vm.backend.onAccepted = () => node.accepted();
  return node;
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
