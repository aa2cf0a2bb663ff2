import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HDNodeWallet } from 'ethers';
import { MainnetRestClient, SpnClient } from '@mesh/client';
import { assertAppsBuilt, devAccounts, Devnet, REPO_ROOT } from '@mesh/devnet';
import type { CursorPage, MessageRecord } from '@mesh/mainnet';
import { FAST_SPN_ENV } from '../support/wasm-devnet';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Cross-SPN messages end to end (ARCHITECTURE.md, step 8): a mainnet and two Wasm SPNs as
 * separate processes. The example `bridge` plugin burns a balance on SPN A and sends it to SPN B;
 * the message settles with A's batch, the mainnet relays it with its inclusion proof, B runs it
 * once, and its result settles back with B's batch. A message B cannot run (no bridge deployed
 * there yet) fails, retryable; one to an unknown SPN fails on the mainnet. SPN B killed while the
 * message is in flight runs it once all the same.
 */
const BRIDGE_WASM = resolve(REPO_ROOT, 'libs/sdk-as/examples/bridge/build/plugin.wasm');
let testDb: TestDatabase;
let dataDir: string;
let devnet: Devnet;
let accounts: HDNodeWallet[];
let mainnet: MainnetRestClient;
const spn = (id: string) => new SpnClient(devnet.node(id).url, { chainId: devnet.chainId, spnId: id });
const sleep = (ms: number) => new Promise((wait) => setTimeout(wait, ms));

/** The built `mesh` command line against the devnet's mainnet. */
function mesh(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MESH_MAINNET_URL: devnet.mainnetUrl };
  return new Promise((done) =>
    execFile(process.execPath, [resolve(REPO_ROOT, 'dist/apps/cli/src/main.js'), ...args], { env, timeout: 60_000 }, (err, out, errOut) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
    ),
  );
}

async function deployBridge(spnId: string): Promise<void> {
  const client = spn(spnId);
  const owner = accounts[0];
  const hash = await client.deploy(owner, 'bridge', new Uint8Array(readFileSync(BRIDGE_WASM)), await client.nextNonce(owner.address));
  expect((await client.waitFor(hash, ['included', 'settled', 'failed'])).status).not.toBe('failed');
}

async function call(spnId: string, from: HDNodeWallet, method: string, args: string[]): Promise<string> {
  const client = spn(spnId);
  const hash = await client.call(from, { plugin: 'bridge', method, args, nonce: await client.nextNonce(from.address) });
  const info = await client.waitFor(hash, ['included', 'settled', 'failed']);
  expect(info.status, JSON.stringify(info.receipt)).not.toBe('failed');
  return hash;
}

async function balance(spnId: string, address: string): Promise<bigint> {
  return BigInt((await spn(spnId).state('bridge', `bal:${address.toLowerCase()}`)).u64 ?? 0);
}

/** The message A's tx `txHash` sent, once A's batch has settled it on the mainnet. */
async function settledMessage(txHash: string): Promise<MessageRecord> {
  for (let i = 0; i < 600; i++) {
    const page = await mainnet.messages<CursorPage<MessageRecord>>('wasm-a', { direction: 'out' });
    const found = page.items.find((m) => m.message.txHash === txHash);
    if (found) return found;
    await sleep(200);
  }
  throw new Error(`the message of tx ${txHash} did not settle`);
}

async function finalState(traceId: string): Promise<MessageRecord> {
  for (let i = 0; i < 900; i++) {
    const m = await mainnet.message<MessageRecord>(traceId);
    if (m.status !== 'relaying') return m;
    await sleep(200);
  }
  throw new Error(`message ${traceId} has no result yet`);
}

beforeAll(async () => {
  assertAppsBuilt();
  testDb = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'mesh-messages-'));
  chmodSync(dataDir, 0o755);
  devnet = await Devnet.start({
    databaseUrl: testDb.url,
    dataDir,
    logLevel: 'log',
    mainnetEnv: { MAINNET_BLOCK_MS: '500' },
    spns: [
      { spnId: 'wasm-a', vm: 'wasm', env: FAST_SPN_ENV },
      { spnId: 'wasm-b', vm: 'wasm', env: FAST_SPN_ENV },
    ],
  });
  mainnet = new MainnetRestClient(devnet.mainnetUrl);
  accounts = devAccounts(3);
  await deployBridge('wasm-a');
  await call('wasm-a', accounts[0], 'mint', [accounts[1].address.toLowerCase(), '1000']);
}, 300_000);

afterAll(async () => {
  await devnet?.stop();
  await testDb?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('messages between two Wasm SPNs', () => {
  const alice = () => accounts[1];
  const bob = () => accounts[2];

  it('a message to a plugin its destination does not have fails there, retryable, and the failure settles back', async () => {
    const tx = await call('wasm-a', alice(), 'send', ['wasm-b', bob().address, '100']);
    expect(await balance('wasm-a', alice().address)).toBe(900n); // burned on A, whatever happens on B
    const sent = await settledMessage(tx);
    expect(sent.message).toMatchObject({ srcSpn: 'wasm-a', dstSpn: 'wasm-b', plugin: 'bridge', method: 'receive', nonce: 1 });
    const done = await finalState(sent.traceId);
    expect(done).toMatchObject({ status: 'failed', error: 'unknown plugin "bridge"', retryable: true, dstBatchNo: expect.any(Number) });
    const onB = await spn('wasm-b').tx(sent.traceId);
    expect(onB).toMatchObject({ status: 'failed', receipt: { status: 'reverted', error: 'unknown plugin "bridge"' } });
  }, 600_000);

  it('moves a balance from A to B exactly once, even when B is killed while the message is in flight', async () => {
    await deployBridge('wasm-b');
    const tx = await call('wasm-a', alice(), 'send', ['wasm-b', bob().address, '300']);
    expect(await balance('wasm-a', alice().address)).toBe(600n);
    const sent = await settledMessage(tx);
    expect(sent.message.nonce).toBe(2);
    // The source SPN numbered it: its tx shows the trace id the mainnet knows it by.
    expect((await spn('wasm-a').tx(tx)).sentMessages).toEqual([{ nonce: 2, traceId: sent.traceId, dstSpn: 'wasm-b' }]);
    // Kill B as soon as its inbox took the message (before or after it ran it), and start it again.
    const b = spn('wasm-b');
    for (let i = 0; i < 300; i++) {
      if (
        await b.tx(sent.traceId).then(
          () => true,
          () => false,
        )
      )
        break;
      await sleep(100);
    }
    await devnet.restartSpn('kill', 'wasm-b');
    const done = await finalState(sent.traceId);
    expect(done).toMatchObject({ status: 'executed', error: null, retryable: null });
    expect(await balance('wasm-b', bob().address)).toBe(300n);
    const onB = await spn('wasm-b').tx(sent.traceId);
    expect(onB.receipt?.status).toBe('success');
    // Once more after everything settled: a restarted B does not run it again.
    await devnet.restartSpn('stop', 'wasm-b');
    await sleep(3_000);
    expect(await balance('wasm-b', bob().address)).toBe(300n);
    const inbound = await mainnet.messages<CursorPage<MessageRecord>>('wasm-b', { direction: 'in' });
    expect(inbound.items.map((m) => [m.message.nonce, m.status])).toEqual([
      [2, 'executed'],
      [1, 'failed'],
    ]);
    // The command line shows the same.
    const shown = await mesh('message', sent.traceId);
    expect(shown).toMatchObject({ code: 0, err: '' });
    expect(shown.out).toContain(`${sent.traceId} wasm-a#2 -> wasm-b: executed\n  call bridge.receive(`);
    const listed = await mesh('message', 'list', 'wasm-b', '--in');
    expect(listed.out).toMatch(/wasm-a#1 -> wasm-b: failed \(retryable\): unknown plugin "bridge"\n$/);
    expect((await mesh('message', '0x12')).code).toBe(2);
  }, 600_000);

  it('a message to an SPN that is not registered fails on the mainnet when its batch settles', async () => {
    const tx = await call('wasm-a', alice(), 'send', ['nowhere', bob().address, '1']);
    const sent = await settledMessage(tx);
    expect(sent).toMatchObject({ status: 'failed', error: 'SPN "nowhere" is not registered', retryable: true });
    // The mainnet's ledger lists the messages with the batch that settled them.
    const batches = await mainnet.batches<CursorPage<{ batchNo: number; mainnetBlock: number | null }>>('wasm-a');
    const batch = await mainnet.batch<{ header: { messagesRoot: string } }>('wasm-a', sent.srcBatchNo);
    expect(batch.header.messagesRoot).toMatch(/^0x[0-9a-f]{64}$/);
    expect(batches.items.length).toBeGreaterThan(0);
  }, 600_000);
});
