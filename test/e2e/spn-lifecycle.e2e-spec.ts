import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpnStatus } from '@mesh/client';
import { REPO_ROOT, TOKEN_PLUGIN } from '@mesh/devnet';
import type { AccountRecord, BatchSummary, CursorPage, SpnDetails } from '@mesh/mainnet';
import { FAST_SPN_ENV, startWasmDevnet, type WasmDevnetFixture } from '../support/wasm-devnet';

/**
 * The SPN lifecycle end to end: a Wasm SPN (a process) that asks for one operator with 1000
 * restaked registers as `proposed`; its batches are proven but wait on the mainnet (SPN_NOT_ACTIVE
 * is retried, never a rejection) until its operator bonds and restakes with the built `mesh`
 * command line; then they settle. Unrestaking pauses it again.
 */
const MESH = resolve(REPO_ROOT, 'dist/apps/cli/src/main.js');
let fx: WasmDevnetFixture;

beforeAll(async () => {
  fx = await startWasmDevnet(1_000n, { ...FAST_SPN_ENV, SPN_MIN_OPERATORS: '1', SPN_MIN_RESTAKE: '1000' });
});

afterAll(async () => {
  await fx?.stop();
});

function mesh(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MESH_MAINNET_URL: fx.devnet.mainnetUrl };
  return new Promise((done) =>
    execFile(process.execPath, [MESH, ...args], { env, timeout: 120_000 }, (err, out, errOut) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
    ),
  );
}

const spnOnMainnet = () => fx.mainnet.spn<SpnDetails>(fx.devnet.spnId);
const sleep = (ms: number) => new Promise((wait) => setTimeout(wait, ms));

describe('an SPN with requirements', () => {
  it('stays proposed, and its proven batches wait instead of being rejected', async () => {
    expect(await spnOnMainnet()).toMatchObject({
      status: 'proposed',
      requirements: { minOperators: 1, minRestake: '1000' },
      operators: [],
    });
    // The devnet's setup deployed the token plugin and funded 5 accounts: blocks, then batches.
    let status: SpnStatus | undefined;
    for (let i = 0; i < 300; i++) {
      status = await fx.spn.status();
      if (status.lastBatch !== null && status.proving.queuedJobs === 0) break;
      await sleep(200);
    }
    await sleep(3_000); // settlement attempts keep being refused as not active
    const batches = await fx.mainnet.batches<CursorPage<BatchSummary>>(fx.devnet.spnId);
    expect(batches.items).toEqual([]);
    expect(status).toMatchObject({ lastSettledBatch: null, proving: { queuedJobs: 0 } });
    const db = new Client({ connectionString: fx.testDb.url });
    await db.connect();
    const { rows } = await db
      .query<{ status: string; error: string | null }>('SELECT status, error FROM spn_batch WHERE spn_id = $1 ORDER BY batch_no', [
        fx.devnet.spnId,
      ])
      .finally(() => db.end());
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.status !== 'rejected' && r.error === null)).toBe(true);
    expect(fx.devnet.spn.stdout + fx.devnet.spn.stderr).toMatch(/SPN "wasm-1" is proposed, not active/);
  });

  it('becomes active once its operator bonds and restakes with `mesh stake`, and its waiting batches settle', async () => {
    expect((await mesh('account', '--dev-account', '0')).out).toMatch(/balance 1000000000000000000000000, bonded 0, next nonce 0/);
    const bonded = await mesh('stake', 'bond', '5000', '--dev-account', '0');
    expect(bonded).toMatchObject({ code: 0, err: '' });
    expect(bonded.out).toMatch(/^bond 5000: done \(nonce 0\)\naccount 0x[0-9a-f]{40}: balance 999999999999999999995000, bonded 5000/);
    const restaked = await mesh('stake', 'restake', fx.devnet.spnId, '1000', '--dev-account', '0');
    expect(restaked).toMatchObject({ code: 0, err: '' });
    expect(restaked.out).toContain(`restaked on ${fx.devnet.spnId}: 1000`);
    expect((await mesh('spn', 'show', fx.devnet.spnId)).out).toMatch(/status: active\n[\s\S]*operator 0x[0-9a-f]{40}: restaked 1000\n/);

    let batches = await fx.mainnet.batches<CursorPage<BatchSummary>>(fx.devnet.spnId);
    for (let i = 0; i < 600 && batches.items.length === 0; i++) {
      await sleep(200);
      batches = await fx.mainnet.batches<CursorPage<BatchSummary>>(fx.devnet.spnId);
    }
    expect(batches.items.at(-1)).toMatchObject({ batchNo: 1 });
    const plugins = await fx.spn.plugins();
    expect(plugins.map((p) => p.name)).toContain(TOKEN_PLUGIN);
  });

  it('pauses when its operator unrestakes below the minimum; a refused operation exits 1 with the reason', async () => {
    const unrestaked = await mesh('stake', 'unrestake', fx.devnet.spnId, '1', '--dev-account', '0');
    expect(unrestaked).toMatchObject({ code: 0, err: '' });
    expect(unrestaked.out).toMatch(/unbonding 1 from wasm-1: ready at \d{4}-/);
    expect((await spnOnMainnet()).status).toBe('paused');
    const account = await fx.mainnet.account<AccountRecord>((await spnOnMainnet()).operator);
    expect(account).toMatchObject({ bonded: '4000', nonce: 3, restakes: [{ spnId: fx.devnet.spnId, amount: '999' }] });

    const refused = await mesh('stake', 'withdraw', '--dev-account', '0');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /^mesh stake: http:\/\/127\.0\.0\.1:\d+\/staking\/operations: 422 stake operation rejected: nothing to withdraw yet: the next unbonding entry is ready at /,
    );
    const usage = await mesh('stake', 'bond', 'lots', '--dev-account', '0');
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/<amount> must be a whole number of base units/);
  });
});
