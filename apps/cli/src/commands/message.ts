import { MainnetRestClient } from '@mesh/client';
import type { CursorPage, MessageRecord } from '@mesh/mainnet';
import { UsageError, type CliIo } from '../cli-io';
import { COMMON_OPTIONS, mainnetUrl, NODE_OPTIONS, parseCommand } from '../options';

export const MESSAGE_USAGE = `mesh message <trace-id> [--mainnet URL] [--json]
mesh message list <spn-id> [--in] [--mainnet URL] [--json]
  A cross-SPN message by its trace id: where it comes from and goes, and its state (relaying,
  executed, or failed with the reason); or the messages an SPN sent (--in: was sent), newest first.`;

const TRACE_ID = /^0x[0-9a-fA-F]{64}$/;

export async function messageCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('message', argv, {
    ...COMMON_OPTIONS,
    mainnet: NODE_OPTIONS.mainnet,
    in: { type: 'boolean' as const },
  });
  const mainnet = new MainnetRestClient(mainnetUrl(values, io));
  if (positionals[0] === 'list') {
    if (positionals.length !== 2) throw new UsageError('message list takes one SPN id', 'message');
    const page = await mainnet.messages<CursorPage<MessageRecord>>(positionals[1], { direction: values.in ? 'in' : 'out' });
    if (values.json) io.out(JSON.stringify(page, null, 2) + '\n');
    else if (page.items.length === 0) io.out(`no messages ${values.in ? 'to' : 'from'} ${positionals[1]}\n`);
    else for (const m of page.items) io.out(`${line(m)}\n`);
    return 0;
  }
  if (positionals.length !== 1 || !TRACE_ID.test(positionals[0]))
    throw new UsageError('message takes a trace id (0x and 64 hex digits), or: list <spn-id>', 'message');
  const m = await mainnet.message<MessageRecord>(positionals[0]);
  if (values.json) io.out(JSON.stringify(m, null, 2) + '\n');
  else {
    const { message } = m;
    io.out(`${line(m)}\n`);
    io.out(
      `  call ${message.plugin}.${message.method}(${message.args.map((a) => JSON.stringify(a)).join(', ')}) from plugin ${message.srcPlugin}\n`,
    );
    io.out(`  sent by tx ${message.txHash}, settled in batch ${m.srcBatchNo} of ${message.srcSpn}\n`);
    if (m.dstBatchNo !== null) io.out(`  result settled in batch ${m.dstBatchNo} of ${message.dstSpn}\n`);
  }
  return 0;
}

function line(m: MessageRecord): string {
  const state = m.status === 'failed' ? `failed${m.retryable ? ' (retryable)' : ''}: ${m.error}` : m.status;
  return `${m.traceId} ${m.message.srcSpn}#${m.message.nonce} -> ${m.message.dstSpn}: ${state}`;
}
