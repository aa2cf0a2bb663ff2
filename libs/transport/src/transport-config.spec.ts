import { Transport } from '@nestjs/microservices';
import { describe, expect, it } from 'vitest';
import { mainnetTransportOptions, type MainnetTransportConfig } from './transport-config';

const tcp: MainnetTransportConfig = { kind: 'tcp', host: '127.0.0.1', port: 7070, natsUrl: 'nats://127.0.0.1:4222' };

describe('mainnetTransportOptions', () => {
  it('gives TCP options by default', () => {
    expect(mainnetTransportOptions(tcp)).toEqual({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 7070 } });
  });

  it('gives NATS options (one queue group of mainnets) when configured', () => {
    expect(mainnetTransportOptions({ ...tcp, kind: 'nats' })).toEqual({
      transport: Transport.NATS,
      options: { servers: ['nats://127.0.0.1:4222'], queue: 'mainnet', maxReconnectAttempts: -1, reconnectTimeWait: 1000 },
    });
  });
});
