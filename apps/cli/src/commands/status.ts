import { MainnetRestClient, SpnClient, type SpnStatus } from '@mesh/client';
import type { BlockSummary, CursorPage, OffsetPage, SpnRecord } from '@mesh/mainnet';
import type { CliIo } from '../cli-io';
import { describeFailure } from '../failures';
import { COMMON_OPTIONS, mainnetUrl, NODE_OPTIONS, parseCommand } from '../options';

export const STATUS_USAGE = `mesh status [--mainnet URL] [--json]
  The mainnet's last block and registered SPNs, and each SPN's own status read at its endpoint.`;

interface SpnLine {
  spn: SpnRecord;
  status?: SpnStatus;
  error?: string;
}

export async function statusCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('status', argv, { ...COMMON_OPTIONS, mainnet: NODE_OPTIONS.mainnet }, false);
  const url = mainnetUrl(values, io);
  const mainnet = new MainnetRestClient(url);
  const [blocks, spns] = await Promise.all([mainnet.blocks<CursorPage<BlockSummary>>({ limit: 1 }), allSpns(mainnet)]);
  const lines: SpnLine[] = await Promise.all(
    spns.map(async (spn) => {
      try {
        return { spn, status: await new SpnClient(spn.endpoint, { chainId: 0, spnId: spn.spnId }).status() };
      } catch (err) {
        return { spn, error: describeFailure(err) };
      }
    }),
  );
  const head = blocks.items[0];
  if (values.json) {
    io.out(JSON.stringify({ mainnet: { url, block: head ?? null }, spns: lines }, null, 2) + '\n');
    return 0;
  }
  io.out(
    `mainnet ${url}: block ${head?.number ?? '-'}${head ? ` (${head.hash})` : ''}, ${spns.length} SPN${spns.length === 1 ? '' : 's'}\n`,
  );
  for (const { spn, status, error } of lines) {
    io.out(
      `  ${spn.spnId} (${spn.vmKind}, ${spn.status}) at ${spn.endpoint}: ${spn.lastBatchNo} batch${spn.lastBatchNo === 1 ? '' : 'es'} settled\n`,
    );
    if (error) io.out(`    node: ${error}\n`);
    else if (status) io.out(`    node: ${describeSpnStatus(status)}\n`);
  }
  return 0;
}

export function describeSpnStatus(s: SpnStatus): string {
  const proving = s.proving
    ? `, proving ${s.proving.queuedJobs} chunk${s.proving.queuedJobs === 1 ? '' : 's'} queued${s.proving.provers.length ? ` (${s.proving.provers.join(', ')})` : ''}`
    : '';
  return `height ${s.height}, ${s.pending} pending, batch ${s.lastBatch ?? '-'} cut, ${s.lastSettledBatch ?? '-'} settled${proving}`;
}

async function allSpns(mainnet: MainnetRestClient): Promise<SpnRecord[]> {
  const spns: SpnRecord[] = [];
  for (let offset: number | null = 0; offset !== null;) {
    const page: OffsetPage<SpnRecord> = await mainnet.spns<OffsetPage<SpnRecord>>({ limit: 100, offset });
    spns.push(...page.items);
    offset = page.nextOffset;
  }
  return spns;
}
