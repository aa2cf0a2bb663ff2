import { hashCanonical } from '@mesh/core';
import type { DataSource } from 'typeorm';
import { Prover, readVerificationKey, type CircuitArtifacts } from '@mesh/zk';
import { Loop } from './node-loops';
import { ProvingWorker, type ProvedJob } from './proving-worker';

export interface ProvingPoolLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ProvingPoolOptions {
  spnId: string;
  /** The circuit artifacts to prove with: the SPN's profile, built with the key the SPN registered. */
  artifacts: CircuitArtifacts;
  /** Proving workers, each with a prover process of its own (0: none; `start` and `stop` do nothing). */
  provers: number;
  /** Holder of the pool's leases and author of its proofs (ProvingWorkerOptions.owner). */
  owner: string;
  leaseMs?: number;
  logger: ProvingPoolLogger;
  /** Called after every stored proof. */
  onProved?: (job: ProvedJob) => void;
}

/** How often an idle pool looks for jobs it cannot take (queued for another verification key). */
const OTHER_KEYS_CHECK_MS = 30_000;

/**
 * The proving workers of one SPN as background loops: the SPN node runs one (`PROVERS`), and so
 * does every prover process (apps/prover). Each worker has a prover process with the artifacts
 * loaded and takes the oldest free job; idle workers look again every 250 ms.
 */
export class ProvingPool {
  private readonly loops: Loop[] = [];
  private lastOtherKeysCheck = 0;
  private lastOtherKeysWarning = '';

  private constructor(
    private readonly db: DataSource,
    private readonly options: ProvingPoolOptions,
    /** hashCanonical of the artifacts' verification key: what the mainnet shows as the SPN's verificationKeyHash. */
    readonly vkHash: string,
    private readonly provers: Prover[],
    private readonly workers: ProvingWorker[],
  ) {}

  /** Starts the prover processes (each loads the artifacts); the loops start with `start()`. */
  static async open(db: DataSource, options: ProvingPoolOptions): Promise<ProvingPool> {
    const vkHash = hashCanonical(readVerificationKey(options.artifacts.verificationKeyPath));
    const provers: Prover[] = [];
    try {
      for (let i = 0; i < options.provers; i++) provers.push(await Prover.start(options.artifacts));
    } catch (err) {
      await Promise.all(provers.map((p) => p.close()));
      throw err;
    }
    const workers = provers.map((p) => new ProvingWorker(db, options.spnId, p, { owner: options.owner, vkHash, leaseMs: options.leaseMs }));
    return new ProvingPool(db, options, vkHash, provers, workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Starts the loops; `onBatchProved` hears of every proof that completed its batch (the settler can go at once). */
  start(onBatchProved?: (batchNo: bigint) => void): void {
    const { logger } = this.options;
    const report = (name: string, err: unknown) => logger.error(`${name}: ${(err as Error)?.message ?? String(err)}`);
    for (const [i, worker] of this.workers.entries()) {
      const loop = new Loop(
        `prover-${i}`,
        async () => {
          const job = await worker.proveNext();
          if (job) {
            this.options.onProved?.(job);
            if (job.batchProved) {
              logger.log(`batch ${job.batchNo} proved`);
              onBatchProved?.(job.batchNo);
            }
            return true;
          }
          if (i === 0) await this.checkOtherKeys(worker);
          return false;
        },
        250,
        report,
      );
      this.loops.push(loop);
      loop.start();
    }
  }

  /**
   * Stops the loops (a proof in progress is finished and stored first), then the prover
   * processes; with `releaseLeases` the pool's leases are freed, so that other provers take
   * those jobs at once instead of after the lease.
   */
  async stop(options: { releaseLeases?: boolean } = {}): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
    this.loops.length = 0;
    await Promise.all(this.provers.map((p) => p.close()));
    if (options.releaseLeases && this.workers.length > 0)
      await ProvingWorker.releaseLeases(this.db, this.options.spnId, this.options.owner);
  }

  /** Warns (once per change) when jobs wait for a verification key this pool does not have. */
  private async checkOtherKeys(worker: ProvingWorker): Promise<void> {
    const now = Date.now();
    if (now - this.lastOtherKeysCheck < OTHER_KEYS_CHECK_MS) return;
    this.lastOtherKeysCheck = now;
    const others = await worker.jobsForOtherKeys();
    const warning = others.map((o) => `${o.jobs} for key ${o.vkHash}`).join(', ');
    if (warning && warning !== this.lastOtherKeysWarning)
      this.options.logger.warn(
        `queued proving jobs of SPN ${this.options.spnId} need another verification key (${warning}); this prover's ` +
          `artifacts (profile ${this.options.artifacts.profile.name}) have key ${this.vkHash}: give it the artifacts the SPN ` +
          'registered (the same MESH_CACHE_DIR contents), or those jobs wait for a prover that has them',
      );
    this.lastOtherKeysWarning = warning;
  }
}
