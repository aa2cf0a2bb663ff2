/**
 * npm run bench:evm [-- --runs N --transfers N --accounts N --block N --depth N --workers N]
 *
 * ERC-20 transfers per second: the same N signed transfers (raw, EIP-1559) through
 *   (a) the SPN's EVM path: EvmExecutor.execute per block (decoding, sender recovery, the EVM
 *       over the SPN state manager), then StateTree.plan + commit of the block's writes into a
 *       Poseidon state tree (MemoryNodeStore, depth --depth, default 24 = the `standard` profile)
 *       and StateCache.apply: what BlockProducer does per block, minus Postgres; the executor
 *       as the node runs it by default: parallel execution over --workers threads (default one
 *       per core, EXECUTOR_WORKERS), kept warm across runs; (a') the same with the serial
 *       executor (EXECUTOR_WORKERS=0);
 *   (b) a bare @ethereumjs/vm loop: createTxFromRLP + runTx per tx over SimpleStateManager (the
 *       fastest stock state manager), in memory, same block headers.
 * Both start from the same state (token deployed, every account funded with ETH and tokens)
 * and decode every tx from its raw bytes (sender recovery included). Runs alternate (a) / (b)
 * after a warm-up; figures are medians. Also printed: where (a)'s time goes (execute vs tree),
 * (c) the executor alone, i.e. (a) without the tree, and (d) all of it again with senders
 * recovered beforehand on both sides (in the SPN, EvmIngress decodes each tx through the same
 * engine, whose decoded-tx cache spares the executor the recovery; the bare loop gets
 * pre-decoded tx objects). The last line is one JSON object: spnTps, bareTps, overheadRatio
 * (bareTps / spnTps), serialExecutorRatio ((a') against (b)), plus the breakdown.
 */
import { availableParallelism } from 'node:os';
import { createBlock } from '@ethereumjs/block';
import { createTxFromRLP } from '@ethereumjs/tx';
import { SimpleStateManager } from '@ethereumjs/statemanager';
import { Account, createAddressFromString } from '@ethereumjs/util';
import { createVM, runTx } from '@ethereumjs/vm';
import { getCreateAddress, Interface } from 'ethers';
import { MemoryNodeStore, poseidonHasher, StateTree, type TreeChanges } from '@mesh/state';
import { EvmEngine, genesisWrites, INITIAL_BASE_FEE, spnCommon } from '@mesh/vm-evm';
import type { ParallelExecution } from '../libs/spn-node/src/parallel-execution';
import { EvmCodeStore } from '../libs/spn-node/src/evm/evm-code-store';
import { EvmExecutor, evmParallelExecution } from '../libs/spn-node/src/evm/evm-executor';
import type { MempoolTx } from '../libs/spn-node/src/executor';
import { StateCache } from '../libs/spn-node/src/state-cache';
import { compileFixtures } from '../libs/vm-evm/test-fixtures/solidity';
import { argValue } from '../scripts/cli-args';
import { blockCtx, CHAIN_ID, COINBASE, ETH, keyOf, sign, toMempool } from './support/erc20';
import { median } from './support/median';

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface Setup {
  /** Blocks of raw setup txs (deploy, funding), run identically on both sides before timing. */
  setupBlocks: Uint8Array[][];
  transfers: Uint8Array[];
  alloc: Record<string, bigint>;
}

function buildTxs(transfers: number, accounts: number, block: number): Setup {
  const token = compileFixtures().Token;
  const iface = new Interface(token.abi as never);
  const keys = Array.from({ length: accounts }, (_, i) => keyOf(i));
  const owner = keys[0];
  const alloc = Object.fromEntries(keys.map((k) => [k.address, 1_000n * ETH]));
  const deploy = sign(owner, 0n, undefined, token.bytecode + iface.encodeDeploy(['Bench', 'B', 10n ** 30n]).slice(2), 3_000_000n);
  // The token's address: CREATE from owner at nonce 0.
  const tokenAt = getCreateAddress({ from: owner.address, nonce: 0 }).toLowerCase();
  const funding: Uint8Array[] = [];
  for (let i = 1; i < accounts; i++)
    funding.push(sign(owner, BigInt(i), tokenAt, iface.encodeFunctionData('transfer', [keys[i].address, 10n ** 24n]), 100_000n));
  const setupBlocks = [[deploy]];
  for (let i = 0; i < funding.length; i += block) setupBlocks.push(funding.slice(i, i + block));
  const nonces = keys.map((_, i) => (i === 0 ? BigInt(accounts) : 0n));
  const out: Uint8Array[] = [];
  for (let t = 0; t < transfers; t++) {
    const from = t % accounts;
    const to = keys[(from + 1 + (t % 7)) % accounts].address;
    out.push(sign(keys[from], nonces[from]++, tokenAt, iface.encodeFunctionData('transfer', [to, BigInt(1 + (t % 5))]), 100_000n));
  }
  return { setupBlocks, transfers: out, alloc };
}

/** The bare loop's block header: what EvmExecutor derives for the SPN path (timestamp, base fee, gas limit, coinbase). */
const header = (number: bigint) => ({
  number,
  timestamp: 1_700_000_000n + number,
  baseFeePerGas: INITIAL_BASE_FEE,
  gasLimit: 1_000_000_000n,
});

// --- (a) the SPN path ------------------------------------------------------------------------

interface SpnSnapshot {
  state: Map<bigint, bigint>;
  tree: TreeChanges[];
  code: Map<string, Uint8Array>;
  number: bigint;
  vmHeader: Record<string, unknown> | null;
}

async function spnSetup(setup: Setup, depth: number): Promise<SpnSnapshot> {
  const hasher = await poseidonHasher();
  const tree = await StateTree.open(new MemoryNodeStore(), { depth, hasher });
  const state = new StateCache();
  const engine = await EvmEngine.create({ chainId: CHAIN_ID });
  const store = new RecordingCodeStore({ query: async () => [] }, 'bench');
  const executor = new EvmExecutor(engine, store, { coinbase: COINBASE, gasLimit: 1_000_000_000n });
  const changes: TreeChanges[] = [];
  const values = new Map<bigint, bigint>();
  const g = genesisWrites(Object.fromEntries(Object.entries(setup.alloc).map(([a, balance]) => [a, { balance }])));
  const commit = async (writes: Map<bigint, bigint>) => {
    const plan = await tree.plan([...writes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => ({ key, value })));
    await tree.commit(plan);
    changes.push(plan.changes);
    state.apply(writes);
    for (const [k, v] of writes)
      if (v === 0n) values.delete(k);
      else values.set(k, v);
  };
  await commit(g.writes);
  let vmHeader: Record<string, unknown> | null = null;
  let number = 0n;
  for (const raws of setup.setupBlocks) {
    number++;
    const result = await executor.execute(blockCtx(number, vmHeader), raws.map(toMempool), state);
    for (const r of result.receipts) if (r.status !== 'success') throw new Error(`setup tx failed: ${r.error}`);
    await commit(result.writes);
    result.afterCommit?.();
    vmHeader = { ...result.vmHeader!, gasUsed: String(500_000_000n) }; // at the gas target: the base fee stays INITIAL_BASE_FEE, as in (b)
  }
  return { state: values, tree: changes, code: store.added, number, vmHeader };
}

/** Remembers the code the executor's afterCommit hands over (the token's), for the runs' fresh stores. */
class RecordingCodeStore extends EvmCodeStore {
  readonly added = new Map<string, Uint8Array>();
  override add(codeHash: string, code: Uint8Array): void {
    super.add(codeHash, code);
    this.added.set(codeHash, code);
  }
}

interface SpnRun {
  seconds: number;
  executeSeconds: number;
  treeSeconds: number;
  updates: number;
}

async function spnRun(
  snap: SpnSnapshot,
  transfers: Uint8Array[],
  block: number,
  depth: number,
  withTree: boolean,
  warmEngine?: EvmEngine,
  parallel?: ParallelExecution,
): Promise<SpnRun> {
  // Fresh copies of everything the run mutates; a fresh engine so no decoded tx is cached.
  const store = new MemoryNodeStore();
  for (const c of snap.tree) await store.write(c);
  const tree = await StateTree.open(store, { depth, hasher: await poseidonHasher() });
  const state = new StateCache();
  state.apply(snap.state);
  const engine = warmEngine ?? (await EvmEngine.create({ chainId: CHAIN_ID }));
  const codeStore = new EvmCodeStore({ query: async () => [] }, 'bench');
  for (const [h, c] of snap.code) codeStore.add(h, c);
  const executor = new EvmExecutor(engine, codeStore, { coinbase: COINBASE, gasLimit: 1_000_000_000n, parallel });
  const blocks: MempoolTx[][] = [];
  for (let i = 0; i < transfers.length; i += block) blocks.push(transfers.slice(i, i + block).map((raw, j) => toMempool(raw, i + j)));

  let executeSeconds = 0;
  let treeSeconds = 0;
  let updates = 0;
  let number = snap.number;
  let vmHeader = snap.vmHeader;
  const started = performance.now();
  for (const txs of blocks) {
    number++;
    const t0 = performance.now();
    const result = await executor.execute(blockCtx(number, vmHeader), txs, state);
    const t1 = performance.now();
    if (withTree) {
      const sorted = [...result.writes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value }));
      const plan = await tree.plan(sorted);
      await tree.commit(plan);
      updates += plan.steps.length;
    }
    state.apply(result.writes);
    result.afterCommit?.();
    treeSeconds += (performance.now() - t1) / 1000;
    executeSeconds += (t1 - t0) / 1000;
    for (const r of result.receipts) if (r.status !== 'success') throw new Error(`transfer failed: ${r.error}`);
    vmHeader = { ...result.vmHeader!, gasUsed: String(500_000_000n) };
  }
  return { seconds: (performance.now() - started) / 1000, executeSeconds, treeSeconds, updates };
}

// --- (b) the bare loop -------------------------------------------------------------------------

async function bareSetup(setup: Setup): Promise<SimpleStateManager> {
  const common = spnCommon(CHAIN_ID);
  const sm = new SimpleStateManager({ common });
  for (const [address, balance] of Object.entries(setup.alloc))
    await sm.putAccount(createAddressFromString(address), new Account(0n, balance));
  const vm = await createVM({ common, stateManager: sm });
  let number = 0n;
  for (const raws of setup.setupBlocks) {
    const block = createBlock({ header: { ...header(++number), coinbase: createAddressFromString(COINBASE) } }, { common: vm.common });
    for (const raw of raws) {
      const r = await runTx(vm, { tx: createTxFromRLP(raw, { common: vm.common }), block });
      if (r.execResult.exceptionError) throw new Error(`bare setup failed: ${r.execResult.exceptionError.error}`);
    }
  }
  return sm;
}

async function bareRun(base: SimpleStateManager, transfers: Uint8Array[], block: number, preDecoded = false): Promise<number> {
  const sm = base.shallowCopy() as SimpleStateManager;
  const common = spnCommon(CHAIN_ID);
  const vm = await createVM({ common, stateManager: sm });
  const decoded = preDecoded ? transfers.map((raw) => createTxFromRLP(raw, { common: vm.common })) : [];
  for (const tx of decoded) tx.getSenderAddress(); // frozen txs cache the recovered key
  let number = 1_000n;
  const started = performance.now();
  for (let i = 0; i < transfers.length; i += block) {
    const header_ = createBlock({ header: { ...header(++number), coinbase: createAddressFromString(COINBASE) } }, { common: vm.common });
    const end = Math.min(i + block, transfers.length);
    for (let j = i; j < end; j++) {
      const tx = preDecoded ? decoded[j] : createTxFromRLP(transfers[j], { common: vm.common });
      const r = await runTx(vm, { tx, block: header_ });
      if (r.execResult.exceptionError) throw new Error(`bare transfer failed: ${r.execResult.exceptionError.error}`);
    }
  }
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const runs = Number(argValue(process.argv, 'runs') ?? 5);
  const transfers = Number(argValue(process.argv, 'transfers') ?? 2_000);
  const accounts = Number(argValue(process.argv, 'accounts') ?? 64);
  const block = Number(argValue(process.argv, 'block') ?? 200);
  const depth = Number(argValue(process.argv, 'depth') ?? 24);
  const workers = Number(argValue(process.argv, 'workers') ?? availableParallelism());

  let t = performance.now();
  const setup = buildTxs(transfers, accounts, block);
  log(`signed ${transfers} transfers among ${accounts} accounts in ${Math.round(performance.now() - t)} ms`);
  t = performance.now();
  const snap = await spnSetup(setup, depth);
  const bare = await bareSetup(setup);
  log(`setup (token deployed, accounts funded) on both sides in ${Math.round(performance.now() - t)} ms`);

  // (a) and (c) run the executor the node runs by default: parallel execution (libs/executor)
  // with --workers threads (default: one per core, as EXECUTOR_WORKERS); (a') the serial one.
  const parallel = workers > 0 ? parallelExecution(snap) : undefined;
  // Warm-up: JIT both paths (the workers' too: each thread compiles the EVM anew).
  await spnRun(snap, setup.transfers.slice(0, 400), block, depth, true);
  for (let i = 0; i < 2; i++) await spnRun(snap, setup.transfers, block, depth, true, undefined, parallel);
  await bareRun(bare, setup.transfers.slice(0, 400), block);

  const spnTps: number[] = [];
  const serialSpnTps: number[] = [];
  const bareTps: number[] = [];
  const execTps: number[] = [];
  const executeShare: number[] = [];
  let updatesPerBlock = 0;
  for (let i = 0; i < runs; i++) {
    const a = await spnRun(snap, setup.transfers, block, depth, true, undefined, parallel);
    const b = await bareRun(bare, setup.transfers, block);
    const s = await spnRun(snap, setup.transfers, block, depth, true);
    const c = await spnRun(snap, setup.transfers, block, depth, false, undefined, parallel);
    spnTps.push(transfers / a.seconds);
    serialSpnTps.push(transfers / s.seconds);
    bareTps.push(transfers / b);
    execTps.push(transfers / c.seconds);
    executeShare.push(a.executeSeconds / a.seconds);
    updatesPerBlock = a.updates / Math.ceil(transfers / block);
    log(
      `run ${i + 1}/${runs}: spn ${spnTps[i].toFixed(0)} tx/s (execute ${a.executeSeconds.toFixed(2)} s, tree ${a.treeSeconds.toFixed(2)} s), ` +
        `bare ${bareTps[i].toFixed(0)} tx/s, executor alone ${execTps[i].toFixed(0)} tx/s, spn with the serial executor ${serialSpnTps[i].toFixed(0)} tx/s`,
    );
  }

  // Senders recovered beforehand on both sides: in the SPN, EvmIngress decodes every tx through
  // the same engine, whose decoded-tx cache then spares the executor the recovery.
  const warmSpn: number[] = [];
  const warmBare: number[] = [];
  const warmExec: number[] = [];
  for (let i = 0; i < runs; i++) {
    const engine = await EvmEngine.create({ chainId: CHAIN_ID });
    for (const raw of setup.transfers) engine.decodeRawTx(raw);
    const a = await spnRun(snap, setup.transfers, block, depth, true, engine, parallel);
    const b = await bareRun(bare, setup.transfers, block, true);
    const c = await spnRun(snap, setup.transfers, block, depth, false, engine, parallel);
    warmSpn.push(transfers / a.seconds);
    warmBare.push(transfers / b);
    warmExec.push(transfers / c.seconds);
    log(
      `pre-recovered run ${i + 1}/${runs}: spn ${warmSpn[i].toFixed(0)} tx/s, bare ${warmBare[i].toFixed(0)} tx/s, executor alone ${warmExec[i].toFixed(0)} tx/s`,
    );
  }

  const spn = median(spnTps);
  const bareM = median(bareTps);
  const exec = median(execTps);
  const serialSpn = median(serialSpnTps);
  const result = {
    spnTps: Math.round(spn),
    bareTps: Math.round(bareM),
    overheadRatio: Number((bareM / spn).toFixed(3)),
    serialExecutorSpnTps: Math.round(serialSpn),
    serialExecutorRatio: Number((bareM / serialSpn).toFixed(3)),
    workers,
    executorOnlyTps: Math.round(exec),
    executorOnlyRatio: Number((bareM / exec).toFixed(3)),
    executeShare: Number(median(executeShare).toFixed(3)),
    preRecoveredSpnTps: Math.round(median(warmSpn)),
    preRecoveredBareTps: Math.round(median(warmBare)),
    preRecoveredRatio: Number((median(warmBare) / median(warmSpn)).toFixed(3)),
    preRecoveredExecutorTps: Math.round(median(warmExec)),
    preRecoveredExecutorRatio: Number((median(warmBare) / median(warmExec)).toFixed(3)),
    treeUpdatesPerBlock: Math.round(updatesPerBlock),
    depth,
    block,
    accounts,
    transfers,
    runs,
  };
  console.log(
    `ERC-20 transfers from raw signed txs, ${transfers} per run in blocks of ${block}, ${accounts} accounts, median of ${runs} interleaved runs`,
  );
  console.log(
    `(a) spn path   ${result.spnTps} tx/s  (EvmExecutor + StateTree plan/commit, depth ${depth}, MemoryNodeStore; ${result.treeUpdatesPerBlock} tree updates per block)`,
  );
  console.log(`(a') serial     ${result.serialExecutorSpnTps} tx/s  ((a) with EXECUTOR_WORKERS=0: ratio ${result.serialExecutorRatio})`);
  console.log(`(b) bare loop  ${result.bareTps} tx/s  (createTxFromRLP + runTx, SimpleStateManager)`);
  console.log(`ratio          ${result.overheadRatio} (bareTps / spnTps; goal <= 1.15)`);
  console.log(
    `(c) executor   ${result.executorOnlyTps} tx/s without the tree: ratio ${result.executorOnlyRatio}; execute is ${(result.executeShare * 100).toFixed(0)}% of (a)`,
  );
  console.log(
    `(d) senders recovered beforehand (as EvmIngress does): spn ${result.preRecoveredSpnTps} tx/s, bare ${result.preRecoveredBareTps} tx/s, ratio ${result.preRecoveredRatio}; ` +
      `executor alone ${result.preRecoveredExecutorTps} tx/s, ratio ${result.preRecoveredExecutorRatio}`,
  );
  console.log(JSON.stringify(result));
}

/** The parallel executor the node runs, kept (warm) across the runs' executors; code comes from the setup's. */
function parallelExecution(snap: SpnSnapshot): ParallelExecution {
  return evmParallelExecution({ chainId: CHAIN_ID }, (hash) => snap.code.get(hash), {
    workers: Number(argValue(process.argv, 'workers') ?? availableParallelism()),
  });
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    process.stderr.write(`bench:evm failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
