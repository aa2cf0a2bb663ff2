import { Controller, Inject, Logger } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { InvalidInputError, NotFoundError, type RelayedMessage } from '@mesh/core';
import type { Mainnet, SpnRecord, SubmitResult } from '@mesh/mainnet';
import { MAINNET_PATTERNS, toMainnetRpcError } from '@mesh/transport';
import { MAINNET } from './mainnet.tokens';

/**
 * The SPN <-> mainnet messages (libs/transport MAINNET_PATTERNS) over the microservice transport.
 * Payloads are checked by libs/mainnet itself; every error goes back as
 * RpcException({ code, message, details, retryable }) (libs/transport toMainnetRpcError).
 */
@Controller()
export class MainnetMessagesController {
  private readonly logger = new Logger('MainnetMessages');

  constructor(@Inject(MAINNET) private readonly mainnet: Mainnet) {}

  @MessagePattern(MAINNET_PATTERNS.registerSpn)
  registerSpn(@Payload() input: unknown): Promise<SpnRecord> {
    return this.answer(MAINNET_PATTERNS.registerSpn, () => this.mainnet.registry.register(input));
  }

  @MessagePattern(MAINNET_PATTERNS.submitBatch)
  submitBatch(@Payload() submission: unknown): Promise<SubmitResult> {
    return this.answer(MAINNET_PATTERNS.submitBatch, async () => {
      const result = await this.mainnet.settlement.submit(submission);
      const header = (submission as { header: { spnId: string } }).header;
      this.logger.log(
        `${result.duplicate ? 'duplicate of settled' : 'settled'} batch ${result.batchNo} of SPN "${header.spnId}" (postRoot ${result.postRoot})`,
      );
      return result;
    });
  }

  @MessagePattern(MAINNET_PATTERNS.getSpn)
  getSpn(@Payload() body: unknown): Promise<SpnRecord> {
    return this.answer(MAINNET_PATTERNS.getSpn, async () => {
      const spnId = (body as { spnId?: unknown } | null)?.spnId;
      if (typeof spnId !== 'string') throw new InvalidInputError('getSpn takes { spnId: string }');
      const spn = await this.mainnet.registry.get(spnId);
      if (!spn) throw new NotFoundError(`SPN "${spnId}" is not registered`);
      return spn;
    });
  }

  @MessagePattern(MAINNET_PATTERNS.pendingMessages)
  pendingMessages(@Payload() body: unknown): Promise<RelayedMessage[]> {
    return this.answer(MAINNET_PATTERNS.pendingMessages, () => {
      const { spnId, afterSeq } = (body ?? {}) as { spnId?: unknown; afterSeq?: unknown };
      return this.mainnet.messages.pending(spnId, afterSeq ?? 0);
    });
  }

  private async answer<T>(pattern: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const body = toMainnetRpcError(err);
      if (body.retryable) this.logger.error(`${pattern} failed: ${(err as Error)?.stack ?? String(err)}`);
      else this.logger.warn(`${pattern} refused: ${body.message}`);
      throw new RpcException(body);
    }
  }
}
