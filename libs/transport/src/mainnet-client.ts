import { ConfigError, type RelayedMessage, type SettlementSubmission } from '@mesh/core';
import type { RegisterSpnInput, SpnRecord, SubmitResult } from '@mesh/mainnet';
import { ClientProxyFactory, type ClientOptions, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { MainnetRejectedError, MainnetUnavailableError, type MainnetRpcError } from './errors';
import { MAINNET_PATTERNS } from './patterns';
import { mainnetTransportOptions, type MainnetTransportConfig } from './transport-config';

export interface MainnetClientOptions {
  /** How long to wait for an answer before failing with MainnetUnavailableError; default 30 s. */
  timeoutMs?: number;
}

export const DEFAULT_MAINNET_TIMEOUT_MS = 30_000;

function isRpcError(value: unknown): value is MainnetRpcError {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && typeof (value as MainnetRpcError).message === 'string';
}

/**
 * An SPN's connection to the mainnet over the configured NestJS microservice transport. Every
 * call either resolves with the mainnet's answer or fails with
 * - MainnetRejectedError: the mainnet refused the request (permanent; keeps its code and reason);
 * - MainnetUnavailableError: no connection, no answer within the timeout, or a failure on the
 *   mainnet's side (retryable; a settlement retried after an unanswered submit comes back as
 *   `{ accepted: true, duplicate: true }` if the first one had settled).
 */
export class MainnetClient {
  private readonly proxy: ClientProxy;
  private readonly timeoutMs: number;
  private readonly where: string;

  constructor(config: MainnetTransportConfig, options: MainnetClientOptions = {}) {
    if (config.kind === 'tcp' && config.port === 0) {
      throw new ConfigError('MAINNET_TCP_PORT must be the port the mainnet listens on; 0 only lets a mainnet pick any free port');
    }
    this.proxy = ClientProxyFactory.create(mainnetTransportOptions(config) as ClientOptions);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_MAINNET_TIMEOUT_MS;
    this.where = config.kind === 'tcp' ? `tcp://${config.host}:${config.port}` : config.natsUrl;
  }

  registerSpn(input: RegisterSpnInput): Promise<SpnRecord> {
    return this.send<SpnRecord>(MAINNET_PATTERNS.registerSpn, input);
  }

  submitBatch(submission: SettlementSubmission): Promise<SubmitResult> {
    return this.send<SubmitResult>(MAINNET_PATTERNS.submitBatch, submission);
  }

  /** Settled messages for SPN `spnId` that have no result yet, settled after `afterSeq`, with their inclusion proofs. */
  pendingMessages(spnId: string, afterSeq: number): Promise<RelayedMessage[]> {
    return this.send<RelayedMessage[]>(MAINNET_PATTERNS.pendingMessages, { spnId, afterSeq });
  }

  /** The SPN as the mainnet has it registered, or undefined when it is not registered. */
  async getSpn(spnId: string): Promise<SpnRecord | undefined> {
    try {
      return await this.send<SpnRecord>(MAINNET_PATTERNS.getSpn, { spnId });
    } catch (err) {
      if (err instanceof MainnetRejectedError && err.mainnetCode === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.proxy.close();
  }

  private async send<T>(pattern: string, data: unknown): Promise<T> {
    try {
      return await firstValueFrom(this.proxy.send<T>(pattern, data).pipe(timeout(this.timeoutMs)));
    } catch (err) {
      throw this.translate(pattern, err);
    }
  }

  private translate(pattern: string, err: unknown): Error {
    if (err instanceof TimeoutError) {
      return new MainnetUnavailableError(`no answer from the mainnet at ${this.where} to ${pattern} within ${this.timeoutMs} ms`, {
        pattern,
      });
    }
    if (isRpcError(err)) {
      if (err.retryable === false || (err.retryable === undefined && typeof err.code === 'string')) {
        return new MainnetRejectedError(err.code, err.message, err.details);
      }
      return new MainnetUnavailableError(`the mainnet failed to handle ${pattern}: ${err.message}`, { pattern, mainnetCode: err.code });
    }
    if (typeof err === 'string') {
      return new MainnetUnavailableError(`the mainnet at ${this.where} could not handle ${pattern}: ${err}`, { pattern });
    }
    const cause = err instanceof Error ? err.message || (err as NodeJS.ErrnoException).code || err.name : String(err);
    return new MainnetUnavailableError(`cannot reach the mainnet at ${this.where} (${pattern}): ${cause}`, { pattern });
  }
}
