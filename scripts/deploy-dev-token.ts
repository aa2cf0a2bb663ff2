/**
 * Deploys the example token on a running Wasm SPN and funds the dev accounts (idempotent).
 * `node dist/scripts/deploy-dev-token.js` with SPN_URL (default http://127.0.0.1:8081); the SPN's
 * id and chain id are read from its /status. Used by docker-compose's one-shot `token` service.
 */
import { SpnClient, type SpnStatus } from '@mesh/client';
import { devAccounts, setupDevToken } from '@mesh/devnet';

async function main(): Promise<void> {
  const spnUrl = process.env.SPN_URL || 'http://127.0.0.1:8081';
  const deadline = Date.now() + 120_000;
  let status: SpnStatus | undefined;
  while (!status) {
    status = await new SpnClient(spnUrl, { chainId: 0, spnId: '' }).status().catch(() => undefined);
    if (!status && Date.now() > deadline) throw new Error(`no SPN answers at ${spnUrl}`);
    if (!status) await new Promise((r) => setTimeout(r, 1000));
  }
  const accounts = devAccounts(5);
  await setupDevToken(new SpnClient(spnUrl, { chainId: status.chainId, spnId: status.spnId }), accounts[0], accounts, 1_000_000n);
  process.stdout.write(`token deployed on ${status.spnId}; dev accounts funded\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
