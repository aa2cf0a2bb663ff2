import { createServer, type AddressInfo, type Server } from 'node:net';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, RpcException, Transport } from '@nestjs/microservices';
import { InvalidInputError } from '@mesh/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MainnetRejectedError, MainnetUnavailableError, toMainnetRpcError } from './errors';
import { MainnetClient } from './mainnet-client';
import { MAINNET_PATTERNS } from './patterns';
import type { MainnetTransportConfig } from './transport-config';

/** A stand-in mainnet: refuses registrations, fails submissions on its side, knows one SPN. */
@Controller()
class FakeMainnet {
  @MessagePattern(MAINNET_PATTERNS.registerSpn)
  register(): never {
    throw new RpcException(toMainnetRpcError(new InvalidInputError('spnId must be 1 to 32 characters a-z, 0-9 or -')));
  }

  @MessagePattern(MAINNET_PATTERNS.submitBatch)
  submit(): never {
    throw new RpcException(toMainnetRpcError(new Error('connection terminated')));
  }

  @MessagePattern(MAINNET_PATTERNS.getSpn)
  getSpn(data: { spnId: string }): unknown {
    if (data.spnId === 'known') return { spnId: 'known' };
    throw new RpcException({ code: 'NOT_FOUND', message: 'SPN "x" is not registered', retryable: false });
  }
}

@Module({ controllers: [FakeMainnet] })
class FakeMainnetModule {}

let server: INestMicroservice;
let silent: Server;
const config = (port: number): MainnetTransportConfig => ({ kind: 'tcp', host: '127.0.0.1', port, natsUrl: '' });
const clients: MainnetClient[] = [];
const client = (port: number, timeoutMs?: number) => {
  const c = new MainnetClient(config(port), { timeoutMs });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  server = await NestFactory.createMicroservice(FakeMainnetModule, {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port: 0 },
    logger: false,
  });
  await server.listen();
  silent = createServer(() => undefined); // accepts, never answers
  await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.close();
  silent?.close();
});

const portOf = (s: Server) => (s.address() as AddressInfo).port;

describe('MainnetClient', () => {
  it('returns answers, and undefined for an unknown SPN', async () => {
    const c = client(portOf(server.unwrap<Server>()));
    expect(await c.getSpn('known')).toEqual({ spnId: 'known' });
    expect(await c.getSpn('other')).toBeUndefined();
  });

  it('turns a refusal into a permanent MainnetRejectedError that keeps the reason', async () => {
    const err = await client(portOf(server.unwrap<Server>()))
      .registerSpn({} as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MainnetRejectedError);
    expect(err).toMatchObject({
      code: 'MAINNET_REJECTED',
      mainnetCode: 'INVALID_INPUT',
      message: 'spnId must be 1 to 32 characters a-z, 0-9 or -',
    });
  });

  it('turns a failure on the mainnet side, a refused connection and a time-out into MainnetUnavailableError', async () => {
    const failed = await client(portOf(server.unwrap<Server>()))
      .submitBatch({} as never)
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(MainnetUnavailableError);
    expect((failed as Error).message).toMatch(
      /the mainnet failed to handle mainnet.submitBatch: internal mainnet error: connection terminated/,
    );

    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const freePort = portOf(closed);
    await new Promise((done) => closed.close(done));
    const refused = await client(freePort)
      .getSpn('x')
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MainnetUnavailableError);
    expect((refused as Error).message).toMatch(
      new RegExp(`cannot reach the mainnet at tcp://127.0.0.1:${freePort} \\(mainnet.getSpn\\): .*ECONNREFUSED`),
    );

    const late = await client(portOf(silent), 200)
      .getSpn('x')
      .catch((e: unknown) => e);
    expect(late).toBeInstanceOf(MainnetUnavailableError);
    expect((late as Error).message).toMatch(/no answer from the mainnet at tcp:\/\/127.0.0.1:\d+ to mainnet.getSpn within 200 ms/);
  });

  it('needs a real port', () => {
    expect(() => new MainnetClient(config(0))).toThrow(/MAINNET_TCP_PORT must be the port the mainnet listens on/);
  });
});
