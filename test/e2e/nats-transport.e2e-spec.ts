import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBatchHeader } from '@mesh/core';
import { TOKEN_PLUGIN } from '@mesh/devnet';
import type { SpnDetails } from '@mesh/mainnet';
import { MainnetClient, MainnetRejectedError } from '@mesh/transport';
import { FAST_SPN_ENV, startWasmDevnet, waitUntilAllSettled, type WasmDevnetFixture } from '../support/wasm-devnet';

/** The machine's NATS server (.ci/run starts it when it is down). */
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const NATS = { MAINNET_TRANSPORT: 'nats', NATS_URL };
let fx: WasmDevnetFixture;

beforeAll(async () => {
  fx = await startWasmDevnet(1_000n, { ...FAST_SPN_ENV, ...NATS }, NATS);
});

afterAll(async () => {
  await fx?.stop();
});

describe('the mainnet transport over NATS (separate processes, the machine NATS server)', () => {
  it('an SPN registers and settles its batches on the mainnet over NATS; refusals keep their reason', async () => {
    const { spn, accounts, devnet } = fx;
    expect(devnet.mainnet.stdout).toContain(`mainnet nats transport on ${NATS_URL}`);
    const [from, to] = [accounts[1], accounts[2]];
    let nonce = await spn.nextNonce(from.address);
    const hashes: string[] = [];
    for (let i = 0; i < 6; i++) {
      hashes.push(
        await spn.call(from, { plugin: TOKEN_PLUGIN, method: 'transfer', args: [to.address.toLowerCase(), '1'], nonce: nonce++ }),
      );
    }

    await waitUntilAllSettled(spn, 300_000);

    for (const hash of hashes) expect((await spn.tx(hash)).status).toBe('settled');
    const status = await spn.status();
    const record = await fx.mainnet.spn<SpnDetails>(devnet.spnId);
    expect(record.lastRoot).toBe(status.stateRoot);
    expect(String(record.lastBatchNo)).toBe(status.lastSettledBatch);

    // A client of our own on the same NATS server: the SPN as registered, and a refusal with its rule.
    const client = new MainnetClient({ kind: 'nats', host: '', port: 0, natsUrl: NATS_URL }, { timeoutMs: 10_000 });
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
      };
      const forged = { header, chunks: [], txData: [], signature: await signBatchHeader(Wallet.createRandom(), devnet.chainId, header) };
      const refused = await client.submitBatch(forged).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(MainnetRejectedError);
      expect(refused).toMatchObject({ mainnetCode: 'SETTLEMENT_REJECTED' });
    } finally {
      await client.close();
    }
    expect((await fx.mainnet.spn<SpnDetails>(devnet.spnId)).lastBatchNo).toBe(record.lastBatchNo);
  });
});
