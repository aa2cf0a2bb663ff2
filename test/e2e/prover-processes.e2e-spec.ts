import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HDNodeWallet } from 'ethers';
import type { SpnClient } from '@mesh/client';
import type { SpnRecord } from '@mesh/mainnet';
import { NodeProcess, TOKEN_PLUGIN, tokenBalance } from '@mesh/devnet';
import { FAST_SPN_ENV, startWasmDevnet, waitUntilAllSettled, type WasmDevnetFixture } from '../support/wasm-devnet';

/**
 * Proving in processes of their own (apps/prover), ARCHITECTURE.md's "stateless prover worker":
 * the SPN runs with PROVERS=0 and two prover processes on its database prove its batches; one
 * killed mid-proof leaves its job to the other once its lease ends, one stopped finishes its proof.
 */
const FUNDING = 10_000n;
const LEASE_MS = 3_000;
let fx: WasmDevnetFixture;
let db: Client;

beforeAll(async () => {
  fx = await startWasmDevnet(FUNDING, FAST_SPN_ENV, {}, { spnProvers: 2, spnProverEnv: { PROVER_LEASE_MS: String(LEASE_MS) } });
  db = new Client({ connectionString: fx.testDb.url });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await fx?.stop();
});

interface JobRow {
  batch_no: string;
  chunk_index: number;
  status: string;
  locked_by: string | null;
  proved_by: string | null;
  attempts: number;
}

async function jobs(): Promise<JobRow[]> {
  const { rows } = await db.query<JobRow>(
    'SELECT batch_no, chunk_index, status, locked_by, proved_by, attempts FROM spn_proof_job WHERE spn_id = $1 ORDER BY batch_no, chunk_index',
    [fx.devnet.spnId],
  );
  return rows;
}

const proverName = (prover: NodeProcess): string => /^prover (\S+) proving SPN/m.exec(prover.stdout)![1];

/** Sends transfers round-robin between users, keeping `expected` balances. */
async function sendTransfers(spn: SpnClient, users: HDNodeWallet[], count: number, expected: Map<string, bigint>): Promise<void> {
  const nonces = await Promise.all(users.map((u) => spn.nextNonce(u.address)));
  for (let i = 0; i < count; i++) {
    const from = i % users.length;
    const to = (from + 1) % users.length;
    const [a, b] = [users[from].address.toLowerCase(), users[to].address.toLowerCase()];
    await spn.call(users[from], { plugin: TOKEN_PLUGIN, method: 'transfer', args: [b, '5'], nonce: nonces[from]++ });
    expected.set(a, expected.get(a)! - 5n);
    expected.set(b, expected.get(b)! + 5n);
  }
}

/** Waits until a queued job is leased to `owner`; returns it. */
async function jobLeasedTo(owner: string, timeoutMs = 120_000): Promise<JobRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await jobs()).find((j) => j.status === 'queued' && j.locked_by === owner);
    if (job) return job;
    if (Date.now() > deadline) throw new Error(`no job leased to ${owner} within ${timeoutMs} ms: ${JSON.stringify(await jobs())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('prover processes (apps/prover)', () => {
  const expected = new Map<string, bigint>();

  it('prove every batch of an SPN that runs with PROVERS=0, under the key the SPN registered', async () => {
    const users = fx.accounts.slice(1);
    for (const u of users) expected.set(u.address.toLowerCase(), FUNDING);
    await sendTransfers(fx.spn, users, 20, expected);
    await waitUntilAllSettled(fx.spn);

    const spn = fx.devnet.spns[0];
    expect(spn.process.stdout + spn.process.stderr).toContain('PROVERS=0: this node proves nothing itself');
    const names = spn.provers.map(proverName);
    expect(new Set(names).size).toBe(2);
    const all = await jobs();
    const { rows } = await db.query<{ chunks: string }>('SELECT sum(chunk_count) AS chunks FROM spn_batch WHERE spn_id = $1', [
      fx.devnet.spnId,
    ]);
    expect(all.length).toBe(Number(rows[0].chunks));
    expect(all.length).toBeGreaterThan(0);
    for (const job of all) {
      expect(job.status).toBe('done');
      expect(names).toContain(job.proved_by);
    }
    // Every prover printed the key it proves under: the one the mainnet verifies this SPN's batches with.
    const registered = (await fx.mainnet.spn<SpnRecord>(fx.devnet.spnId)).verificationKeyHash;
    for (const prover of spn.provers) expect(prover.stdout).toContain(`verification key ${registered}`);
    for (const [address, balance] of expected) expect(await tokenBalance(fx.spn, address), address).toBe(balance);
  });

  it('a prover killed mid-proof leaves its job to another once its lease ends; the batch settles', async () => {
    const spn = fx.devnet.spns[0];
    const victim = proverName(spn.provers[0]);
    const users = fx.accounts.slice(1);
    await sendTransfers(fx.spn, users, 10, expected);
    const job = await jobLeasedTo(victim);
    // GET /status shows the queue and who is proving it.
    const { proving } = await fx.spn.status();
    expect(proving.queuedJobs).toBeGreaterThanOrEqual(1);
    expect(proving.provingJobs).toBeGreaterThanOrEqual(1);
    expect(proving.provers).toContain(victim);
    await fx.devnet.restartProver('kill', fx.devnet.spnId, 0); // SIGKILL mid-proof, then a new process (another name)
    expect(proverName(spn.provers[0])).not.toBe(victim);

    await waitUntilAllSettled(fx.spn);
    expect((await fx.spn.status()).proving).toEqual({ queuedJobs: 0, provingJobs: 0, provers: [] });
    const after = (await jobs()).find((j) => j.batch_no === job.batch_no && j.chunk_index === job.chunk_index)!;
    expect(after.status).toBe('done');
    expect(after.proved_by).not.toBe(victim);
    expect(after.attempts).toBeGreaterThanOrEqual(2);
    for (const [address, balance] of expected) expect(await tokenBalance(fx.spn, address), address).toBe(balance);
  });

  it('a prover stopped mid-proof (SIGTERM) stores that proof first, then exits', async () => {
    const spn = fx.devnet.spns[0];
    const prover = spn.provers[1];
    const name = proverName(prover);
    await sendTransfers(fx.spn, fx.accounts.slice(1), 10, expected);
    const job = await jobLeasedTo(name);
    await prover.stop();
    // Nest runs the shutdown hooks, then ends the process with the signal it got, as a Nest app does.
    expect(await prover.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(prover.stderr).toBe('');
    const stored = (await jobs()).find((j) => j.batch_no === job.batch_no && j.chunk_index === job.chunk_index)!;
    expect(stored).toMatchObject({ status: 'done', proved_by: name, locked_by: null });
    // The prover that is left proves the rest.
    await waitUntilAllSettled(fx.spn);
    for (const [address, balance] of expected) expect(await tokenBalance(fx.spn, address), address).toBe(balance);
  });

  it('a prover refuses to start without DATABASE_URL, in one line, exit code 1', async () => {
    const prover = new NodeProcess('prover', { SPN_ID: fx.devnet.spnId });
    expect(await prover.exited).toEqual({ code: 1, signal: null });
    expect(prover.stderr).toBe(
      "Invalid configuration: DATABASE_URL is required: a prover works on its SPN's database (the SPN node's DATABASE_URL) (value hidden)\n",
    );
  });
});
