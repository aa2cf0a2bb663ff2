import { describe, expect, it } from 'vitest';
import { nodeDatabaseOptions, type NodeConfig } from './node-config';

const config: NodeConfig = { port: 8080, host: '127.0.0.1', dataDir: '.mesh', logLevel: 'log' };

describe('nodeDatabaseOptions', () => {
  it('uses DATABASE_URL when set', () => {
    expect(nodeDatabaseOptions({ ...config, databaseUrl: 'postgres://db/mesh' }, 'mainnet')).toEqual({ url: 'postgres://db/mesh' });
  });

  it('otherwise gives each node its own embedded data dir under MESH_DATA_DIR', () => {
    expect(nodeDatabaseOptions(config, 'mainnet')).toEqual({ dataDir: '.mesh/mainnet/pgdata' });
    expect(nodeDatabaseOptions({ ...config, dataDir: '/var/mesh' }, 'spns/spn-7')).toEqual({ dataDir: '/var/mesh/spns/spn-7/pgdata' });
  });
});
