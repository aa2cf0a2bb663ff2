import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, ContractFactory, JsonRpcProvider, NonceManager, type TransactionResponse } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MainnetRestClient, SpnClient } from '@mesh/client';
import { assertAppsBuilt, Devnet, devAccounts } from '@mesh/devnet';
import type { BatchRecord, SpnDetails } from '@mesh/mainnet';
import { ChunkVerifier, statementSignals } from '@mesh/zk';
import { compileTestToken } from '../support/evm-devnet';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { FAST_SPN_ENV, waitUntilAllSettled } from '../support/wasm-devnet';

const TRANSFERS = 200;
const SUPPLY = 1_000_000n;
let devnet: Devnet;
let testDb: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  assertAppsBuilt();
  testDb = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'mesh-evm-'));
  chmodSync(dataDir, 0o755);
  devnet = await Devnet.start({
    databaseUrl: testDb.url,
    dataDir,
    mainnetEnv: { MAINNET_BLOCK_MS: '500' },
    spns: [{ spnId: 'evm-1', vm: 'evm', env: { ...FAST_SPN_ENV, BLOCK_TIME_MS: '1000', MAX_BLOCK_TXS: '200' } }],
  });
});

afterAll(async () => {
  await devnet?.stop();
  await testDb?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('EVM SPN settling on the mainnet (separate processes, real Postgres, real proofs)', () => {
  it(`settles ${TRANSFERS} ERC-20 transfers; the settled state is the SPN's and every proof re-verifies`, async () => {
    const provider = new JsonRpcProvider(`${devnet.spnUrl}/rpc`, undefined, { staticNetwork: true, polling: true, pollingInterval: 200 });
    const [owner, ...users] = devAccounts(5).map((a) => new NonceManager(a.connect(provider)));
    const token = compileTestToken();
    const deployed = await new ContractFactory(token.abi as never, token.bytecode, owner).deploy('Mesh Token', 'MESH', SUPPLY);
    await deployed.waitForDeployment();
    const erc20 = new Contract(await deployed.getAddress(), token.abi as never, provider);

    const expected = new Map<string, bigint>();
    const seeding: TransactionResponse[] = [];
    for (const user of users) {
      const address = await user.getAddress();
      seeding.push(await (erc20.connect(owner) as Contract).getFunction('transfer')(address, 10_000n));
      expected.set(address, 10_000n);
    }
    await Promise.all(seeding.map((t) => t.wait()));

    // Sign every transfer first, then send each sender's in nonce order, senders side by side:
    // the SPN cuts few, full blocks, which keeps the number of proofs (and the test) small.
    const { chainId } = await provider.getNetwork();
    const feeData = await provider.getFeeData();
    const signers = devAccounts(5).slice(1);
    const nonces = await Promise.all(signers.map((s) => provider.getTransactionCount(s.address, 'pending')));
    const streams: string[][] = signers.map(() => []);
    for (let i = 0; i < TRANSFERS; i++) {
      const from = i % signers.length;
      const to = (i + 1) % signers.length;
      streams[from].push(
        await signers[from].signTransaction({
          to: await erc20.getAddress(),
          data: erc20.interface.encodeFunctionData('transfer', [signers[to].address, 7n]),
          nonce: nonces[from]++,
          gasLimit: 100_000n,
          maxFeePerGas: feeData.maxFeePerGas! * 2n,
          maxPriorityFeePerGas: feeData.maxPriorityFeePerGas!,
          chainId,
          type: 2,
        }),
      );
      expected.set(signers[from].address, expected.get(signers[from].address)! - 7n);
      expected.set(signers[to].address, expected.get(signers[to].address)! + 7n);
    }
    const sent = (
      await Promise.all(
        streams.map(async (raws) => {
          const hashes: TransactionResponse[] = [];
          for (const raw of raws) hashes.push(await provider.broadcastTransaction(raw));
          return hashes;
        }),
      )
    ).flat();
    expect(sent).toHaveLength(TRANSFERS);
    const receipts = await Promise.all(sent.map((t) => t.wait()));
    expect(receipts.every((r) => r?.status === 1)).toBe(true);
    for (const [address, balance] of expected) expect(await erc20.getFunction('balanceOf')(address)).toBe(balance);

    const spn = new SpnClient(devnet.spnUrl, { chainId: devnet.chainId, spnId: 'evm-1' });
    await waitUntilAllSettled(spn);
    const status = await spn.status();
    for (const r of receipts) expect((await spn.tx(r!.hash)).status).toBe('settled');

    const mainnet = new MainnetRestClient(devnet.mainnetUrl);
    const record = await mainnet.spn<SpnDetails>('evm-1');
    expect(record.vmKind).toBe('evm');
    expect(record.lastRoot).toBe(status.stateRoot);
    const verifier = await ChunkVerifier.fromKey(record.verificationKey as never);
    let root = record.genesisRoot;
    for (let n = 1; n <= record.lastBatchNo; n++) {
      const batch = await mainnet.batch<BatchRecord>('evm-1', n);
      expect(batch.preRoot).toBe(root);
      for (const chunk of batch.chunks) {
        const s = chunk.statement;
        const signals = statementSignals({
          oldRoot: BigInt(s.oldRoot),
          newRoot: BigInt(s.newRoot),
          diffHash: BigInt(s.diffHash),
          chunkIndex: s.chunkIndex,
        });
        expect(await verifier.verify(chunk.proof, signals)).toBe(true);
      }
      root = batch.postRoot;
    }
    expect(root).toBe(status.stateRoot);
    provider.destroy();
  });
});
