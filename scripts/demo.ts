/**
 * `npm run demo`: sends token transfers between the devnet's dev accounts and shows each one as it
 * is included in an SPN block and then settled on the mainnet (proven and verified).
 *
 * Environment: SPN_URL (default http://127.0.0.1:8081), DEMO_TRANSFERS (default 40).
 */
import { SpnClient, type TxInfo } from '@mesh/client';
import { devAccounts, TOKEN_PLUGIN, tokenBalance } from '@mesh/devnet';

async function main(): Promise<void> {
  const spnUrl = process.env.SPN_URL || 'http://127.0.0.1:8081';
  const count = Number(process.env.DEMO_TRANSFERS || 40);
  const status = await new SpnClient(spnUrl, { chainId: 0, spnId: '' }).status().catch(() => {
    throw new Error(`no SPN answers at ${spnUrl}: start the devnet with \`npm start\` first (or set SPN_URL)`);
  });
  const info = status as unknown as { spnId: string; chainId: number };
  const client = new SpnClient(spnUrl, { chainId: info.chainId, spnId: info.spnId });
  const senders = devAccounts(5).slice(1);
  const nonces = await Promise.all(senders.map((s) => client.nextNonce(s.address)));
  process.stdout.write(`sending ${count} transfers on SPN ${info.spnId} (${spnUrl}) ...\n`);

  const sent: { hash: string; label: string; sentAt: number }[] = [];
  for (let i = 0; i < count; i++) {
    const from = i % senders.length;
    const to = (from + 1 + (i % (senders.length - 1))) % senders.length;
    const amount = 1 + (i % 7);
    const hash = await client.call(senders[from], {
      plugin: TOKEN_PLUGIN,
      method: 'transfer',
      args: [senders[to].address.toLowerCase(), String(amount)],
      nonce: nonces[from]++,
    });
    sent.push({ hash, label: `#${i + 1} ${short(senders[from].address)} -> ${short(senders[to].address)} ${amount}`, sentAt: Date.now() });
  }

  const included = new Set<string>();
  const settled = new Set<string>();
  const started = Date.now();
  while (settled.size < sent.length) {
    for (const tx of sent) {
      if (settled.has(tx.hash)) continue;
      const t: TxInfo = await client.tx(tx.hash);
      if ((t.status === 'included' || t.status === 'failed' || t.status === 'settled') && !included.has(tx.hash)) {
        included.add(tx.hash);
        const result = t.receipt?.status === 'success' ? 'ok' : `failed: ${t.receipt?.error}`;
        line(`included  ${tx.label}  block ${t.blockNumber}  ${result}  (+${Date.now() - tx.sentAt} ms)`);
      }
      if (t.status === 'settled' || (t.status === 'failed' && t.batchNo !== null && (await batchSettled(client, t.batchNo)))) {
        settled.add(tx.hash);
        line(`settled   ${tx.label}  batch ${t.batchNo}  (+${((Date.now() - tx.sentAt) / 1000).toFixed(1)} s)`);
      }
    }
    progress(included.size, settled.size, sent.length, Date.now() - started);
    if (Date.now() - started > 600_000) throw new Error('not everything settled within 10 minutes');
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stdout.write('\n\nbalances:\n');
  for (const s of senders) process.stdout.write(`  ${s.address}  ${await tokenBalance(client, s.address)}\n`);
  const final = await client.status();
  process.stdout.write(
    `\nall ${sent.length} transfers settled; SPN height ${final.height}, settled batch ${final.lastSettledBatch}, root ${final.settledRoot}\n`,
  );
}

async function batchSettled(client: SpnClient, batchNo: string): Promise<boolean> {
  const s = await client.status();
  return s.lastSettledBatch !== null && BigInt(s.lastSettledBatch) >= BigInt(batchNo);
}

function short(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

function line(text: string): void {
  process.stdout.write(`\r\x1b[K${text}\n`);
}

function progress(included: number, settled: number, total: number, ms: number): void {
  const width = 30;
  const bar = (n: number) => '#'.repeat(Math.round((n / total) * width)).padEnd(width, '.');
  process.stdout.write(
    `\r\x1b[Kincluded [${bar(included)}] ${included}/${total}   settled [${bar(settled)}] ${settled}/${total}   ${(ms / 1000).toFixed(0)} s`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`\ndemo failed: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
