import type { AddressInfo, Server } from 'node:net';
import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { ConfigError, listenError, MeshError } from '@mesh/core';
import { findFreePort } from '@mesh/persistence';
import { mainnetAdminGrpcServerOptions, mainnetTransportOptions } from '@mesh/transport';
import { loadMainnetConfig } from './mainnet-config';
import { MainnetModule } from './mainnet.module';
import { setupOpenApi } from './openapi';

async function main(): Promise<void> {
  const config = loadMainnetConfig(process.env);
  // grpc-js logs errors it also reports to its caller (e.g. a taken port); the app reports those itself.
  if (process.env.GRPC_VERBOSITY === undefined) setLogVerbosity(logVerbosity.NONE);
  const transportOptions = mainnetTransportOptions(config.transport);
  const app = await NestFactory.create(MainnetModule.forRoot(config), { logger: [config.logLevel], abortOnError: false });
  app.enableShutdownHooks();
  setupOpenApi(app);
  const microservice = app.connectMicroservice<MicroserviceOptions>(transportOptions);
  // Nest's gRPC server does not tell which port it bound: for 0, a free one is chosen here.
  const grpcPort = config.grpcPort === 0 ? await findFreePort(config.host) : config.grpcPort;
  const grpc = app.connectMicroservice<MicroserviceOptions>(mainnetAdminGrpcServerOptions(`${config.host}:${grpcPort}`, config.grpcTls));
  try {
    await app.init();
    await microservice.listen().catch((err: NodeJS.ErrnoException) => {
      const [where, settings] =
        config.transport.kind === 'tcp'
          ? [`tcp ${config.transport.host}:${config.transport.port}`, 'MAINNET_TCP_PORT, MAINNET_TCP_HOST']
          : [`NATS server ${config.transport.natsUrl}`, 'NATS_URL, MAINNET_TRANSPORT'];
      throw new ConfigError(`mainnet transport cannot listen on ${where}: ${err.message || err.code} (see ${settings})`);
    });
    await grpc.listen().catch((err: Error) => {
      // grpc-js reports the socket's error code only inside its message.
      const code = /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL)\b/.exec(err.message)?.[1];
      const where = `${config.host}:${grpcPort}`;
      const settings = 'MAINNET_GRPC_PORT, HOST';
      throw code ? listenError({ code }, where, settings) : new ConfigError(`cannot listen on ${where}: ${err.message} (see ${settings})`);
    });
    await app.listen(config.port, config.host).catch((err: unknown) => {
      throw listenError(err, `${config.host}:${config.port}`, 'PORT, HOST');
    });
  } catch (err) {
    await app.close();
    throw err;
  }
  if (config.transport.kind === 'tcp') {
    const address = microservice.unwrap<Server>().address() as AddressInfo;
    process.stdout.write(`mainnet tcp listening on ${config.transport.host}:${address.port}\n`);
  } else {
    process.stdout.write(`mainnet nats transport on ${config.transport.natsUrl}\n`);
  }
  process.stdout.write(`mainnet grpc admin listening on ${config.host}:${grpcPort}${config.grpcTls ? ' (TLS)' : ''}\n`);
  process.stdout.write(`mainnet listening on ${await app.getUrl()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof MeshError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
