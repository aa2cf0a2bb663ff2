import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBatchHeader } from '@mesh/core';
import { TOKEN_PLUGIN } from '@mesh/devnet';
import type { SpnDetails } from '@mesh/mainnet';
import { findFreePort } from '@mesh/persistence';
import { MainnetClient, MainnetRejectedError } from '@mesh/transport';
import { NatsServer } from '../support/nats-server';
import { FAST_SPN_ENV, startWasmDevnet, waitUntilAllSettled, type WasmDevnetFixture } from '../support/wasm-devnet';

let nats: NatsServer;
let fx: WasmDevnetFixture;

beforeAll(async () => {
  nats = new NatsServer(await findFreePort('127.0.0.1'));
  await nats.start();
  const env = { MAINNET_TRANSPORT: 'nats', NATS_URL: nats.url };
  fx = await startWasmDevnet(1_000n, { ...FAST_SPN_ENV, ...env }, env);
});

afterAll(async () => {
  await fx?.stop();
  await nats?.stop();
});

/** Signs and sends `count` token transfers from dev account 1 to 2; their hashes. */
async function transfers(count: number): Promise<string[]> {
  const { spn, accounts } = fx;
  const [from, to] = [accounts[1], accounts[2]];
  let nonce = await spn.nextNonce(from.address);
  const hashes: string[] = [];
  for (let i = 0; i < count; i++) {
    hashes.push(await spn.call(from, { plugin: TOKEN_PLUGIN, method: 'transfer', args: [to.address.toLowerCase(), '1'], nonce: nonce++ }));
  }
  return hashes;
}

/** Every tx settled, and the mainnet's settled root is the SPN's state root. */
async function expectAllSettled(hashes: string[]): Promise<SpnDetails> {
  const { spn, devnet } = fx;
  for (const hash of hashes) expect((await spn.tx(hash)).status).toBe('settled');
  const status = await spn.status();
  const record = await fx.mainnet.spn<SpnDetails>(devnet.spnId);
  expect(record.lastRoot).toBe(status.stateRoot);
  expect(String(record.lastBatchNo)).toBe(status.lastSettledBatch);
  return record;
}

describe('the mainnet transport over NATS (separate processes, a NATS server of the test)', () => {
  it('an SPN registers and settles its batches on the mainnet over NATS; refusals keep their reason', async () => {
    const { devnet } = fx;
    expect(devnet.mainnet.stdout).toContain(`mainnet nats transport on ${nats.url}`);
    const hashes = await transfers(6);
    await waitUntilAllSettled(fx.spn, 300_000);
    const record = await expectAllSettled(hashes);

    // A client of our own on the same NATS server: the SPN as registered, and a refusal with its rule.
    const client = new MainnetClient({ kind: 'nats', host: '', port: 0, natsUrl: nats.url }, { timeoutMs: 10_000 });
    try {
      expect(await client.getSpn(devnet.spnId)).toMatchObject({ spnId: devnet.spnId, lastRoot: record.lastRoot });
      expect(await client.getSpn('nobody')).toBeUndefined();
      const header = {
        spnId: devnet.spnId,
        batchNo: record.lastBatchNo + 1,
        preRoot: record.lastRoot,
        postRoot: record.lastRoot,
        firstBlock: record.lastBlock! + 1,
        lastBlock: record.lastBlock! + 1,
        chunksHash: '0x' + '00'.repeat(32),
        txDataHash: '0x' + '00'.repeat(32),
        messagesRoot: '0x' + '00'.repeat(32),
        resultsHash: '0x' + '00'.repeat(32),
      };
      const forged = {
        header,
        chunks: [],
        txData: [],
        messages: [],
        results: [],
        signature: await signBatchHeader(Wallet.createRandom(), devnet.chainId, header),
      };
      const refused = await client.submitBatch(forged).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(MainnetRejectedError);
      expect(refused).toMatchObject({ mainnetCode: 'SETTLEMENT_REJECTED' });
    } finally {
      await client.close();
    }
    expect((await fx.mainnet.spn<SpnDetails>(devnet.spnId)).lastBatchNo).toBe(record.lastBatchNo);
  });

  it('settlement resumes once a NATS server that was down for 25 s is back', async () => {
    // 25 s: longer than nats.js's default reconnect window (10 attempts 2 s apart), after which a
    // mainnet stayed unsubscribed for good before it was told to reconnect without end.
    await nats.stop();
    const during = await transfers(3); // the SPN takes txs in without the mainnet
    await new Promise((wait) => setTimeout(wait, 25_000));
    await nats.start();
    const after = await transfers(1);

    await waitUntilAllSettled(fx.spn, 120_000);

    await expectAllSettled([...during, ...after]);
    expect(fx.devnet.mainnet.running).toBe(true);
  });
});
