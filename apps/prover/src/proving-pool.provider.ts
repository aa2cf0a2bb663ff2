import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ProvingPool } from '@mesh/spn-node';
import { buildCircuitArtifacts } from '@mesh/zk';
import type { ProverConfig } from './prover-config';

/** Loads the SPN's circuit artifacts (never builds them: they must be the ones the SPN registered) and starts the prover processes. */
export async function openProvingPool(config: ProverConfig, db: DataSource): Promise<ProvingPool> {
  const logger = new Logger(`prover ${config.spnId}`);
  const artifacts = await buildCircuitArtifacts(config.circuitProfile, { buildIfMissing: false });
  const known: unknown[] = await db.query(
    'SELECT 1 FROM spn_block WHERE spn_id = $1 UNION ALL SELECT 1 FROM spn_proof_job WHERE spn_id = $1 LIMIT 1',
    [config.spnId],
  );
  if (known.length === 0) logger.warn(`this database has no SPN ${config.spnId} yet (no blocks, no proving jobs): waiting for its jobs`);
  return ProvingPool.open(db, {
    spnId: config.spnId,
    artifacts,
    provers: config.provers,
    owner: config.name,
    leaseMs: config.leaseMs,
    logger: { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
    onProved: (job) => logger.log(`batch ${job.batchNo} chunk ${job.chunkIndex} proved in ${job.proveMs.toFixed(0)} ms`),
  });
}

/**
 * Runs the pool while the app lives. On SIGINT / SIGTERM the proofs in progress are finished and
 * stored, then the pool's leases are freed (before the database closes) so that other provers
 * take the rest at once.
 */
@Injectable()
export class ProvingPoolLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(ProvingPool) private readonly pool: ProvingPool) {}

  onApplicationBootstrap(): void {
    this.pool.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.pool.stop({ releaseLeases: true });
  }
}
