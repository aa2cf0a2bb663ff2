import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMainnetConfig } from './mainnet-config';

describe('loadMainnetConfig', () => {
  it('has working defaults', () => {
    expect(loadMainnetConfig({})).toEqual({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: '.mesh',
      logLevel: 'log',
      chainId: 4242,
      transport: { kind: 'tcp', host: '127.0.0.1', port: 7070, natsUrl: 'nats://127.0.0.1:4222' },
      blockMs: 1000,
      grpcPort: 7071,
      unbondingMs: 604_800_000,
      slashBps: 5000,
      genesisBalances: new Map(),
    });
  });

  it('reads every variable', () => {
    const env = {
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://mesh:pw@db.internal:5432/mesh',
      MESH_DATA_DIR: '/var/lib/mesh',
      LOG_LEVEL: 'debug',
      CHAIN_ID: '31337',
      MAINNET_TRANSPORT: 'nats',
      MAINNET_TCP_HOST: '10.0.0.5',
      MAINNET_TCP_PORT: '7171',
      NATS_URL: 'nats://nats.internal:4222',
      MAINNET_BLOCK_MS: '250',
      MAINNET_GRPC_PORT: '0',
      MAINNET_UNBONDING_MS: '60000',
      MAINNET_SLASH_BPS: '10000',
      MAINNET_ADMIN_TOKEN: 'a-long-admin-token-123',
      MAINNET_GENESIS_BALANCES: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266=1000, 0x70997970C51812dc3A010C7d01b50e0d17dc79C8=5',
    };

    expect(loadMainnetConfig(env)).toEqual({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'postgres://mesh:pw@db.internal:5432/mesh',
      dataDir: '/var/lib/mesh',
      logLevel: 'debug',
      chainId: 31337,
      transport: { kind: 'nats', host: '10.0.0.5', port: 7171, natsUrl: 'nats://nats.internal:4222' },
      blockMs: 250,
      grpcPort: 0,
      unbondingMs: 60_000,
      slashBps: 10_000,
      adminToken: 'a-long-admin-token-123',
      genesisBalances: new Map([
        ['0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', 1000n],
        ['0x70997970c51812dc3a010c7d01b50e0d17dc79c8', 5n],
      ]),
    });
  });

  it('listens for TCP on HOST unless MAINNET_TCP_HOST is set, and accepts port 0 (any free port)', () => {
    expect(loadMainnetConfig({ HOST: '0.0.0.0', MAINNET_TCP_PORT: '0' }).transport).toEqual({
      kind: 'tcp',
      host: '0.0.0.0',
      port: 0,
      natsUrl: 'nats://127.0.0.1:4222',
    });
  });

  it.each([
    ['PORT', 'abc', 'PORT must be a port number (got "abc")'],
    ['PORT', '70000', 'PORT must be a port number (got "70000")'],
    ['HOST', 'not a host', 'HOST must be a host name or IP address (got "not a host")'],
    ['DATABASE_URL', 'mysql://root:pw@db/mesh', 'DATABASE_URL must be a postgres:// URL (value hidden)'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of fatal, error, warn, log, debug, verbose (got "loud")'],
    ['CHAIN_ID', '0', 'CHAIN_ID must be a positive integer (got "0")'],
    ['CHAIN_ID', 'x', 'CHAIN_ID must be a positive integer (got "x")'],
    ['MAINNET_TCP_PORT', '99999', 'MAINNET_TCP_PORT must be a port number (got "99999")'],
    ['MAINNET_TCP_HOST', 'no host', 'MAINNET_TCP_HOST must be a host name or IP address (got "no host")'],
    ['MAINNET_TRANSPORT', 'grpc', 'MAINNET_TRANSPORT must be one of tcp, nats (got "grpc")'],
    ['NATS_URL', 'http://x', 'NATS_URL must be a nats:// URL (got "http://x")'],
    ['MAINNET_GRPC_PORT', '-1', 'MAINNET_GRPC_PORT must be a port number (got "-1")'],
    ['MAINNET_BLOCK_MS', '5', 'MAINNET_BLOCK_MS must be an integer number of milliseconds from 10 to 3600000 (got "5")'],
    ['MAINNET_ADMIN_TOKEN', 'short', 'MAINNET_ADMIN_TOKEN must be at least 16 printable characters without spaces (value hidden)'],
    [
      'MAINNET_ADMIN_TOKEN',
      'a token with spaces in it',
      'MAINNET_ADMIN_TOKEN must be at least 16 printable characters without spaces (value hidden)',
    ],
    ['MAINNET_UNBONDING_MS', '-1', 'MAINNET_UNBONDING_MS must be a non-negative integer number of milliseconds (got "-1")'],
    ['MAINNET_SLASH_BPS', '10001', 'MAINNET_SLASH_BPS must be an integer from 0 to 10000 (basis points) (got "10001")'],
    [
      'MAINNET_GENESIS_BALANCES',
      '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266:1000',
      'MAINNET_GENESIS_BALANCES must be 0xaddress=amount pairs separated by commas: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266:1000" is not 0xaddress=amount',
    ],
    [
      'MAINNET_GENESIS_BALANCES',
      '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266=1,0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266=2',
      'MAINNET_GENESIS_BALANCES must be 0xaddress=amount pairs separated by commas: 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 appears twice',
    ],
  ])('rejects a bad %s, naming it', (variable, value, problem) => {
    expect(() => loadMainnetConfig({ [variable]: value })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: `Invalid configuration: ${problem}` }),
    );
  });

  describe('MAINNET_GRPC_TLS_CERT / MAINNET_GRPC_TLS_KEY', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mainnet-tls-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const cert = file('cert.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const key = file('key.pem', '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n');
    const bad = (env: Record<string, string>, problem: string) =>
      expect(() => loadMainnetConfig(env)).toThrow(
        expect.objectContaining({ name: 'ConfigError', message: `Invalid configuration: ${problem}` }),
      );

    it('reads both PEM files at start; without them the gRPC admin API is plaintext', () => {
      expect(loadMainnetConfig({ MAINNET_GRPC_TLS_CERT: cert, MAINNET_GRPC_TLS_KEY: key }).grpcTls).toEqual({
        certChain: Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'),
        privateKey: Buffer.from('-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n'),
      });
      expect(loadMainnetConfig({}).grpcTls).toBeUndefined();
    });

    it('wants both or neither, readable, and PEM of the right kind', () => {
      bad({ MAINNET_GRPC_TLS_CERT: cert }, 'MAINNET_GRPC_TLS_KEY is required with MAINNET_GRPC_TLS_CERT (both or neither)');
      bad({ MAINNET_GRPC_TLS_KEY: key }, 'MAINNET_GRPC_TLS_CERT is required with MAINNET_GRPC_TLS_KEY (both or neither)');
      bad(
        { MAINNET_GRPC_TLS_CERT: join(dir, 'missing.pem'), MAINNET_GRPC_TLS_KEY: key },
        `MAINNET_GRPC_TLS_CERT must be the path of a PEM file (cannot read ${JSON.stringify(join(dir, 'missing.pem'))}: ENOENT)`,
      );
      bad(
        { MAINNET_GRPC_TLS_CERT: key, MAINNET_GRPC_TLS_KEY: key },
        `MAINNET_GRPC_TLS_CERT must be a PEM file holding a CERTIFICATE (${JSON.stringify(key)})`,
      );
      bad(
        { MAINNET_GRPC_TLS_CERT: cert, MAINNET_GRPC_TLS_KEY: cert },
        `MAINNET_GRPC_TLS_KEY must be a PEM file holding a PRIVATE KEY (${JSON.stringify(cert)})`,
      );
    });
  });
});
