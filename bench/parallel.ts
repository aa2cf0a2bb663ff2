/**
 * npm run bench:parallel [-- --runs N --warmup N --txs N --workers N --wasm-blocks N --evm-blocks N
 *                           --coordinator on|off --adaptive on|off --warmup-txs N --split-first on|off
 *                           --coordinator-share F --workers-steal on|off --tasks-per-worker N --claim-ms MS --worker-young-mb MB --skip-evm
 *                           --skip-wasm --skip-declared --skip-split --skip-workload-scaling --workload-scaling-only
 *                           --evm-work ROUNDS]
 *
 * The parallel executor (libs/executor) against serial execution, block by block, on this
 * machine: Wasm token transfers (libs/sdk-as example token) and EVM ERC-20 transfers, each at low
 * contention (every account in at most one tx of the block) and high contention (every tx sends
 * to one hot account). Serial = the VM's serial executor (SerialWasmExecutor, EvmExecutor without
 * workers) as the node runs it with EXECUTOR_WORKERS=0; parallel = the same VM's executor with
 * `--workers` worker threads (default 2) and the node's default settings otherwise. Both run
 * the same blocks on the same committed state (execution does not commit), each half timed after
 * an untimed pass of its own blocks, alternating run by run so machine noise hits both (block by block was tried: the workers then idle through every
 * other block, which a node never does, and it measured the parallel side ~15 % lower). A run is `--wasm-blocks` (20) or `--evm-blocks` (6) blocks;
 * tx/s are medians over `--runs` (15), and each ratio is the median of the runs' own ratios
 * (a run's serial and parallel halves are measured back to back). Results are checked equal
 * (receipts and writes) before timing.
 *
 * The low-contention loads also run as a bound (unless --skip-split): the executor's split first
 * pass on every block, with the adaptive choice off (and the VM's own split settings: the Wasm SPN's
 * coordinator runs a share itself). Each block is cut into one piece per worker,
 * each piece runs straight through against committed state, one message in and a few out (no
 * multi-version memory, no per-tx report): about what two worker threads can do with the least
 * coordination (for EVM transfers the claims balance the workers a few % better). "The slowest
 * piece's own time alone" leaves out block set-up and messages too: what the two workers'
 * execution itself allows on this machine. So they show how much of the gap to the goals is the
 * executor's and how much the machine's.
 *
 * After the loads, each VM's workload scaling (unless --skip-workload-scaling; support/workload-scaling.ts):
 * its low-contention blocks as split pieces, one worker alone against two at once, no
 * coordination: what two threads of that workload do here, the ceiling of its low ratio
 * (evmLowWorkloadScaling, wasmLowWorkloadScaling).
 *
 * Each half of a run also measures this process's CPU time (every thread: the workers, this
 * thread, V8's GC and compiler helper threads) against its wall time: the cores it kept busy
 * (<load>SerialCores, <load>ParallelCores), and the serial wall time over the parallel half's CPU
 * time spread over the machine's cores (<load>CpuCeiling, from the runs whose blocks all ran in the workers):
 * what the parallel side would reach if none of its work waited, i.e. the ceiling its own CPU
 * use sets. A parallel side that keeps every core busy and still falls short spends more CPU than
 * serial execution does (coordination, GC without an idle core for V8's helpers); one well under
 * them waits (set-up, messages, a slow piece).
 *
 * Then the declared-keys fast path (unless --skip-declared): every tx to one hot account with
 * exact declarations (EIP-2930 access lists; Wasm calls' reads / writes), and every tx to one of
 * 4 hot accounts without and with them.
 *
 * --evm-work ROUNDS adds compute-heavy EVM txs (low contention): each a call of the Work fixture
 * (libs/vm-evm/test-fixtures/Work.sol) running ROUNDS keccak rounds into its sender's own slot
 * (200 rounds: ~3 ms a tx here), as `bench:e2e --evm-work` sends them (evmWorkRatio).
 *
 * Last line: JSON with evmLowRatio, evmHighRatio, wasmLowRatio, wasmHighRatio (parallel tx/s /
 * serial tx/s), reexecRateLow, reexecRateHigh (re-executions per tx, the higher of the two VMs),
 * the same for the declared loads (evmHighDeclaredRatio, evmHigh4HotRatio,
 * evmHigh4HotDeclaredRatio, wasm..., reexecRateHighDeclared, reexecRate4HotDeclared), the bound
 * (evmLowSplitRatio, wasmLowSplitRatio; evmLowSplitLoopBound, wasmLowSplitLoopBound), and the tx/s
 * behind them.
 */
import { availableParallelism } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import type { BlockExecution, BlockExecutor, MempoolTx } from '@mesh/spn-node';
import { ParallelWasmExecutor, type ExecutionReport } from '@mesh/spn-node';
import type { ParallelTuning } from '@mesh/executor';
import { accountAddress, callTx, WasmTestChain } from '../libs/spn-node/test-fixtures/wasm-token-chain';
import { argValue } from '../scripts/cli-args';
import { evmScenario, evmWorkScenario } from './support/evm-parallel-scenario';
import { cpuScaling } from './support/cpu-scaling';
import { median } from './support/median';
import { workloadScaling } from './support/workload-scaling';

export const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** One VM at one contention level: the blocks, and how to run one block serially and in parallel. */
export interface Scenario {
  name: string;
  blocks: MempoolTx[][];
  serial: BlockExecutor;
  parallel: BlockExecutor & { parallel: { lastReport?: ExecutionReport } };
  run(executor: BlockExecutor, txs: MempoolTx[]): Promise<BlockExecution>;
  close(): Promise<void>;
}

/** The bound's settings: every block through the split first pass, the adaptive choice off. */
export function splitBound(tuning: BenchTuning): BenchTuning {
  return { ...tuning, splitFirst: true, adaptive: false };
}

/** The parallel executor's settings under test (`--workers`, `--coordinator on|off`, `--tasks-per-worker`, `--claim-ms`). */
export type BenchTuning = ParallelTuning & { workers: number };

export interface ScenarioResult {
  serialTps: number;
  parallelTps: number;
  ratio: number;
  reexecRate: number;
  /** When every timed block took the split first pass: tx/s of its slowest pieces' own time alone, over serial tx/s. */
  loopBound?: number;
  /** This process's CPU time over wall time in each half (all threads: workers, V8's GC and compiler helpers): cores kept busy (medians). */
  serialCores: number;
  parallelCores: number;
  /**
   * Serial wall time over the parallel half's CPU time spread evenly over the machine's cores
   * (median of the runs whose timed blocks all ran in the workers; absent when none did): the
   * ratio the parallel side would reach if none of its work waited, the ceiling its own CPU use sets.
   */
  cpuCeiling?: number;
}

/** The cores the parallel side's CPU time is spread over for `cpuCeiling`. */
const CORES = availableParallelism();

const comparable = (r: BlockExecution) => ({ receipts: r.receipts, writes: r.writes, gasUsed: r.gasUsed, vmHeader: r.vmHeader });

export async function measure(s: Scenario, runs: number, warmup: number): Promise<ScenarioResult> {
  const txs = s.blocks.reduce((n, b) => n + b.length, 0);
  // Same results; then warm-up (worker start, plugin and code loading, and the JIT: every
  // worker thread compiles the VM's code anew, which takes some thousand txs).
  for (const block of s.blocks) {
    const a = await s.run(s.serial, block);
    const b = await s.run(s.parallel, block);
    if (!isDeepStrictEqual(comparable(a), comparable(b))) throw new Error(`${s.name}: parallel results differ from serial`);
    if (a.receipts.some((r) => r.status !== 'success'))
      throw new Error(`${s.name}: a tx failed: ${a.receipts.find((r) => r.status !== 'success')?.error}`);
  }
  for (let i = 0; i < warmup; i++) {
    for (const block of s.blocks) await s.run(s.serial, block);
    for (const block of s.blocks) await s.run(s.parallel, block);
  }
  const serialTps: number[] = [];
  const parallelTps: number[] = [];
  const reexec: number[] = [];
  const serialCores: number[] = [];
  const parallelCores: number[] = [];
  const ceilings: number[] = [];
  /** `run`'s wall time and this process's CPU time meanwhile (user + system, every thread), ms. */
  const timed = async (run: () => Promise<void>): Promise<{ wallMs: number; cpuMs: number }> => {
    const cpu = process.cpuUsage();
    const t = performance.now();
    await run();
    const wallMs = performance.now() - t;
    const used = process.cpuUsage(cpu);
    return { wallMs, cpuMs: (used.user + used.system) / 1000 };
  };
  // Blocks of the timed runs that took the split first pass: their slowest piece's own time.
  let piecesMs = 0;
  let splitTxs = 0;
  let blocksRun = 0;
  for (let i = 0; i < runs; i++) {
    const serialHalf = async () => {
      for (const block of s.blocks) await s.run(s.serial, block); // lead-in, untimed (see below)
      const { wallMs, cpuMs } = await timed(async () => {
        for (const block of s.blocks) await s.run(s.serial, block);
      });
      serialTps.push(txs / (wallMs / 1000));
      serialCores.push(cpuMs / wallMs);
    };
    let re = 0;
    const modes = new Set<string>();
    const parallelHalf = async () => {
      for (const block of s.blocks) await s.run(s.parallel, block); // lead-in, untimed (see below)
      const { wallMs, cpuMs } = await timed(async () => {
        for (const block of s.blocks) {
          await s.run(s.parallel, block);
          const report = s.parallel.parallel.lastReport;
          re += report?.stats?.reexecutions ?? 0;
          blocksRun++;
          if (report?.stats?.split !== undefined) {
            piecesMs += report.stats.split.slowestPieceMs;
            splitTxs += block.length;
          }
          modes.add(report?.mode === 'serial' ? `serial (${report.reason})` : (report?.mode ?? '?'));
        }
      });
      parallelTps.push(txs / (wallMs / 1000));
      parallelCores.push(cpuMs / wallMs);
    };
    // Which half goes first alternates: the second half pays for the garbage the first left
    // (collected while it runs), which measured the parallel executor's serially run blocks up
    // to ~15 % slower than the same serial executor's when the serial half always went first.
    // Each half also runs its blocks once untimed before it is timed, so that what is timed
    // follows the same executor, as every block does in a node: timed right after the other
    // executor, a half ran up to ~10 % faster or slower than after itself (which way changed
    // from process to process), so that the runs' ratios alternated between two groups (Wasm
    // low ~1.3x and ~1.6x) and their median fell between them.
    if (i % 2 === 0) {
      await serialHalf();
      await parallelHalf();
    } else {
      await parallelHalf();
      await serialHalf();
    }
    reexec.push(re / txs);
    // Serial wall time over the parallel CPU time spread over the cores: the ratio times CORES over the cores kept busy.
    if (![...modes].some((m) => m.startsWith('serial'))) ceilings.push(((parallelTps[i] / serialTps[i]) * CORES) / parallelCores[i]);
    log(
      `${s.name} run ${i + 1}/${runs}: serial ${serialTps[i].toFixed(0)} tx/s, parallel ${parallelTps[i].toFixed(0)} tx/s ` +
        `(x${(parallelTps[i] / serialTps[i]).toFixed(2)}), re-executions ${(reexec[i] * 100).toFixed(1)}%, ` +
        `cores busy ${serialCores[i].toFixed(2)} / ${parallelCores[i].toFixed(2)}, ${[...modes].join(', ')}`,
    );
  }
  const serialM = median(serialTps);
  const parallelM = median(parallelTps);
  // The ratio is the median of each run's own ratio: a run's serial and parallel halves are
  // measured back to back, so slow drifts of this machine's speed cancel within a run.
  return {
    serialTps: Math.round(serialM),
    parallelTps: Math.round(parallelM),
    ratio: Number(median(parallelTps.map((p, i) => p / serialTps[i])).toFixed(3)),
    reexecRate: Number(median(reexec).toFixed(3)),
    serialCores: Number(median(serialCores).toFixed(2)),
    parallelCores: Number(median(parallelCores).toFixed(2)),
    ...(ceilings.length > 0 ? { cpuCeiling: Number(median(ceilings).toFixed(3)) } : {}),
    // Every timed block split: the speed of the slowest pieces' own time alone, over serial.
    ...(splitTxs === txs * runs && blocksRun === s.blocks.length * runs
      ? { loopBound: Number((splitTxs / (piecesMs / 1000) / serialM).toFixed(3)) }
      : {}),
  };
}

/**
 * A scenario's load: contention level, hot accounts at high contention (default 1), declared
 * keys; `split`: every block through the executor's split first pass, the adaptive choice off (the bound).
 */
interface Load {
  contention: 'low' | 'high';
  hots?: number;
  declare?: boolean;
  split?: boolean;
}

export async function wasmScenario(
  contention: 'low' | 'high',
  txsPerBlock: number,
  blocks: number,
  tuning: BenchTuning,
  { hots = 1, declare = false, split = false }: Omit<Load, 'contention'> = {},
): Promise<Scenario> {
  const accounts = contention === 'low' ? txsPerBlock * 2 : txsPerBlock + hots;
  const chain = await WasmTestChain.withToken(accounts);
  const list: MempoolTx[][] = [];
  for (let b = 0; b < blocks; b++) {
    const block: MempoolTx[] = [];
    for (let t = 0; t < txsPerBlock; t++) {
      // low: tx t moves from account 2t to 2t+1 (disjoint); high: tx t pays hot account t % hots from account hots + t.
      const [from, to] = contention === 'low' ? [2 * t, 2 * t + 1] : [hots + t, t % hots];
      const [a, z] = [accountAddress(from), accountAddress(to)];
      const declared = declare ? { reads: [], writes: [`bal:${a}`, `bal:${z}`] } : undefined;
      block.push(callTx(a, 'token', 'transfer', [z, String(1 + ((b + t) % 5))], 1_000_000n, declared));
    }
    list.push(block);
  }
  const parallel = new ParallelWasmExecutor(chain.serial, chain.registry, split ? splitBound(tuning) : tuning);
  return {
    name: `wasm ${contention}${hots > 1 ? ` ${hots} hot` : ''}${declare ? ' declared' : ''}${split ? ' split' : ''}`,
    blocks: list,
    serial: chain.serial,
    parallel,
    run: (executor, txs) => executor.execute(chain.block(), txs, chain.state),
    close: () => parallel.close(),
  };
}

const onOff = (value: string) => value === 'on';

/** `--flag value` as the executor setting `key` (parsed by `parse`), or nothing when the flag is absent. */
function tuningFlag<K extends keyof ParallelTuning>(
  flag: string,
  key: K,
  parse: (value: string) => ParallelTuning[K],
): Partial<ParallelTuning> {
  const value = argValue(process.argv, flag);
  return value === undefined || value === '' ? {} : { [key]: parse(value) };
}

async function main(): Promise<void> {
  // 15 runs (7 until the ninth session): on this machine the same serial blocks ran 0.7x-1.2x as
  // fast from one run to the next, and single runs of the same parallel setting 1.15x-2.39x serial.
  const runs = Number(argValue(process.argv, 'runs') ?? 15);
  const txs = Number(argValue(process.argv, 'txs') ?? 200);
  const workers = Number(argValue(process.argv, 'workers') ?? 2);
  const wasmBlocks = Number(argValue(process.argv, 'wasm-blocks') ?? 20);
  const evmBlocks = Number(argValue(process.argv, 'evm-blocks') ?? 6);
  // Rounds of every block each way before timing. 10: the workers need some 200 blocks in a row to
  // run warm here, as a node that runs blocks without end has them (Wasm low contention, adaptive
  // choice off, one run each: 0.95x after 4 rounds, the first setting; 1.38x after 10).
  const warmup = Number(argValue(process.argv, 'warmup') ?? 10);
  const tuning: BenchTuning = {
    workers,
    ...tuningFlag('coordinator', 'coordinatorExecutes', onOff),
    ...tuningFlag('tasks-per-worker', 'tasksPerWorker', Number),
    ...tuningFlag('claim-ms', 'claimMs', Number),
    ...tuningFlag('warmup-txs', 'warmupTxs', Number),
    ...tuningFlag('adaptive', 'adaptive', onOff),
    ...tuningFlag('split-first', 'splitFirst', onOff),
    ...tuningFlag('coordinator-share', 'splitCoordinatorShare', Number),
    ...tuningFlag('workers-steal', 'splitWorkersSteal', onOff),
    ...tuningFlag('worker-young-mb', 'workerYoungGenerationMb', Number),
  };
  const scenarioOf = (vm: 'wasm' | 'evm', load: Load, n: number, t: BenchTuning): Promise<Scenario> =>
    vm === 'wasm' ? wasmScenario(load.contention, n, wasmBlocks, t, load) : evmScenario(load.contention, n, evmBlocks, t, load);
  const out: Record<string, number> = {};
  const results: Record<string, ScenarioResult> = {};
  // The issue's two levels, then the declared-keys fast path: every tx to one hot account with
  // exact declarations (one chain), and every tx to one of 4 hot accounts without and with them.
  const loads: Load[] = [
    { contention: 'low' },
    ...(process.argv.includes('--skip-split') ? [] : [{ contention: 'low', split: true } as Load]),
    { contention: 'high' },
    ...(process.argv.includes('--skip-declared')
      ? []
      : ([
          { contention: 'high', declare: true },
          { contention: 'high', hots: 4 },
          { contention: 'high', hots: 4, declare: true },
        ] as Load[])),
  ];
  for (const load of process.argv.includes('--workload-scaling-only') ? [] : loads) {
    for (const vm of ['wasm', 'evm'] as const) {
      if (process.argv.includes(`--skip-${vm}`)) continue;
      const s = await scenarioOf(vm, load, txs, tuning);
      results[s.name] = await measure(s, runs, warmup);
      await s.close();
    }
  }
  const evmWork = Number(argValue(process.argv, 'evm-work') ?? 0);
  if (evmWork > 0 && !process.argv.includes('--skip-evm')) {
    const s = await evmWorkScenario(evmWork, txs, evmBlocks, tuning);
    results[s.name] = await measure(s, runs, warmup);
    out.evmWorkRounds = evmWork;
    await s.close();
  }
  // The workloads' own 2-thread scaling (low contention: each worker its own piece, no coordination).
  const workload: Record<string, number> = {};
  if (!process.argv.includes('--skip-workload-scaling'))
    for (const vm of ['wasm', 'evm'] as const) {
      if (process.argv.includes(`--skip-${vm}`)) continue;
      const make = (t: BenchTuning, n: number) => scenarioOf(vm, { contention: 'low', split: true }, n, t);
      workload[vm] = await workloadScaling(make, tuning, txs, runs, Math.min(warmup, 4));
      log(`${vm} workload scaling: ${workload[vm]}x`);
    }
  // The ceiling of any 2-thread speed-up on this machine (measured after the scenarios, on an idle process).
  const scaling = await cpuScaling();
  console.log(`${txs} txs per block, ${workers} workers, medians of ${runs} runs (parallel tx/s / serial tx/s)`);
  console.log(`this machine: 2 threads of plain JavaScript do ${scaling}x the work of 1`);
  for (const [vm, x] of Object.entries(workload)) {
    console.log(
      `${vm} transfers in 2 workers at once (own pieces, no coordination) do ${x}x the work of 1 worker: the ceiling for ${vm} low`,
    );
    out[`${vm}LowWorkloadScaling`] = x;
  }
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(22)} serial ${r.serialTps} tx/s, parallel ${r.parallelTps} tx/s, ratio ${r.ratio}, re-executions per tx ${r.reexecRate}`,
    );
    // "evm high 4 hot declared" -> evmHigh4HotDeclared
    const key = name.replace(/ (\w)/g, (_, c: string) => c.toUpperCase());
    out[`${key}Ratio`] = r.ratio;
    out[`${key}SerialTps`] = r.serialTps;
    out[`${key}ParallelTps`] = r.parallelTps;
    out[`${key}ReexecRate`] = r.reexecRate;
    console.log(
      `${''.padEnd(22)} cores busy (this process's CPU time / wall time): serial ${r.serialCores}, parallel ${r.parallelCores}` +
        (r.cpuCeiling === undefined ? '' : `; the parallel side's CPU time spread over ${CORES} cores would allow ${r.cpuCeiling}x`),
    );
    out[`${key}SerialCores`] = r.serialCores;
    out[`${key}ParallelCores`] = r.parallelCores;
    if (r.cpuCeiling !== undefined) out[`${key}CpuCeiling`] = r.cpuCeiling;
    if (r.loopBound !== undefined) {
      console.log(`${''.padEnd(22)} the slowest piece's own time alone (no set-up, no messages): ${r.loopBound}x serial`);
      out[`${key}LoopBound`] = r.loopBound;
    }
  }
  const rate = (level: string) => Math.max(...['wasm', 'evm'].map((vm) => results[`${vm} ${level}`]?.reexecRate ?? 0));
  console.log(
    JSON.stringify({
      evmLowRatio: out.evmLowRatio,
      evmHighRatio: out.evmHighRatio,
      wasmLowRatio: out.wasmLowRatio,
      wasmHighRatio: out.wasmHighRatio,
      reexecRateLow: rate('low'),
      reexecRateHigh: rate('high'),
      reexecRateHighDeclared: rate('high declared'),
      reexecRate4HotDeclared: rate('high 4 hot declared'),
      ...out,
      workers,
      txsPerBlock: txs,
      runs,
      cpuScaling2Threads: scaling,
    }),
  );
}

if (require.main === module) {
  main()
    .then(() => process.exit(0))
    .catch((err: unknown) => {
      process.stderr.write(`bench:parallel failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
