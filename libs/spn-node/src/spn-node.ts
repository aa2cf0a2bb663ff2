import type { SpnExecutionView } from '@mesh/core';
import type { ParallelTuning } from '@mesh/executor';
import type { DataSource } from 'typeorm';
import { Wallet } from 'ethers';
import { CachedNodeStore, PgNodeStore, poseidonHasher, StateTree, zeroHashes } from '@mesh/state';
import { readVerificationKey, type CircuitArtifacts } from '@mesh/zk';
import { Batcher } from './batcher';
import { availableParallelism } from 'node:os';
import { BlockProducer, type ProducedBlock } from './block-producer';
import { Inbox } from './inbox';
import { describeReport } from './parallel-execution';
import type { SpnVm } from './executor';
import type { MainnetPort } from './mainnet-port';
import { Mempool } from './mempool';
import { Loop } from './node-loops';
import { ProvingPool } from './proving-pool';
import { ProvingWorker, SPN_NODE_PROVER } from './proving-worker';
import { Settler } from './settler';
import { SpnQueries } from './spn-queries';
import { StateCache } from './state-cache';

/** Execution figures since start (`GET /status` -> execution), workers aside. */
export type ExecutionTotals = Omit<SpnExecutionView, 'workers'>;

export interface SpnNodeLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface SpnNodeOptions {
  spnId: string;
  chainId: number;
  /** Circuit artifacts of the SPN's profile (depth and K come from its profile). */
  artifacts: CircuitArtifacts;
  /** secp256k1 private key of the operator that signs settlements. */
  operatorKey: string;
  mainnet: MainnetPort;
  /** Registered with the SPN (RegisterSpnInput.requirements of libs/mainnet); none by default: active at once. */
  requirements?: { minOperators: number; minRestake: string };
  blockTimeMs: number;
  maxBlockTxs: number;
  batchBlocks: number;
  batchMaxMs: number;
  /**
   * Proving workers in this process (each a prover process with the artifacts loaded); 0: none,
   * the SPN's jobs wait for prover processes (apps/prover) on its database.
   */
  provers: number;
  /**
   * Parallel execution (libs/executor): worker threads (0 = every block serially; default: one
   * per core), the block size below which a block runs serially (default 64), and the executor's
   * other settings (ParallelTuning; e.g. `adaptive: false` keeps every block in the workers).
   */
  execution?: ParallelTuning & { workers: number };
  logger: SpnNodeLogger;
}

/** What a VM gets to open itself: the node's database, mempool and committed state. */
export interface VmContext {
  db: DataSource;
  mempool: Mempool;
  state: StateCache;
  options: SpnNodeOptions;
}

/**
 * One SPN node: mempool, the sequencer's block loop over the VM's executor, the batcher,
 * proving workers and the settlement client, over one Postgres database. Every step is a
 * transaction in Postgres, so a node killed at any point resumes where it was: pending txs run,
 * open batches are proven, proven batches are (re)submitted.
 */
export class SpnNode<V extends SpnVm = SpnVm> {
  private readonly loops: Loop[] = [];
  private registered = false;
  private endpoint = '';
  private acceptedSinceBlock = 0;
  private readonly execution: ExecutionTotals = {
    blocks: 0,
    txs: 0,
    executeMs: 0,
    blockMs: 0,
    treeMs: 0,
    parallelBlocks: 0,
    serialBlocks: 0,
    reexecutions: 0,
  };

  private constructor(
    readonly options: SpnNodeOptions,
    readonly vm: V,
    readonly mempool: Mempool,
    readonly queries: SpnQueries,
    readonly tree: StateTree,
    private readonly producer: BlockProducer,
    private readonly batcher: Batcher,
    private readonly proving: ProvingPool,
    private readonly settler: Settler,
    private readonly inbox: Inbox | undefined,
    readonly operatorAddress: string,
  ) {}

  static async open<V extends SpnVm>(db: DataSource, options: SpnNodeOptions, openVm: (ctx: VmContext) => Promise<V>): Promise<SpnNode<V>> {
    const { spnId, artifacts } = options;
    const { depth, chunkSize } = artifacts.profile;
    const hasher = await poseidonHasher();
    const treeStore = new CachedNodeStore(new PgNodeStore(db, spnId));
    const tree = await StateTree.open(treeStore, { depth, hasher });
    const state = await StateCache.load(db, spnId);
    const mempool = new Mempool(db, spnId);
    const vm = await openVm({ db, mempool, state, options });
    const producer = new BlockProducer(db, spnId, tree, treeStore, state, vm.executor, options.maxBlockTxs);
    // Leases the node's own workers held when it died: theirs only, prover processes may be working.
    await ProvingWorker.releaseLeases(db, spnId, SPN_NODE_PROVER);
    const proving = await ProvingPool.open(db, {
      spnId,
      artifacts,
      provers: options.provers,
      owner: SPN_NODE_PROVER,
      logger: options.logger,
    });
    const batcher = new Batcher(db, spnId, hasher, chunkSize, zeroHashes(hasher, depth)[depth], {
      batchBlocks: options.batchBlocks,
      batchMaxMs: options.batchMaxMs,
      vkHash: proving.vkHash,
    });
    const operator = new Wallet(options.operatorKey);
    const settler = new Settler(db, spnId, options.chainId, operator, options.mainnet);
    const queries = new SpnQueries(db, spnId, state);
    // Only Wasm plugins take messages (the mainnet fails messages to an EVM SPN when it settles them).
    const inbox = vm.kind === 'wasm' ? new Inbox(db, spnId, options.mainnet, (m) => options.logger.warn(m)) : undefined;
    return new SpnNode(options, vm, mempool, queries, tree, producer, batcher, proving, settler, inbox, operator.address.toLowerCase());
  }

  /** Starts the background loops; `endpoint` is this node's public URL, registered on the mainnet. */
  start(endpoint: string): void {
    this.endpoint = endpoint;
    const { logger, blockTimeMs } = this.options;
    const report = (name: string, err: unknown) => logger.error(`${name}: ${(err as Error)?.message ?? String(err)}`);
    const blocks = new Loop(
      'sequencer',
      async () => {
        this.acceptedSinceBlock = 0;
        const block = await this.producer.produce();
        if (block) {
          this.recordExecution(block);
          const how =
            (block.report ? `, ${describeReport(block.report)}` : '') + (block.messages ? `, ${block.messages} messages sent` : '');
          logger.log(
            `block ${block.number}: ${block.txCount} txs in ${block.executeMs.toFixed(1)} ms${how}, ${block.updates} state updates ` +
              `(tree ${block.treeMs.toFixed(1)} ms), block ${block.blockMs.toFixed(1)} ms in all, root ${block.stateRoot}`,
          );
        }
        return block !== undefined && block.txCount >= this.options.maxBlockTxs; // a full block: cut the next one at once
      },
      blockTimeMs,
      report,
    );
    const batches = new Loop(
      'batcher',
      async () => {
        const batch = await this.batcher.cut();
        if (batch)
          logger.log(
            `batch ${batch.batchNo}: blocks ${batch.firstBlock}-${batch.lastBlock}, ${batch.updates} updates in ${batch.chunks} chunks`,
          );
        return batch !== undefined;
      },
      Math.min(500, blockTimeMs),
      report,
    );
    const settle = new Loop(
      'settlement',
      async () => {
        await this.ensureRegistered();
        const result = await this.settler.settleNext();
        if (result.kind === 'settled')
          logger.log(`batch ${result.batchNo} settled on the mainnet${result.duplicate ? ' (it had been already)' : ''}`);
        if (result.kind === 'rejected')
          logger.error(`batch ${result.batchNo} rejected by the mainnet: ${result.reason}; settlement stops until an operator acts`);
        return result.kind === 'settled';
      },
      500,
      report,
    );
    this.loops.push(blocks, batches, settle);
    const inbox = this.inbox;
    if (inbox) {
      const messages = new Loop(
        'inbox',
        async () => {
          if (!this.registered) return false; // the mainnet relays to registered SPNs only
          const added = await inbox.pull();
          if (added > 0) {
            logger.log(`inbox: ${added} relayed messages added to the mempool`);
            blocks.poke();
          }
          return false;
        },
        Math.max(250, Math.min(1000, blockTimeMs)),
        report,
      );
      this.loops.push(messages);
    }
    for (const loop of this.loops) loop.start();
    this.proving.start(() => settle.poke());
    // Execution workers start beside the loops (a failure only means blocks run serially until a block retries them).
    this.vm.warmUp?.().catch((err: unknown) => logger.warn(`execution workers did not start: ${(err as Error)?.message ?? String(err)}`));
  }

  /** Block execution since the node started: how many blocks ran in parallel or serially, time spent, re-executions. */
  executionTotals(): SpnExecutionView {
    return {
      ...this.execution,
      executeMs: Math.round(this.execution.executeMs * 10) / 10,
      blockMs: Math.round(this.execution.blockMs * 10) / 10,
      treeMs: Math.round(this.execution.treeMs * 10) / 10,
      workers: this.options.execution?.workers ?? availableParallelism(),
    };
  }

  private recordExecution(block: ProducedBlock): void {
    const t = this.execution;
    t.blocks++;
    t.txs += block.txCount;
    t.executeMs += block.executeMs;
    t.blockMs += block.blockMs;
    t.treeMs += block.treeMs;
    if (block.report && block.report.mode !== 'serial') t.parallelBlocks++;
    else t.serialBlocks++;
    t.reexecutions += block.report?.stats?.reexecutions ?? 0;
  }

  /**
   * Tells the node a tx was accepted: once a full block's worth is waiting, the sequencer cuts a
   * block at once instead of at the end of its block time.
   */
  accepted(): void {
    if (++this.acceptedSinceBlock >= this.options.maxBlockTxs) {
      this.acceptedSinceBlock = 0;
      this.loops[0]?.poke();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
    this.loops.length = 0;
    await this.proving.stop();
    await this.vm.close?.();
  }

  private async ensureRegistered(): Promise<void> {
    if (this.registered) return;
    const { spnId, artifacts, mainnet } = this.options;
    await mainnet.registerSpn({
      spnId,
      vmKind: this.vm.kind,
      profile: artifacts.profile.name,
      verificationKey: readVerificationKey(artifacts.verificationKeyPath),
      operator: this.operatorAddress,
      endpoint: this.endpoint,
      ...(this.options.requirements && this.options.requirements.minOperators > 0 ? { requirements: this.options.requirements } : {}),
    });
    this.registered = true;
    this.options.logger.log(`registered on the mainnet as ${spnId} (operator ${this.operatorAddress})`);
  }
}
