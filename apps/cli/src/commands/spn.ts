import { MainnetRestClient } from '@mesh/client';
import type { BatchSummary, CursorPage, OffsetPage, SpnDetails, SpnRecord } from '@mesh/mainnet';
import { UsageError, type CliIo } from '../cli-io';
import { COMMON_OPTIONS, mainnetUrl, NODE_OPTIONS, parseCommand, required } from '../options';

export const SPN_USAGE = `mesh spn list [--mainnet URL] [--json]
mesh spn show <id> [--mainnet URL] [--json]
mesh spn batches <id> [--limit N] [--before BATCH] [--mainnet URL] [--json]
mesh spn register --id ID --vm wasm|evm --operator 0xADDRESS --endpoint URL [--profile dev]
    [--min-operators N] [--min-restake AMOUNT] [--mainnet URL] [--json]
  register sends the profile's verification key from this machine's circuit artifacts
  (MESH_CACHE_DIR): they must be those the SPN's provers use. With --min-operators N the SPN is
  proposed until N operators (the SPN's own among them) restake --min-restake on it. A mainnet
  with MAINNET_ADMIN_TOKEN needs it: set MESH_ADMIN_TOKEN.`;

export async function spnCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') return list(rest, io);
  if (sub === 'show') return show(rest, io);
  if (sub === 'register') return register(rest, io);
  if (sub === 'batches') return batches(rest, io);
  throw new UsageError(sub ? `unknown command: spn ${sub}` : 'spn needs a command: list, show, batches or register', 'spn');
}

async function list(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('spn', argv, { ...COMMON_OPTIONS, mainnet: NODE_OPTIONS.mainnet }, false);
  const page = await new MainnetRestClient(mainnetUrl(values, io)).spns<OffsetPage<SpnRecord>>({ limit: 100 });
  if (values.json) {
    io.out(JSON.stringify(page, null, 2) + '\n');
    return 0;
  }
  for (const s of page.items) io.out(`${s.spnId}\t${s.vmKind}\t${s.status}\tbatch ${s.lastBatchNo}\t${s.endpoint}\n`);
  if (page.nextOffset !== null) io.out(`... more: GET /spns?offset=${page.nextOffset}\n`);
  return 0;
}

async function show(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('spn', argv, { ...COMMON_OPTIONS, mainnet: NODE_OPTIONS.mainnet });
  if (positionals.length !== 1) throw new UsageError('spn show needs one SPN id', 'spn');
  const spn = await new MainnetRestClient(mainnetUrl(values, io)).spn<SpnDetails>(positionals[0]);
  if (values.json) {
    io.out(JSON.stringify(spn, null, 2) + '\n');
    return 0;
  }
  const { verificationKey: _key, requirements, operators, ...fields } = spn;
  for (const [name, value] of Object.entries(fields)) io.out(`${name}: ${value ?? '-'}\n`);
  io.out(
    requirements.minOperators === 0
      ? 'requirements: none\n'
      : `requirements: ${requirements.minOperators} operator(s) with ${requirements.minRestake === '0' ? 'any stake' : `at least ${requirements.minRestake}`} restaked\n`,
  );
  for (const o of operators) io.out(`operator ${o.operator}: restaked ${o.restake}${o.qualifies ? '' : ' (below the minimum)'}\n`);
  return 0;
}

/** The SPN's settled batches on the mainnet, newest first (the mainnet pages them). */
async function batches(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('spn', argv, {
    ...COMMON_OPTIONS,
    mainnet: NODE_OPTIONS.mainnet,
    limit: { type: 'string' },
    before: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('spn batches needs one SPN id', 'spn');
  const page = {
    limit: values.limit === undefined ? undefined : pageNumber(values.limit, '--limit'),
    before: values.before === undefined ? undefined : pageNumber(values.before, '--before'),
  };
  const found = await new MainnetRestClient(mainnetUrl(values, io)).batches<CursorPage<BatchSummary>>(positionals[0], page);
  if (values.json) {
    io.out(JSON.stringify(found, null, 2) + '\n');
    return 0;
  }
  for (const b of found.items)
    io.out(
      `batch ${b.batchNo}: blocks ${b.firstBlock}-${b.lastBlock}, ${b.txCount} txs, ${b.chunkCount} proofs, root ${b.postRoot}, ` +
        `settled ${b.settledAt}${b.mainnetBlock === null ? '' : ` in mainnet block ${b.mainnetBlock}`}\n`,
    );
  if (found.items.length === 0) io.out('no settled batch\n');
  if (found.nextBefore !== null) io.out(`... older: --before ${found.nextBefore}\n`);
  return 0;
}

function pageNumber(value: string, what: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new UsageError(`${what} must be a positive integer (got ${JSON.stringify(value)})`, 'spn');
  return Number(value);
}

async function register(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    'spn',
    argv,
    {
      ...COMMON_OPTIONS,
      mainnet: NODE_OPTIONS.mainnet,
      id: { type: 'string' },
      vm: { type: 'string' },
      profile: { type: 'string', default: 'dev' },
      operator: { type: 'string' },
      endpoint: { type: 'string' },
      'min-operators': { type: 'string' },
      'min-restake': { type: 'string' },
    },
    false,
  );
  const minOperators = values['min-operators'];
  if (minOperators !== undefined && !/^\d{1,3}$/.test(minOperators))
    throw new UsageError(`--min-operators must be a whole number (got ${JSON.stringify(minOperators)})`, 'spn');
  if (values['min-restake'] !== undefined && minOperators === undefined) throw new UsageError('--min-restake needs --min-operators', 'spn');
  const input = {
    spnId: required(values.id, 'id', 'spn'),
    vmKind: required(values.vm, 'vm', 'spn'),
    profile: values.profile,
    operator: required(values.operator, 'operator', 'spn'),
    endpoint: required(values.endpoint, 'endpoint', 'spn'),
    ...(minOperators === undefined
      ? {}
      : { requirements: { minOperators: Number(minOperators), minRestake: values['min-restake'] ?? '0' } }),
  };
  // Loaded only here: the circuit libs take a while to load, and other commands do not need them.
  const { buildCircuitArtifacts, readVerificationKey } = await import('@mesh/zk');
  const artifacts = await buildCircuitArtifacts(input.profile, { buildIfMissing: false });
  const verificationKey = readVerificationKey(artifacts.verificationKeyPath) as unknown as Record<string, unknown>;
  const adminToken = io.env.MESH_ADMIN_TOKEN || undefined;
  const spn = await new MainnetRestClient(mainnetUrl(values, io), { adminToken }).registerSpn<SpnRecord>({ ...input, verificationKey });
  if (values.json) io.out(JSON.stringify(spn, null, 2) + '\n');
  else
    io.out(`registered ${spn.spnId} (${spn.vmKind}, profile ${spn.profile}, verification key ${spn.verificationKeyHash}): ${spn.status}\n`);
  return 0;
}
