/**
 * npm run bench:e2e -- [--vm wasm|evm] [--txs N] [--runs R] [--senders S] [--block-ms MS] [--warmup N] [--compare] [--no-settle] [--spn-log]
 *                      [--evm-work ROUNDS]
 *
 * Drives a devnet (separate processes: embedded PostgreSQL unless DATABASE_URL is set, the
 * mainnet, one SPN; `npm run build`, the dev circuits and the plugins must be built) with N
 * token transfers from 5 senders sending side by side, and measures:
 * - soft-confirmation throughput: N / (time from the first send until every tx is included, as
 *   seen by polling the SPN's new blocks every 50 ms; the txs are signed before the clock starts);
 * - settlement lag per tx: from its send until the SPN reports its batch settled on the mainnet (p50, p95);
 * - proofs per minute: chunk proofs made / time from the first send until all settled.
 * - execution throughput: txs / time the SPN spent in its block executor (`GET /status`);
 * - block production throughput: txs / time the SPN's sequencer spent producing blocks (mempool
 *   read, execution, state tree, database commit), with the executor's and the tree's shares.
 * With --runs R > 1 each figure is the median over R runs (each on a fresh devnet).
 * --no-settle stops each run once every tx is included (no settlement figures: they read 0), and
 * the SPN cuts no batch meanwhile (BATCH_BLOCKS 1000): neither node proves in the background.
 * Proving takes both cores; a serial node's main thread, blocked while it executes, held its
 * proving back, a parallel node's did not, and its workers ran at half speed beside the prover
 * (EVM, --evm-work 1000: 45 ms a tx against 23 ms without batches).
 * --compare runs every measurement twice, with the SPN's default parallel executor and with
 * EXECUTOR_WORKERS=0 (serial), alternating, and prints both and their ratios. Each sender pays
 * its own receiver, so txs of different senders do not conflict (--senders, default 5).
 * Every tx's status is checked once the clock has stopped (a failed one fails the bench).
 * --vm wasm (default): the example token plugin, txs signed (signWasmCall) and posted by SpnClient.
 * --vm evm: an EVM SPN, an ERC-20 transfer per tx, signed up front and sent with
 * eth_sendRawTransaction in JSON-RPC batches (bench/support/evm-e2e.ts).
 * --evm-work ROUNDS (with --vm evm): compute-heavy txs instead of transfers, each a call of the
 * Work fixture (libs/vm-evm/test-fixtures/Work.sol) running ROUNDS keccak rounds into its
 * sender's own slot (no conflicts); the block gas limit is raised so that a block holds
 * MAX_BLOCK_TXS of them. For SPNs whose txs cost more than their ingress: a transfer costs the
 * node far more outside the executor than in it.
 * --spn-log prints the SPN's per-block log lines (txs, time in the executor, how it ran).
 * --warmup N sends N transfers first and waits for them, unmeasured (the execution figures
 * count from there): a node that has run a while has warm workers (each compiles the VM anew).
 * --block-ms: the SPN's BLOCK_TIME_MS (default 200; MAX_BLOCK_TXS is 200 or, from 1,000 ms on,
 * 500). Blocks reach the parallel executor from 64 txs on, so a gain needs blocks that fill up.
 * The last line is one JSON object: txs, softTps, settleLagP50Ms, settleLagP95Ms, proofsPerMin,
 * execTps, blockTps, execShare, treeShare (default executor) and with --compare serialSoftTps,
 * serialExecTps, serialBlockTps, softTpsRatio, execTpsRatio, blockTpsRatio (parallel / serial).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpnClient } from '@mesh/client';
import { signWasmCall } from '@mesh/core';
import { Devnet, devAccounts, setupDevToken, TOKEN_PLUGIN } from '@mesh/devnet';
import type { BatchView, BlockView } from '@mesh/spn-node';
import { argValue, intArg } from '../scripts/cli-args';
import { evmSpnEnv, prepareEvmTransfers, workGasLimit, type Sent, type TransferLoad } from './support/evm-e2e';

interface RunResult {
  softTps: number;
  execTps: number;
  blockTps: number;
  treeShare: number;
  execShare: number;
  settleLagP50Ms: number;
  settleLagP95Ms: number;
  proofsPerMin: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const median = (values: number[]) => percentile(values, 50);

/** --no-settle: stop once every tx is included (soft and executor figures only; no settlement lag or proofs). */
const SETTLE = !process.argv.includes('--no-settle');
const BLOCK_MS = intArg(process.argv, 'block-ms', 200, 1);
const SPN_LOG = process.argv.includes('--spn-log');
const WARMUP = intArg(process.argv, 'warmup', 0);
const EVM_WORK = intArg(process.argv, 'evm-work', 0);

type Vm = 'wasm' | 'evm';

/** The Wasm workload: the example token handed out to the senders; calls signed up front, then posted, senders side by side. */
async function prepareWasmTransfers(client: SpnClient, senderCount: number): Promise<TransferLoad> {
  const accounts = devAccounts(senderCount + 1);
  const senders = accounts.slice(1);
  await setupDevToken(client, accounts[0], senders, 1_000_000n);
  const nonces = await Promise.all(senders.map((s) => client.nextNonce(s.address)));
  return {
    async sign(count) {
      const streams = await Promise.all(
        senders.map(async (sender, s) => {
          const to = '0x' + (0xe0000 + s).toString(16).padStart(40, '0'); // each sender its own receiver
          const from = sender.address.toLowerCase();
          const signed = [];
          for (let i = s; i < count; i += senders.length)
            signed.push(
              await signWasmCall(sender, client.domain, {
                from,
                gasLimit: 1_000_000n,
                plugin: TOKEN_PLUGIN,
                method: 'transfer',
                args: [to, '1'],
                nonce: nonces[s]++,
              }),
            );
          return signed;
        }),
      );
      return async () => {
        const sent: Sent = [];
        await Promise.all(
          streams.map(async (stream) => {
            for (const signed of stream) {
              const at = Date.now();
              sent.push({ hash: await client.send(signed), at });
            }
          }),
        );
        return sent;
      };
    },
  };
}

/**
 * Watches the SPN until every sent tx is included (and settled, with `settle`); when each was
 * first seen so. Every 50 ms it reads the new blocks (`GET /blocks`, 100 a page) and, with
 * `settle`, `GET /status`: batches settle in order, and each newly settled batch
 * (`GET /batches/:n`) names its blocks. Not tx by tx, as before: a pass over thousands of txs
 * was thousands of requests, each a query on the node's main thread, a load on the node being
 * measured (and a tx was seen only when the pass came round to it).
 */
async function watchTxs(
  client: SpnClient,
  sent: Sent,
  from: { height: string; lastSettledBatch: string | null },
  settle: boolean,
  start: number,
): Promise<{ includedAt: Map<string, number>; settledAt: Map<string, number> }> {
  const url = client.baseUrl;
  const get = <T>(path: string) =>
    retrying(async () => {
      const res = await fetch(`${url}${path}`);
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    });
  const ours = new Set(sent.map((tx) => tx.hash));
  const includedAt = new Map<string, number>();
  const settledAt = new Map<string, number>();
  const txsOfBlock = new Map<bigint, string[]>();
  let height = BigInt(from.height);
  let settledBatch = BigInt(from.lastSettledBatch ?? 0);
  const done = () => includedAt.size === ours.size && (!settle || settledAt.size === ours.size);
  while (!done()) {
    const now = Date.now();
    // The blocks above `height`, newest first, a page at a time until the page reaches it.
    const fresh: BlockView[] = [];
    for (let before = ''; ;) {
      const blocks = (await get<BlockView[]>(`/blocks?limit=100${before}`)).filter((b) => BigInt(b.number) > height);
      fresh.push(...blocks);
      if (blocks.length < 100) break;
      before = `&before=${blocks[blocks.length - 1].number}`;
    }
    for (const block of fresh) {
      const hashes = block.txHashes.filter((hash) => ours.has(hash));
      for (const hash of hashes) includedAt.set(hash, now);
      txsOfBlock.set(BigInt(block.number), hashes);
    }
    if (fresh.length > 0) height = BigInt(fresh[0].number);
    // A batch settles after its blocks were committed, so they were in the pages read above.
    const lastSettled = settle ? BigInt((await client.status()).lastSettledBatch ?? 0) : settledBatch;
    for (; settledBatch < lastSettled; settledBatch++) {
      const batch = await get<BatchView>(`/batches/${settledBatch + 1n}`);
      for (let n = BigInt(batch.firstBlock); n <= BigInt(batch.lastBlock); n++)
        for (const hash of txsOfBlock.get(n) ?? []) settledAt.set(hash, now);
    }
    if (Date.now() - start > 900_000) throw new Error(`not ${settle ? 'settled' : 'included'} within 15 minutes`);
    if (!done()) await new Promise((r) => setTimeout(r, 50));
  }
  return { includedAt, settledAt };
}

/** Throws if any of the txs failed (looked up 16 at a time, after the clock stopped). */
async function expectNoneFailed(client: SpnClient, sent: Sent): Promise<void> {
  let next = 0;
  const lookups = async () => {
    for (let i = next++; i < sent.length; i = next++) {
      const info = await retrying(() => client.tx(sent[i].hash));
      if (info.status === 'failed') throw new Error(`transfer ${sent[i].hash} failed: ${info.receipt?.error}`);
      if (info.status === 'pending') throw new Error(`transfer ${sent[i].hash} is still pending`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, lookups));
}

type Execution = Awaited<ReturnType<SpnClient['status']>>['execution'];

/** The executor's totals of the measured part (GET /status counts from the node's start). */
function executionSince(before: Execution, after: Execution): Execution {
  if (!before || !after) return after;
  return {
    ...after,
    blocks: after.blocks - before.blocks,
    txs: after.txs - before.txs,
    executeMs: after.executeMs - before.executeMs,
    blockMs: after.blockMs - before.blockMs,
    treeMs: after.treeMs - before.treeMs,
    parallelBlocks: after.parallelBlocks - before.parallelBlocks,
    serialBlocks: after.serialBlocks - before.serialBlocks,
    reexecutions: after.reexecutions - before.reexecutions,
  };
}

/**
 * A GET, tried up to 3 times: under load a kept-alive connection the SPN has just closed (after
 * its 5 s keep-alive) fails as "fetch failed" (other side closed) once in a while.
 */
async function retrying<T>(get: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await get();
    } catch (err) {
      if (attempt >= 3 || (err as Error)?.message !== 'fetch failed') throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const statusOf = (client: SpnClient) => retrying(() => client.status());

async function run(vm: Vm, txs: number, senderCount: number, spnEnv: Record<string, string> = {}): Promise<RunResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mesh-bench-'));
  chmodSync(dataDir, 0o755);
  const maxBlockTxs = BLOCK_MS >= 1_000 ? 500 : 200;
  const env = {
    BLOCK_TIME_MS: String(BLOCK_MS),
    MAX_BLOCK_TXS: String(maxBlockTxs),
    // --no-settle: no batch is cut while the bench runs, so neither node proves in the
    // background (proving shares the 2 cores with the workers; a serial node's blocked main
    // thread holds its proving back meanwhile, a parallel node's does not).
    ...(SETTLE
      ? { BATCH_BLOCKS: '5', BATCH_MAX_MS: String(Math.max(2_000, 2 * BLOCK_MS)) }
      : { BATCH_BLOCKS: '1000', BATCH_MAX_MS: '3600000' }),
    ...spnEnv,
  };
  // --evm-work: a block holds MAX_BLOCK_TXS work calls (the default 30M gas would hold a handful).
  const workEnv: Record<string, string> =
    EVM_WORK > 0 ? { BLOCK_GAS_LIMIT: String(BigInt(maxBlockTxs) * workGasLimit(EVM_WORK) + 1_000_000n) } : {};
  const devnet = await Devnet.start({
    dataDir,
    databaseUrl: process.env.DATABASE_URL || undefined,
    // --spn-log: the SPN's block lines (size, time in the executor, parallel or serial and why) on stderr.
    logLevel: SPN_LOG ? 'log' : 'warn',
    onLine: SPN_LOG ? (line) => / block \d+: /.test(line) && process.stderr.write(`${line}\n`) : undefined,
    spns: [vm === 'wasm' ? { spnId: 'wasm-1', vm, env } : { spnId: 'evm-1', vm, env: { ...evmSpnEnv(senderCount), ...workEnv, ...env } }],
  });
  try {
    const client = new SpnClient(devnet.spnUrl, { chainId: devnet.chainId, spnId: devnet.spnId });
    const transfers =
      vm === 'evm' ? await prepareEvmTransfers(devnet.spnUrl, senderCount, EVM_WORK) : await prepareWasmTransfers(client, senderCount);
    // --warmup: the same load first, unmeasured (the workers' JIT warms up as in a node that has been running).
    if (WARMUP > 0) {
      const send = await transfers.sign(WARMUP);
      const { height } = await statusOf(client);
      const warm = await send();
      await watchTxs(client, warm, { height, lastSettledBatch: null }, false, Date.now());
      await expectNoneFailed(client, warm);
    }
    const send = await transfers.sign(txs); // before the clock starts: the client's cost
    const before = await statusOf(client);
    const batchesBefore = Number(before.lastBatch ?? 0);
    const start = Date.now();
    const sent = await send();
    const { includedAt, settledAt } = await watchTxs(client, sent, before, SETTLE, start);
    const end = Date.now();
    await expectNoneFailed(client, sent);
    const lastIncluded = Math.max(...includedAt.values());
    const after = await statusOf(client);
    let proofs = 0;
    for (let n = batchesBefore + 1; SETTLE && n <= Number(after.lastBatch); n++) {
      proofs += ((await (await fetch(`${devnet.spnUrl}/batches/${n}`)).json()) as { chunks: number }).chunks;
    }
    const lags = SETTLE ? sent.map((t) => settledAt.get(t.hash)! - t.at) : [0];
    const execution = executionSince(before.execution, after.execution);
    const result = {
      execTps: execution && execution.executeMs > 0 ? execution.txs / (execution.executeMs / 1000) : 0,
      blockTps: execution && execution.blockMs > 0 ? execution.txs / (execution.blockMs / 1000) : 0,
      execShare: execution && execution.blockMs > 0 ? execution.executeMs / execution.blockMs : 0,
      treeShare: execution && execution.blockMs > 0 ? execution.treeMs / execution.blockMs : 0,
      softTps: txs / ((lastIncluded - start) / 1000),
      settleLagP50Ms: percentile(lags, 50),
      settleLagP95Ms: percentile(lags, 95),
      proofsPerMin: proofs / ((end - start) / 60_000),
    };
    process.stderr.write(
      `[bench] ${txs} txs (${spnEnv.EXECUTOR_WORKERS === '0' ? 'serial' : 'parallel'} executor): soft ${result.softTps.toFixed(1)} tx/s, executor ${result.execTps.toFixed(0)} tx/s, ` +
        `block production ${result.blockTps.toFixed(0)} tx/s (executor ${(100 * result.execShare).toFixed(0)} %, state tree ${(100 * result.treeShare).toFixed(0)} % of it) ` +
        `(${execution?.parallelBlocks ?? 0} parallel / ${execution?.serialBlocks ?? 0} serial blocks, ${execution?.reexecutions ?? 0} re-executions), settle lag p50 ${result.settleLagP50Ms} ms p95 ${result.settleLagP95Ms} ms, ${proofs} proofs (${result.proofsPerMin.toFixed(1)}/min)\n`,
    );
    return result;
  } finally {
    await devnet.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const vm = (argValue(process.argv, 'vm') ?? 'wasm') as Vm;
  if (vm !== 'wasm' && vm !== 'evm') throw new Error(`--vm must be wasm or evm, got ${String(vm)}`);
  const txs = intArg(process.argv, 'txs', 200, 1);
  const runs = intArg(process.argv, 'runs', 1, 1);
  const senders = intArg(process.argv, 'senders', 5, 1);
  const compare = process.argv.includes('--compare');
  if (EVM_WORK > 0 && vm !== 'evm') throw new Error('--evm-work takes --vm evm');
  const results: RunResult[] = [];
  const serial: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(await run(vm, txs, senders));
    if (compare) serial.push(await run(vm, txs, senders, { EXECUTOR_WORKERS: '0' }));
  }
  const pick = (list: RunResult[], k: keyof RunResult) => median(list.map((r) => r[k]));
  const summary: Record<string, number> = {
    txs,
    softTps: Number(pick(results, 'softTps').toFixed(1)),
    settleLagP50Ms: Math.round(pick(results, 'settleLagP50Ms')),
    settleLagP95Ms: Math.round(pick(results, 'settleLagP95Ms')),
    proofsPerMin: Number(pick(results, 'proofsPerMin').toFixed(1)),
    execTps: Math.round(pick(results, 'execTps')),
    blockTps: Math.round(pick(results, 'blockTps')),
    execShare: Number(pick(results, 'execShare').toFixed(3)),
    treeShare: Number(pick(results, 'treeShare').toFixed(3)),
  };
  console.log(
    `transfers                ${txs} ${vm === 'evm' ? (EVM_WORK > 0 ? `EVM calls of ${EVM_WORK} keccak rounds` : 'ERC-20') : 'Wasm token'} (${senders} senders side by side), median of ${runs} run(s)`,
  );
  console.log(`soft confirmation        ${summary.softTps} tx/s`);
  console.log(`settlement lag           p50 ${summary.settleLagP50Ms} ms, p95 ${summary.settleLagP95Ms} ms`);
  console.log(`proofs                   ${summary.proofsPerMin} per minute`);
  console.log(`block executor           ${summary.execTps} tx/s (parallel executor, the default)`);
  console.log(
    `block production         ${summary.blockTps} tx/s of the sequencer's time (executor ${(100 * summary.execShare).toFixed(0)} %, state tree ${(100 * summary.treeShare).toFixed(0)} %)`,
  );
  if (compare) {
    summary.serialSoftTps = Number(pick(serial, 'softTps').toFixed(1));
    summary.serialExecTps = Math.round(pick(serial, 'execTps'));
    summary.softTpsRatio = Number((summary.softTps / summary.serialSoftTps).toFixed(3));
    summary.execTpsRatio = Number((summary.execTps / summary.serialExecTps).toFixed(3));
    summary.serialBlockTps = Math.round(pick(serial, 'blockTps'));
    summary.blockTpsRatio = Number((summary.blockTps / summary.serialBlockTps).toFixed(3));
    console.log(
      `serial executor          soft ${summary.serialSoftTps} tx/s, block executor ${summary.serialExecTps} tx/s, block production ${summary.serialBlockTps} tx/s`,
    );
    console.log(
      `parallel / serial        soft x${summary.softTpsRatio}, block executor x${summary.execTpsRatio}, block production x${summary.blockTpsRatio}`,
    );
  }
  console.log(JSON.stringify(summary));
}

main().catch((err: unknown) => {
  const cause = (err as { cause?: unknown })?.cause;
  process.stderr.write(
    `bench:e2e failed: ${(err as Error)?.stack ?? String(err)}${cause ? `\ncaused by: ${String((cause as Error)?.stack ?? cause)}` : ''}\n`,
  );
  process.exit(1);
});
