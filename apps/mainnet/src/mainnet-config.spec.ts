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
    });
  });

  it('reads every variable', () => {
    const env = {
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://mesh:pw@db.internal:5432/mesh',
      MESH_DATA_DIR: '/var/lib/mesh',
      LOG_LEVEL: 'debug',
    };

    expect(loadMainnetConfig(env)).toEqual({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'postgres://mesh:pw@db.internal:5432/mesh',
      dataDir: '/var/lib/mesh',
      logLevel: 'debug',
    });
  });

  it.each([
    ['PORT', 'abc', 'PORT must be a port number (got "abc")'],
    ['PORT', '70000', 'PORT must be a port number (got "70000")'],
    ['HOST', 'not a host', 'HOST must be a host name or IP address (got "not a host")'],
    ['DATABASE_URL', 'mysql://root:pw@db/mesh', 'DATABASE_URL must be a postgres:// URL (value hidden)'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of fatal, error, warn, log, debug, verbose (got "loud")'],
  ])('rejects a bad %s, naming it', (variable, value, problem) => {
    expect(() => loadMainnetConfig({ [variable]: value })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: `Invalid configuration: ${problem}` }),
    );
  });
});
