import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MainnetAdminClient } from '@mesh/transport';
import { assertAppsBuilt, NodeProcess, type AppName } from '../support/node-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { selfSignedCert } from '../support/tls-cert';

const started: NodeProcess[] = [];
let testDb: TestDatabase;

function start(app: AppName, env: Record<string, string>): NodeProcess {
  const node = new NodeProcess(app, env);
  started.push(node);
  return node;
}

async function health(baseUrl: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}/health`);
  return { status: response.status, body: await response.json() };
}

const HEALTHY = {
  status: 200,
  body: expect.objectContaining({ status: 'ok', info: { database: expect.objectContaining({ status: 'up' }) } }),
};

beforeAll(async () => {
  assertAppsBuilt();
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(started.map((node) => node.stop()));
  await testDb?.drop();
});

describe('GET /health of the built apps', () => {
  it('mainnet and an SPN, started side by side on one database, report ok', async () => {
    const mainnet = start('mainnet', { PORT: '0', MAINNET_TCP_PORT: '0', MAINNET_GRPC_PORT: '0', DATABASE_URL: testDb.url });
    const spn = start('spn', { PORT: '0', DATABASE_URL: testDb.url, SPN_ID: 'spn-e2e' });
    const [mainnetUrl, spnUrl] = await Promise.all([mainnet.listeningUrl(), spn.listeningUrl()]);

    expect(await health(mainnetUrl)).toEqual(HEALTHY);
    expect(await health(spnUrl)).toEqual(HEALTHY);
    expect(spn.stdout).toContain(`spn spn-e2e listening on ${spnUrl}`);

    // The gRPC admin API, on the port the mainnet printed (MAINNET_GRPC_PORT=0: a free one).
    const grpcAddress = /mainnet grpc admin listening on (\S+)/.exec(mainnet.stdout)?.[1];
    expect(grpcAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const admin = new MainnetAdminClient(grpcAddress!, { timeoutMs: 10_000 });
    try {
      const blocks = await admin.listBlocks();
      expect(blocks.items.at(-1)).toMatchObject({ number: 0, parentHash: '0x' + '00'.repeat(32) });
      expect(blocks).toEqual(await (await fetch(`${mainnetUrl}/blocks`)).json());
    } finally {
      admin.close();
    }
  });

  it('mainnet serves its gRPC admin API over TLS with MAINNET_GRPC_TLS_CERT / _KEY', async () => {
    const cert = selfSignedCert();
    const mainnet = start('mainnet', {
      PORT: '0',
      MAINNET_TCP_PORT: '0',
      MAINNET_GRPC_PORT: '0',
      DATABASE_URL: testDb.url,
      MAINNET_GRPC_TLS_CERT: cert.certPath,
      MAINNET_GRPC_TLS_KEY: cert.keyPath,
    });
    await mainnet.listeningUrl();
    const grpcAddress = await mainnet.waitForOutput(/mainnet grpc admin listening on (\S+) \(TLS\)/);
    const admin = new MainnetAdminClient(grpcAddress, { timeoutMs: 10_000, tls: { ca: cert.cert } });
    try {
      expect((await admin.listBlocks()).items.at(-1)).toMatchObject({ number: 0 });
    } finally {
      admin.close();
    }
  });

  it.each<AppName>(['mainnet', 'spn'])('%s exits with code 1 on a bad PORT, naming it, without a stack trace', async (app) => {
    const node = start(app, { PORT: 'abc', MAINNET_TCP_PORT: '0', MAINNET_GRPC_PORT: '0', DATABASE_URL: testDb.url });

    expect(await node.exited).toEqual({ code: 1, signal: null });
    expect(node.stderr).toBe('Invalid configuration: PORT must be a port number (got "abc")\n');
  });

  it.each<AppName>(['mainnet', 'spn'])(
    '%s exits with code 1 when its port is taken, its last line naming the address and the settings',
    async (app) => {
      const taken = createServer();
      await new Promise<void>((listening) => taken.listen(0, '127.0.0.1', listening));
      const port = (taken.address() as AddressInfo).port;
      try {
        // An SPN needs the mainnet's port (it does not reach it before it listens); a mainnet may take any.
        const mainnetTcpPort = app === 'spn' ? '7070' : '0';
        const node = start(app, {
          PORT: String(port),
          MAINNET_TCP_PORT: mainnetTcpPort,
          MAINNET_GRPC_PORT: '0',
          DATABASE_URL: testDb.url,
          SPN_ID: 'spn-port-taken',
        });

        expect(await node.exited).toEqual({ code: 1, signal: null });
        // Nest logs the failed listen itself first; what the app ends with is one line that says what to change.
        expect(node.stderr.trimEnd().split('\n').at(-1)).toBe(
          `cannot listen on 127.0.0.1:${port}: the address is already in use (see PORT, HOST)`,
        );
      } finally {
        taken.close();
      }
    },
  );

  it('mainnet exits with code 1 when its gRPC port is taken, its last line naming the address and MAINNET_GRPC_PORT', async () => {
    const taken = createServer();
    await new Promise<void>((listening) => taken.listen(0, '127.0.0.1', listening));
    const port = (taken.address() as AddressInfo).port;
    try {
      const node = start('mainnet', { PORT: '0', MAINNET_TCP_PORT: '0', MAINNET_GRPC_PORT: String(port), DATABASE_URL: testDb.url });

      expect(await node.exited).toEqual({ code: 1, signal: null });
      expect(node.stderr).toBe(`cannot listen on 127.0.0.1:${port}: the address is already in use (see MAINNET_GRPC_PORT, HOST)\n`);
    } finally {
      taken.close();
    }
  });

  it('without DATABASE_URL the mainnet runs an embedded Postgres and stops it on SIGTERM', async () => {
    const dataRoot = mkdtempSync(join(tmpdir(), 'mesh-e2e-'));
    chmodSync(dataRoot, 0o755); // as root, Postgres runs as the `postgres` user, which must reach the data dir
    try {
      const mainnet = start('mainnet', { PORT: '0', MAINNET_TCP_PORT: '0', MAINNET_GRPC_PORT: '0', MESH_DATA_DIR: dataRoot });
      expect(await health(await mainnet.listeningUrl())).toEqual(HEALTHY);
      const postmasterPidFile = join(dataRoot, 'mainnet/pgdata/postmaster.pid');
      const postgresPid = Number(readFileSync(postmasterPidFile, 'utf8').split('\n')[0]);

      await mainnet.stop();

      expect(existsSync(postmasterPidFile)).toBe(false); // Postgres shut down cleanly...
      expect(() => process.kill(postgresPid, 0)).toThrow(); // ...and is not left running
      expect(mainnet.stdout).toContain(`embedded Postgres (data dir ${dataRoot}/mainnet/pgdata)`);
    } finally {
      rmSync(dataRoot, { recursive: true, force: true });
    }
  });
});
