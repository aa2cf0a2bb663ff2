import type { RelayedMessage, SettlementSubmission } from '@mesh/core';
import type { MainnetPort, SpnRegistration, SubmitOutcome } from '@mesh/spn-node';
import { MainnetClient, MainnetRejectedError } from '@mesh/transport';
import type { SpnConfig } from './spn-config';

/** The SPN node's MainnetPort over the NestJS microservice client (TCP by default). */
export class MainnetPortAdapter implements MainnetPort {
  private readonly client: MainnetClient;

  constructor(config: SpnConfig['mainnet']) {
    this.client = new MainnetClient(config);
  }

  async registerSpn(registration: SpnRegistration): Promise<void> {
    await this.client.registerSpn(registration as Parameters<MainnetClient['registerSpn']>[0]);
  }

  async submitBatch(submission: SettlementSubmission): Promise<SubmitOutcome> {
    try {
      const result = await this.client.submitBatch(submission);
      return { status: 'accepted', duplicate: 'duplicate' in result && result.duplicate === true };
    } catch (err) {
      if (err instanceof MainnetRejectedError) return { status: 'rejected', reason: err.message };
      throw err; // unavailable / time-out: the settlement loop retries with backoff
    }
  }

  pendingMessages(spnId: string, afterSeq: number): Promise<RelayedMessage[]> {
    return this.client.pendingMessages(spnId, afterSeq);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
