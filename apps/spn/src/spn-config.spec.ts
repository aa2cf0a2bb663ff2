import { describe, expect, it } from 'vitest';
import { loadSpnConfig } from './spn-config';

describe('loadSpnConfig', () => {
  it('has working defaults', () => {
    expect(loadSpnConfig({})).toEqual({
      port: 8081,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: '.mesh',
      logLevel: 'log',
      spnId: 'spn-1',
      mainnetUrl: 'http://127.0.0.1:8080',
    });
  });

  it('reads its own variables next to the shared ones', () => {
    const config = loadSpnConfig({ PORT: '9101', SPN_ID: 'payments-eu', MAINNET_URL: 'https://mainnet.example:8443' });

    expect(config).toMatchObject({ port: 9101, spnId: 'payments-eu', mainnetUrl: 'https://mainnet.example:8443' });
  });

  it.each([
    ['PORT', 'abc', 'PORT must be a port number (got "abc")'],
    ['SPN_ID', 'Payments_EU', 'SPN_ID must be 1 to 32 characters a-z, 0-9 or - (got "Payments_EU")'],
    ['SPN_ID', 'a'.repeat(33), `SPN_ID must be 1 to 32 characters a-z, 0-9 or - (got "${'a'.repeat(33)}")`],
    ['MAINNET_URL', 'ftp://mainnet', 'MAINNET_URL must be an http(s) URL (got "ftp://mainnet")'],
    ['MAINNET_URL', 'mainnet:8080', 'MAINNET_URL must be an http(s) URL (got "mainnet:8080")'],
  ])('rejects a bad %s, naming it', (variable, value, problem) => {
    expect(() => loadSpnConfig({ [variable]: value })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: `Invalid configuration: ${problem}` }),
    );
  });
});
