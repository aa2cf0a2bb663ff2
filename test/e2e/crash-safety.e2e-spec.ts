import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HDNodeWallet } from 'ethers';
import type { SpnClient, SpnStatus } from '@mesh/client';
import { TOKEN_PLUGIN, tokenBalance } from '@mesh/devnet';
import type { BatchSummary, CursorPage, SpnDetails } from '@mesh/mainnet';
import { startWasmDevnet, waitUntilAllSettled, type WasmDevnetFixture } from '../support/wasm-devnet';

const FUNDING = 10_000n;
let fx: WasmDevnetFixture;

beforeAll(async () => {
  fx = await startWasmDevnet(FUNDING);
});

afterAll(async () => {
  await fx?.stop();
});

/** Sends transfers round-robin between users; returns the hashes the SPN acknowledged, with their effect. */
async function sendTransfers(spn: SpnClient, users: HDNodeWallet[], count: number, expected: Map<string, bigint>): Promise<string[]> {
  const nonces = await Promise.all(users.map((u) => spn.nextNonce(u.address)));
  const acked: string[] = [];
  for (let i = 0; i < count; i++) {
    const from = i % users.length;
    const to = (from + 1) % users.length;
    const [a, b] = [users[from].address.toLowerCase(), users[to].address.toLowerCase()];
    acked.push(await spn.call(users[from], { plugin: TOKEN_PLUGIN, method: 'transfer', args: [b, '3'], nonce: nonces[from]++ }));
    expected.set(a, expected.get(a)! - 3n);
    expected.set(b, expected.get(b)! + 3n);
  }
  return acked;
}

async function waitForStatus(spn: SpnClient, done: (s: SpnStatus) => boolean, what: string, timeoutMs = 120_000): Promise<SpnStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await spn.status();
    if (done(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('crash safety (kill -9)', () => {
  it('loses no acknowledged tx, applies none twice, settles no batch twice, and resumes proving', async () => {
    const users = fx.accounts.slice(1);
    const expected = new Map(users.map((u) => [u.address.toLowerCase(), FUNDING]));
    const acked = await sendTransfers(fx.spn, users, 60, expected);

    // Kill the SPN while a batch is open or being proven.
    await waitForStatus(fx.spn, (s) => Number(s.height) > 1 && s.lastBatch !== s.lastSettledBatch, 'an unsettled batch');
    await fx.devnet.restartSpn('kill');
    acked.push(...(await sendTransfers(fx.spn, users, 40, expected)));

    // Kill the mainnet while the SPN has batches to settle.
    await waitForStatus(fx.spn, (s) => s.lastBatch !== null && s.lastBatch !== s.lastSettledBatch, 'a batch to settle');
    await fx.devnet.restartMainnet('kill');
    acked.push(...(await sendTransfers(fx.spn, users, 20, expected)));

    // And the SPN once more, right after a batch was cut.
    await waitForStatus(fx.spn, (s) => s.lastBatch !== s.lastSettledBatch, 'another unsettled batch');
    await fx.devnet.restartSpn('kill');

    await waitUntilAllSettled(fx.spn);

    // Nothing acknowledged was lost and nothing was applied twice.
    const spn = fx.spn;
    const included = new Map<string, number>();
    const status = await spn.status();
    for (let n = 1; n <= Number(status.height); n++) {
      const block = await fetch(`${spn.baseUrl}/blocks/${n}`).then((r) => r.json() as Promise<{ txHashes: string[] }>);
      for (const h of block.txHashes) included.set(h, (included.get(h) ?? 0) + 1);
    }
    for (const hash of acked) {
      expect(included.get(hash), hash).toBe(1);
      const tx = await spn.tx(hash);
      expect(tx.status).toBe('settled');
      expect(tx.receipt?.status).toBe('success');
    }
    for (const [address, balance] of expected) expect(await tokenBalance(spn, address)).toBe(balance);

    // No batch settled twice: batches 1..n, each starting where the previous one ended.
    const record = await fx.mainnet.spn<SpnDetails>(fx.devnet.spnId);
    expect(record.lastRoot).toBe(status.stateRoot);
    const page = await fx.mainnet.batches<CursorPage<BatchSummary>>(fx.devnet.spnId, { limit: 100 });
    const batches = [...page.items].sort((a, b) => a.batchNo - b.batchNo);
    expect(batches.map((b) => b.batchNo)).toEqual(Array.from({ length: record.lastBatchNo }, (_, i) => i + 1));
    for (let i = 1; i < batches.length; i++) {
      expect(batches[i].preRoot).toBe(batches[i - 1].postRoot);
      expect(batches[i].firstBlock).toBe(batches[i - 1].lastBlock + 1);
    }
    expect(batches[batches.length - 1].lastBlock).toBe(Number(status.height));
  });
});
