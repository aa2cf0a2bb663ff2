import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TxInfo } from '@mesh/client';
import { devAccount, REPO_ROOT } from '@mesh/devnet';
import { findFreePort } from '@mesh/persistence';
import type { SpnDetails } from '@mesh/mainnet';
import { startWasmDevnet, type WasmDevnetFixture } from '../support/wasm-devnet';

/** The built `mesh` command line against a devnet (mainnet + Wasm SPN as processes). */
const MESH = resolve(REPO_ROOT, 'dist/apps/cli/src/main.js');
const COUNTER_WASM = resolve(REPO_ROOT, 'libs/sdk-as/examples/counter/build/plugin.wasm');
let fx: WasmDevnetFixture;

beforeAll(async () => {
  fx = await startWasmDevnet();
});

afterAll(async () => {
  await fx?.stop();
});

function mesh(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...(process.env.MESH_CACHE_DIR ? { MESH_CACHE_DIR: process.env.MESH_CACHE_DIR } : {}),
    MESH_MAINNET_URL: fx.devnet.mainnetUrl,
    MESH_SPN_URL: fx.devnet.spnUrl,
  };
  return new Promise((done) =>
    execFile(process.execPath, [MESH, ...args], { env, timeout: 600_000 }, (err, out, errOut) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
    ),
  );
}

describe('mesh against a devnet', () => {
  it('deploys a plugin, sends a call and waits until it settled, reads the state it wrote', async () => {
    const deployed = await mesh('plugin', 'deploy', COUNTER_WASM, '--dev-account', '0');
    expect(deployed).toMatchObject({ code: 0, err: '' });
    expect(deployed.out).toMatch(/^deploy 0x[0-9a-f]{64} from 0x[0-9a-f]{40} \(nonce \d+\): included in block \d+/);
    expect((await mesh('plugin', 'list')).out).toContain('counter: ');

    const sent = await mesh(
      'tx',
      'send',
      '--plugin',
      'counter',
      '--method',
      'add',
      '--arg',
      '5',
      '--dev-account',
      '1',
      '--wait',
      'settled',
    );
    expect(sent).toMatchObject({ code: 0, err: '' });
    expect(sent.out).toMatch(/: settled in block \d+, batch \d+\n {2}receipt: success, gas \d+\n {2}event Counted: \{"count":"5"\}\n$/);
    const hash = /^call (0x[0-9a-f]{64})/.exec(sent.out)![1];

    const shown = await mesh('tx', 'show', hash, '--json');
    expect(JSON.parse(shown.out) as TxInfo).toMatchObject({ hash, status: 'settled', from: devAccount(1).address.toLowerCase() });
    expect(await mesh('state', 'counter', 'count')).toEqual({ code: 0, out: '5\n', err: '' });

    // The batch that settled it, on the mainnet.
    const batchNo = /, batch (\d+)\n/.exec(sent.out)![1];
    const batches = await mesh('spn', 'batches', fx.devnet.spnId, '--limit', '100');
    expect(batches.code).toBe(0);
    expect(batches.out).toMatch(new RegExp(`^batch ${batchNo}: blocks \\d+-\\d+, \\d+ txs, \\d+ proofs, root \\d+, settled \\S+`, 'm'));
  });

  it('a call that fails on the SPN ends with exit code 1 and its receipt; a refused one with the SPN reason', async () => {
    const failed = await mesh('tx', 'send', '--plugin', 'counter', '--method', 'fail', '--dev-account', '2');
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/: failed in block \d+\n {2}receipt: trap/);

    const refused = await mesh('tx', 'send', '--plugin', 'no-such-plugin', '--method', 'x', '--dev-account', '2');
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toMatch(/^mesh tx: http:\/\/127\.0\.0\.1:\d+\/tx: 4\d\d .*no-such-plugin/);
  });

  it('registers an SPN with the local artifacts, shows it, refuses a conflicting registration, and shows every SPN in status', async () => {
    const operator = devAccount(3).address;
    const closedPort = await findFreePort('127.0.0.1'); // nothing listens there
    const endpoint = `http://127.0.0.1:${closedPort}`;
    const args = [
      'spn',
      'register',
      '--id',
      'cli-spn',
      '--vm',
      'wasm',
      '--min-operators',
      '1',
      '--operator',
      operator,
      '--endpoint',
      endpoint,
    ];
    const registered = await mesh(...args);
    expect(registered).toMatchObject({ code: 0, err: '' });
    const wasm1 = JSON.parse((await mesh('spn', 'show', fx.devnet.spnId, '--json')).out) as SpnDetails;
    expect(registered.out).toBe(`registered cli-spn (wasm, profile dev, verification key ${wasm1.verificationKeyHash}): proposed\n`);
    expect(JSON.parse((await mesh('spn', 'show', 'cli-spn', '--json')).out)).toMatchObject({
      spnId: 'cli-spn',
      operator: operator.toLowerCase(),
      lastBatchNo: 0,
      status: 'proposed',
      requirements: { minOperators: 1, minRestake: '0' },
    });
    expect((await mesh('spn', 'show', 'cli-spn')).out).toContain('status: proposed\n');
    expect((await mesh('spn', 'show', 'cli-spn')).out).toContain('requirements: 1 operator(s) with any stake restaked\n');
    const badUsage = await mesh('spn', 'register', '--id', 'x', '--min-restake', '5');
    expect(badUsage.code).toBe(2);
    expect(badUsage.err).toMatch(/--min-restake needs --min-operators/);

    const conflict = await mesh(...args.slice(0, -1), `${endpoint}/other`);
    expect(conflict.code).toBe(1);
    expect(conflict.err).toMatch(/^mesh spn: http:\/\/127\.0\.0\.1:\d+\/spns: 409 .*endpoint/);

    const status = await mesh('status');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(new RegExp(`^mainnet ${fx.devnet.mainnetUrl}: block \\d+ \\(0x[0-9a-f]{64}\\), 2 SPNs\\n`));
    expect(status.out).toMatch(
      / {2}wasm-1 \(wasm, active\) at http:\/\/127\.0\.0\.1:\d+: \d+ batch(es)? settled\n {4}node: height \d+, 0 pending/,
    );
    expect(status.out).toContain(
      `  cli-spn (wasm, proposed) at ${endpoint}: 0 batches settled\n    node: cannot reach the node: connect ECONNREFUSED 127.0.0.1:${closedPort}\n`,
    );
  });
});
