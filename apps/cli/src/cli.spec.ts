import { createServer, type Server } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, USAGE } from './cli';
import { describeTx } from './commands/wasm-tx';
import type { CliIo } from './cli-io';

/** Runs a command line with its own output buffers and environment. */
async function mesh(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env };
  const code = await runCli(argv, io);
  return { code, out, err };
}

/** A port nothing answers on (a closed listener's). */
let closedPort: number;
beforeAll(async () => {
  const server: Server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  closedPort = (server.address() as { port: number }).port;
  await new Promise((closed) => server.close(closed));
});

describe('mesh (command line)', () => {
  it('prints its usage for help (exit 0) and without a command (exit 2)', async () => {
    expect(await mesh(['help'])).toEqual({ code: 0, out: USAGE, err: '' });
    expect(await mesh(['--help'])).toEqual({ code: 0, out: USAGE, err: '' });
    expect(await mesh([])).toMatchObject({ code: 2, out: USAGE });
    expect(USAGE).toContain('mesh tx send --plugin NAME --method NAME');
  });

  it('a command with --help prints only its own usage', async () => {
    const { code, out } = await mesh(['tx', '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^mesh tx send/);
    expect(out).not.toContain('mesh spn');
  });

  it.each([
    [['launch'], 'mesh: unknown command "launch"'],
    [['tx'], 'mesh tx: tx needs a command: send or show'],
    [['tx', 'resend'], 'mesh tx: unknown command: tx resend'],
    [['tx', 'send', '--method', 'transfer'], 'mesh tx: --plugin is required'],
    [['tx', 'send', '--plugin', 'token', '--method', 'transfer', '--colour', 'red'], "mesh tx: Unknown option '--colour'"],
    [
      ['tx', 'send', '--plugin', 'token', '--method', 'm', '--wait', 'forever'],
      'mesh tx: --wait must be none, included or settled (got "forever")',
    ],
    [
      ['tx', 'send', '--plugin', 'token', '--method', 'm', '--gas-limit', 'lots'],
      'mesh tx: --gas-limit must be a positive integer (got "lots")',
    ],
    [
      ['tx', 'send', '--plugin', 'token', '--method', 'm', '--dev-account', '12'],
      'mesh tx: --dev-account must be an integer from 0 to 9 (got "12")',
    ],
    [
      ['tx', 'send', '--plugin', 'token', '--method', 'm'],
      'mesh tx: no signing key: set MESH_KEY (0x + 64 hex digits), or pass --dev-account N on a devnet',
    ],
    [['tx', 'show'], 'mesh tx: tx show needs one tx hash'],
    [['spn', 'register', '--id', 'a'], 'mesh spn: --vm is required'],
    [['spn', 'batches', 'wasm-1', '--limit', '0'], 'mesh spn: --limit must be a positive integer (got "0")'],
    [['plugin', 'deploy', '/nonexistent/thing.wasm'], 'mesh plugin: --name is required (the file is not <name>/build/plugin.wasm)'],
    [['plugin', 'deploy', '/nonexistent/token/build/plugin.wasm'], 'mesh plugin: cannot read /nonexistent/token/build/plugin.wasm: ENOENT'],
    [['state', 'token'], 'mesh state: state needs a plugin and a key'],
    [['status', '--mainnet', 'ftp://mainnet'], 'mesh status: --mainnet / MESH_MAINNET_URL must be an http(s) URL (got "ftp://mainnet")'],
    [['devnet', 'down'], 'mesh devnet: unknown command: devnet down'],
    [['message'], 'mesh message: message takes a trace id (0x and 64 hex digits), or: list <spn-id>'],
    [['message', '0x12'], 'mesh message: message takes a trace id (0x and 64 hex digits), or: list <spn-id>'],
    [['message', 'list'], 'mesh message: message list takes one SPN id'],
  ])('%j is bad usage: exit 2, the reason first on stderr, nothing on stdout', async (argv, reason) => {
    const { code, out, err } = await mesh(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n')[0]).toBe(reason);
  });

  it('never echoes a malformed MESH_KEY', async () => {
    const { code, err } = await mesh(['tx', 'send', '--plugin', 'token', '--method', 'm'], { MESH_KEY: '0xsecret-key' });
    expect(code).toBe(2);
    expect(err.split('\n')[0]).toBe('mesh tx: MESH_KEY must be a 0x-prefixed 32-byte hex private key (value hidden)');
    expect(err).not.toContain('secret-key');
  });

  it('a node that does not answer: exit 1 with one line naming the address', async () => {
    const url = `http://127.0.0.1:${closedPort}`;
    expect(await mesh(['status', '--mainnet', url])).toEqual({
      code: 1,
      out: '',
      err: `mesh status: cannot reach the node: connect ECONNREFUSED 127.0.0.1:${closedPort}\n`,
    });
    const { code, err } = await mesh(['tx', 'show', '0x' + '00'.repeat(32)], { MESH_SPN_URL: url });
    expect(code).toBe(1);
    expect(err).toBe(`mesh tx: cannot reach the node: connect ECONNREFUSED 127.0.0.1:${closedPort}\n`);
  });
});

describe('describeTx', () => {
  it('lists the messages a tx sent with their trace ids', () => {
    const traceId = '0x' + 'ab'.repeat(32);
    const text = describeTx({
      hash: '0x' + '01'.repeat(32),
      status: 'included',
      kind: 'call',
      from: '0x' + '11'.repeat(20),
      nonce: '0',
      blockNumber: '5',
      txIndex: 0,
      receipt: { status: 'success', gasUsed: '100', events: [], returnData: '0x' },
      batchNo: null,
      sentMessages: [{ nonce: 3, traceId, dstSpn: 'wasm-2' }],
    });
    expect(text).toContain(`  message #3 to wasm-2: trace id ${traceId} (\`mesh message ${traceId}\` once its batch settles)\n`);
  });
});
