import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadProverConfig } from './prover-config';

const DATABASE_URL = 'postgres://mesh:secret@db.example:5432/mesh';

describe('loadProverConfig', () => {
  it('needs only DATABASE_URL; the rest defaults to the SPN defaults (spn-1, profile dev), one prover, a 2-minute lease', () => {
    expect(loadProverConfig({ DATABASE_URL }, 4321)).toEqual({
      databaseUrl: DATABASE_URL,
      spnId: 'spn-1',
      circuitProfile: 'dev',
      provers: 1,
      leaseMs: 120_000,
      name: `prover@${hostname()}:4321`,
      logLevel: 'log',
    });
  });

  it('reads SPN_ID, CIRCUIT_PROFILE, PROVERS, PROVER_LEASE_MS and LOG_LEVEL', () => {
    expect(
      loadProverConfig({
        DATABASE_URL,
        SPN_ID: 'payments-eu',
        CIRCUIT_PROFILE: 'k8',
        PROVERS: '4',
        PROVER_LEASE_MS: '5000',
        LOG_LEVEL: 'warn',
      }),
    ).toMatchObject({ spnId: 'payments-eu', circuitProfile: 'k8', provers: 4, leaseMs: 5000, logLevel: 'warn' });
  });

  it('refuses to start without DATABASE_URL, saying why (an embedded database would be empty)', () => {
    expect(() => loadProverConfig({})).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        message:
          "Invalid configuration: DATABASE_URL is required: a prover works on its SPN's database (the SPN node's DATABASE_URL) (value hidden)",
      }),
    );
  });

  it.each([
    ['DATABASE_URL', 'mysql://db/mesh', 'DATABASE_URL must be a postgres:// URL (value hidden)'],
    ['SPN_ID', 'Payments_EU', 'SPN_ID must be 1 to 32 characters a-z, 0-9 or - (got "Payments_EU")'],
    ['PROVERS', '0', 'PROVERS must be an integer from 1 to 16 (got "0")'],
    ['PROVER_LEASE_MS', '500', 'PROVER_LEASE_MS must be an integer number of milliseconds from 1000 to 86400000 (got "500")'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of fatal, error, warn, log, debug, verbose (got "loud")'],
  ])('rejects a bad %s, naming it', (variable, value, problem) => {
    expect(() => loadProverConfig({ DATABASE_URL, [variable]: value })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: `Invalid configuration: ${problem}` }),
    );
  });
});
