import { describe, expect, it } from 'vitest';
import { DEV_OPERATOR_KEY, loadSpnConfig } from './spn-config';

describe('loadSpnConfig', () => {
  it('has working defaults', () => {
    expect(loadSpnConfig({})).toEqual({
      port: 8081,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: '.mesh',
      logLevel: 'log',
      spnId: 'spn-1',
      vm: 'wasm',
      chainId: 4242,
      circuitProfile: 'dev',
      operatorKey: DEV_OPERATOR_KEY,
      devOperatorKey: true,
      publicUrl: undefined,
      mainnet: { kind: 'tcp', host: '127.0.0.1', port: 7070, natsUrl: 'nats://127.0.0.1:4222' },
      blockTimeMs: 500,
      maxBlockTxs: 200,
      batchBlocks: 10,
      batchMaxMs: 5000,
      provers: 1,
    });
  });

  it('reads its own variables next to the shared ones', () => {
    const key = '0x' + '11'.repeat(32);
    const config = loadSpnConfig({ PORT: '9101', SPN_ID: 'payments-eu', MAINNET_TCP_PORT: '7171', OPERATOR_KEY: key, PROVERS: '2' });

    expect(config).toMatchObject({
      port: 9101,
      spnId: 'payments-eu',
      mainnet: { port: 7171 },
      operatorKey: key,
      devOperatorKey: false,
      provers: 2,
    });
  });

  it.each([
    ['PORT', 'abc', 'PORT must be a port number (got "abc")'],
    ['SPN_ID', 'Payments_EU', 'SPN_ID must be 1 to 32 characters a-z, 0-9 or - (got "Payments_EU")'],
    ['SPN_ID', 'a'.repeat(33), `SPN_ID must be 1 to 32 characters a-z, 0-9 or - (got "${'a'.repeat(33)}")`],
    ['VM', 'evm', 'VM must be wasm (the EVM engine is not built yet) (got "evm")'],
    ['MAINNET_TCP_PORT', '70000', 'MAINNET_TCP_PORT must be a port number (got "70000")'],
    ['BLOCK_TIME_MS', '5', 'BLOCK_TIME_MS must be an integer from 10 to 60000 (got "5")'],
    ['PUBLIC_URL', 'ftp://spn', 'PUBLIC_URL must be an http(s) URL (got "ftp://spn")'],
  ])('rejects a bad %s, naming it', (variable, value, problem) => {
    expect(() => loadSpnConfig({ [variable]: value })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: `Invalid configuration: ${problem}` }),
    );
  });

  it('does not echo a bad OPERATOR_KEY', () => {
    expect(() => loadSpnConfig({ OPERATOR_KEY: '0xsecret' })).toThrow(
      /OPERATOR_KEY must be a 0x-prefixed 32-byte hex private key \(value hidden\)$/,
    );
  });
});
