import { Transport } from '@nestjs/microservices';
import { describe, expect, it } from 'vitest';
import { mainnetTransportOptions, NATS_PACKAGE, type MainnetTransportConfig } from './transport-config';

const tcp: MainnetTransportConfig = { kind: 'tcp', host: '127.0.0.1', port: 7070, natsUrl: 'nats://127.0.0.1:4222' };

describe('mainnetTransportOptions', () => {
  it('gives TCP options by default', () => {
    expect(mainnetTransportOptions(tcp)).toEqual({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 7070 } });
  });

  it('refuses NATS with a clear ConfigError while its client package is not installed', () => {
    expect(() => mainnetTransportOptions({ ...tcp, kind: 'nats' })).toThrow(
      expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining(`npm install ${NATS_PACKAGE}`) }),
    );
  });

  it('gives NATS options when the package is there', () => {
    expect(mainnetTransportOptions({ ...tcp, kind: 'nats' }, () => true)).toEqual({
      transport: Transport.NATS,
      options: { servers: ['nats://127.0.0.1:4222'], queue: 'mainnet' },
    });
  });
});
