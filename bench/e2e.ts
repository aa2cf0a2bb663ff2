/**
 * npm run bench:e2e -- [--txs N] [--runs R]
 *
 * Drives a devnet (separate processes: embedded PostgreSQL unless DATABASE_URL is set, the
 * mainnet, one Wasm SPN; `npm run build`, the dev circuits and the plugins must be built) with N
 * token transfers from 5 senders sending side by side, and measures:
 * - soft-confirmation throughput: N / (time from the first send until every tx is included);
 * - settlement lag per tx: from its send until the SPN reports it settled on the mainnet (p50, p95);
 * - proofs per minute: chunk proofs made / time from the first send until all settled.
 * With --runs R > 1 each figure is the median over R runs (each on a fresh devnet).
 * The last line is one JSON object: txs, softTps, settleLagP50Ms, settleLagP95Ms, proofsPerMin.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpnClient } from '@mesh/client';
import { Devnet, devAccounts, setupDevToken, TOKEN_PLUGIN } from '@mesh/devnet';
import { argValue } from '../scripts/cli-args';

interface RunResult {
  softTps: number;
  settleLagP50Ms: number;
  settleLagP95Ms: number;
  proofsPerMin: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const median = (values: number[]) => percentile(values, 50);

async function run(txs: number): Promise<RunResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mesh-bench-'));
  chmodSync(dataDir, 0o755);
  const devnet = await Devnet.start({
    dataDir,
    databaseUrl: process.env.DATABASE_URL || undefined,
    logLevel: 'warn',
    spnEnv: { BLOCK_TIME_MS: '200', MAX_BLOCK_TXS: '200', BATCH_BLOCKS: '5', BATCH_MAX_MS: '2000' },
  });
  try {
    const client = new SpnClient(devnet.spnUrl, { chainId: devnet.chainId, spnId: devnet.spnId });
    const accounts = devAccounts(6);
    const senders = accounts.slice(1);
    await setupDevToken(client, accounts[0], senders, 1_000_000n);
    const before = await client.status();
    const batchesBefore = Number(before.lastBatch ?? 0);

    const sent: { hash: string; at: number }[] = [];
    const start = Date.now();
    await Promise.all(
      senders.map(async (sender, s) => {
        let nonce = await client.nextNonce(sender.address);
        for (let i = s; i < txs; i += senders.length) {
          const to = senders[(s + 1) % senders.length].address.toLowerCase();
          const at = Date.now();
          const hash = await client.call(sender, { plugin: TOKEN_PLUGIN, method: 'transfer', args: [to, '1'], nonce: nonce++ });
          sent.push({ hash, at });
        }
      }),
    );

    const includedAt = new Map<string, number>();
    const settledAt = new Map<string, number>();
    while (settledAt.size < sent.length) {
      for (const tx of sent) {
        if (settledAt.has(tx.hash)) continue;
        const info = await client.tx(tx.hash);
        const now = Date.now();
        if (info.status !== 'pending' && !includedAt.has(tx.hash)) includedAt.set(tx.hash, now);
        if (info.status === 'settled') settledAt.set(tx.hash, now);
        if (info.status === 'failed') throw new Error(`transfer ${tx.hash} failed: ${info.receipt?.error}`);
      }
      if (Date.now() - start > 900_000) throw new Error('not settled within 15 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }
    const end = Date.now();
    const lastIncluded = Math.max(...includedAt.values());
    const after = await client.status();
    let proofs = 0;
    for (let n = batchesBefore + 1; n <= Number(after.lastBatch); n++) {
      proofs += ((await (await fetch(`${devnet.spnUrl}/batches/${n}`)).json()) as { chunks: number }).chunks;
    }
    const lags = sent.map((t) => settledAt.get(t.hash)! - t.at);
    const result = {
      softTps: txs / ((lastIncluded - start) / 1000),
      settleLagP50Ms: percentile(lags, 50),
      settleLagP95Ms: percentile(lags, 95),
      proofsPerMin: proofs / ((end - start) / 60_000),
    };
    process.stderr.write(
      `[bench] ${txs} txs: soft ${result.softTps.toFixed(1)} tx/s, settle lag p50 ${result.settleLagP50Ms} ms p95 ${result.settleLagP95Ms} ms, ${proofs} proofs (${result.proofsPerMin.toFixed(1)}/min)\n`,
    );
    return result;
  } finally {
    await devnet.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const txs = Number(argValue(process.argv, 'txs') ?? 200);
  const runs = Number(argValue(process.argv, 'runs') ?? 1);
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await run(txs));
  const pick = (k: keyof RunResult) => median(results.map((r) => r[k]));
  const summary = {
    txs,
    softTps: Number(pick('softTps').toFixed(1)),
    settleLagP50Ms: Math.round(pick('settleLagP50Ms')),
    settleLagP95Ms: Math.round(pick('settleLagP95Ms')),
    proofsPerMin: Number(pick('proofsPerMin').toFixed(1)),
  };
  console.log(`transfers                ${txs} (5 senders side by side), median of ${runs} run(s)`);
  console.log(`soft confirmation        ${summary.softTps} tx/s`);
  console.log(`settlement lag           p50 ${summary.settleLagP50Ms} ms, p95 ${summary.settleLagP95Ms} ms`);
  console.log(`proofs                   ${summary.proofsPerMin} per minute`);
  console.log(JSON.stringify(summary));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:e2e failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
