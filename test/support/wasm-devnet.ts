import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HDNodeWallet } from 'ethers';
import { MainnetRestClient, SpnClient } from '@mesh/client';
import { assertAppsBuilt, Devnet, devAccounts, setupDevToken, type DevnetOptions } from '@mesh/devnet';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface WasmDevnetFixture {
  devnet: Devnet;
  spn: SpnClient;
  mainnet: MainnetRestClient;
  /** Dev accounts 0..5; 0 is the operator and token owner, 1..5 are funded with `funding` each. */
  accounts: HDNodeWallet[];
  testDb: TestDatabase;
  stop(): Promise<void>;
}

/** Fast block and batch settings so that e2e tests settle within seconds. */
export const FAST_SPN_ENV = { BLOCK_TIME_MS: '200', MAX_BLOCK_TXS: '100', BATCH_BLOCKS: '4', BATCH_MAX_MS: '1500' };

/** Mainnet + one Wasm SPN as separate processes on a fresh database of the test server, token deployed and funded. */
export async function startWasmDevnet(
  funding = 1_000n,
  spnEnv: Record<string, string> = FAST_SPN_ENV,
  mainnetEnv: Record<string, string> = {},
  devnetOptions: Partial<DevnetOptions> = {},
): Promise<WasmDevnetFixture> {
  assertAppsBuilt();
  const testDb = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'mesh-devnet-'));
  chmodSync(dataDir, 0o755);
  let devnet: Devnet | undefined;
  try {
    devnet = await Devnet.start({
      databaseUrl: testDb.url,
      dataDir,
      spnEnv,
      logLevel: 'log',
      mainnetEnv: { MAINNET_BLOCK_MS: '500', ...mainnetEnv },
      ...devnetOptions,
    });
    const accounts = devAccounts(6);
    const spn = new SpnClient(devnet.spnUrl, { chainId: devnet.chainId, spnId: devnet.spnId });
    await setupDevToken(spn, accounts[0], accounts.slice(1), funding);
    const started = devnet;
    return {
      devnet: started,
      get spn() {
        return new SpnClient(started.spnUrl, { chainId: started.chainId, spnId: started.spnId });
      },
      get mainnet() {
        return new MainnetRestClient(started.mainnetUrl);
      },
      accounts,
      testDb,
      async stop() {
        await started.stop();
        await testDb.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    const logs = devnet
      ? `\n--- mainnet ---\n${devnet.mainnet.stdout}${devnet.mainnet.stderr}\n--- spn ---\n${devnet.spn.stdout}${devnet.spn.stderr}` +
        devnet.spns[0].provers.map((p, i) => `\n--- prover ${i} ---\n${p.stdout}${p.stderr}`).join('')
      : '';
    await devnet?.stop();
    await testDb.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}${logs}`);
  }
}

/** Waits until the SPN has settled everything it has (no pending tx, last batch settled, settled root = state root). */
/**
 * Proving dominates: ~1 dev-profile chunk proof per transfer at 1.2-3.5 s each depending on the
 * machine's speed that day (measured), so 200 transfers may need more than 10 minutes.
 */
export async function waitUntilAllSettled(spn: SpnClient, timeoutMs = 1_200_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await spn.status();
    if (s.pending === 0 && s.stateRoot !== null && s.settledRoot === s.stateRoot && s.lastBatch === s.lastSettledBatch) return;
    if (Date.now() > deadline) throw new Error(`not settled after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
