import { Transport, type NatsOptions, type TcpOptions } from '@nestjs/microservices';
import Joi from 'joi';

export const MAINNET_TRANSPORT_KINDS = ['tcp', 'nats'] as const;
export type MainnetTransportKind = (typeof MAINNET_TRANSPORT_KINDS)[number];

/** Where the mainnet's microservice listens (server) or is reached (client). */
export interface MainnetTransportConfig {
  kind: MainnetTransportKind;
  /** TCP host. */
  host: string;
  /** TCP port; 0 lets a listening mainnet take any free port (clients need the real one). */
  port: number;
  /** NATS server URL (kind 'nats'). */
  natsUrl: string;
}

export const DEFAULT_MAINNET_TCP_PORT = 7070;
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** Environment variables of the mainnet transport, read the same way by the mainnet and by SPN nodes. */
export interface MainnetTransportEnv {
  MAINNET_TRANSPORT: MainnetTransportKind;
  MAINNET_TCP_HOST?: string;
  MAINNET_TCP_PORT: number;
  NATS_URL: string;
}

/** Joi keys of MainnetTransportEnv (for libs/persistence `parseEnv`); an empty variable counts as unset. */
export function mainnetTransportEnvKeys(): Joi.PartialSchemaMap<MainnetTransportEnv> {
  return {
    MAINNET_TRANSPORT: Joi.string()
      .valid(...MAINNET_TRANSPORT_KINDS)
      .empty('')
      .default('tcp')
      .messages({ '*': `{#label} must be one of ${MAINNET_TRANSPORT_KINDS.join(', ')}` }),
    MAINNET_TCP_HOST: Joi.string().hostname().empty('').messages({ '*': '{#label} must be a host name or IP address' }),
    MAINNET_TCP_PORT: Joi.number().port().empty('').default(DEFAULT_MAINNET_TCP_PORT).messages({ '*': '{#label} must be a port number' }),
    NATS_URL: Joi.string()
      .uri({ scheme: ['nats', 'tls'] })
      .empty('')
      .default(DEFAULT_NATS_URL)
      .messages({ '*': '{#label} must be a nats:// URL' }),
  };
}

/** Reads MainnetTransportEnv; `defaultHost` is the TCP host when MAINNET_TCP_HOST is unset. */
export function toMainnetTransportConfig(env: MainnetTransportEnv, defaultHost = '127.0.0.1'): MainnetTransportConfig {
  return { kind: env.MAINNET_TRANSPORT, host: env.MAINNET_TCP_HOST ?? defaultHost, port: env.MAINNET_TCP_PORT, natsUrl: env.NATS_URL };
}

export type MainnetTransportOptions = ({ transport: Transport.TCP } & TcpOptions) | ({ transport: Transport.NATS } & NatsOptions);

/**
 * Reconnect to a NATS server that went away for as long as it takes, every second. nats.js gives
 * up after 10 attempts 2 s apart by default: a mainnet whose NATS server was down for longer
 * stayed unsubscribed for good (measured: every settlement after a 30 s outage found no mainnet).
 */
export const NATS_RECONNECT = { maxReconnectAttempts: -1, reconnectTimeWait: 1000 } as const;

/**
 * NestJS microservice options (server: `app.connectMicroservice`; client:
 * `ClientProxyFactory.create`) for the mainnet transport: TCP by default, NATS when configured
 * (mainnets subscribe in one queue group, so several mainnet processes on one NATS server share
 * the requests; the subjects are the MAINNET_PATTERNS, so one NATS server, or account, serves one mesh).
 */
export function mainnetTransportOptions(config: MainnetTransportConfig): MainnetTransportOptions {
  if (config.kind === 'nats') {
    return { transport: Transport.NATS, options: { servers: [config.natsUrl], queue: 'mainnet', ...NATS_RECONNECT } };
  }
  return { transport: Transport.TCP, options: { host: config.host, port: config.port } };
}
