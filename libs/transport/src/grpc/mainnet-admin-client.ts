import { credentials, loadPackageDefinition, Metadata, status as GrpcStatus, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type {
  AccountRecord,
  BatchRecord,
  BatchSummary,
  BlockRecord,
  BlockSummary,
  CursorPage,
  OffsetPage,
  RegisterSpnInput,
  MessageRecord,
  SlashRecord,
  SpnDetails,
  SpnRecord,
  StakingParams,
} from '@mesh/mainnet';
import type { SignedStakeOperation } from '@mesh/core';
import { MainnetRejectedError, MainnetUnavailableError } from '../errors';
import {
  fromGrpcBatch,
  fromGrpcBatchPage,
  fromGrpcBlock,
  fromGrpcBlockPage,
  fromGrpcSpn,
  fromGrpcSpnDetails,
  fromGrpcSpnPage,
  fromEvidenceInput,
  fromGrpcAccount,
  fromGrpcSlash,
  fromGrpcMessage,
  fromGrpcMessagePage,
  fromRegisterSpnInput,
  MAINNET_ADMIN_LOADER_OPTIONS,
  MESH_CODE_METADATA,
  MAINNET_ADMIN_PROTO,
} from './admin-wire';

/**
 * The MeshError code behind each refusal status the mainnet sends (admin-wire GRPC_STATUS_OF_CODE),
 * when its `mesh-code` metadata does not say.
 */
const CODE_OF_STATUS: Partial<Record<GrpcStatus, string>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 'INVALID_INPUT',
  [GrpcStatus.UNAUTHENTICATED]: 'UNAUTHORIZED',
  [GrpcStatus.NOT_FOUND]: 'NOT_FOUND',
  [GrpcStatus.ALREADY_EXISTS]: 'SPN_CONFLICT',
  [GrpcStatus.FAILED_PRECONDITION]: 'SETTLEMENT_REJECTED',
};

type Unary = (
  request: unknown,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (err: ServiceError | null, response: any) => void,
) => void;

let serviceConstructor:
  (new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options: Record<string, number>) => Client) | undefined;

/** Default `maxMessageBytes` of MainnetAdminClient. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

function adminService() {
  if (!serviceConstructor) {
    const definition = loadPackageDefinition(loadSync(MAINNET_ADMIN_PROTO, MAINNET_ADMIN_LOADER_OPTIONS)) as any;
    serviceConstructor = definition.mesh.mainnet.v1.MainnetAdmin;
  }
  return serviceConstructor!;
}

/**
 * A typed client of the mainnet's gRPC admin API (`MAINNET_GRPC_PORT`, default 7071): the same
 * operations and records as its REST admin API. A refusal (bad input, unknown SPN or block, a
 * conflicting registration) is a MainnetRejectedError whose `mainnetCode` is the mainnet's
 * (INVALID_INPUT, NOT_FOUND, SPN_CONFLICT); no connection, no answer within `timeoutMs` or a
 * failure on the mainnet's side is a MainnetUnavailableError.
 */
export class MainnetAdminClient {
  private readonly client: Client;
  private readonly timeoutMs: number;
  private readonly adminToken: string | undefined;

  /**
   * `address`: host:port of the mainnet's gRPC admin server. `maxMessageBytes`: the largest answer
   * taken (gRPC's default is 4 MiB; a batch of many chunks with their proofs and tx data is more).
   * `tls`: connect over TLS (a mainnet with MAINNET_GRPC_TLS_CERT), trusting `ca` (PEM), or the
   * system's roots without it; the certificate must name the host of `address`. `adminToken`:
   * sent as `authorization: Bearer <it>` (a mainnet with MAINNET_ADMIN_TOKEN needs it to register SPNs).
   */
  constructor(
    readonly address: string,
    {
      timeoutMs = 30_000,
      maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
      tls,
      adminToken,
    }: { timeoutMs?: number; maxMessageBytes?: number; tls?: { ca?: Buffer }; adminToken?: string } = {},
  ) {
    this.adminToken = adminToken;
    const creds = tls ? credentials.createSsl(tls.ca ?? null) : credentials.createInsecure();
    this.client = new (adminService())(address, creds, { 'grpc.max_receive_message_length': maxMessageBytes });
    this.timeoutMs = timeoutMs;
  }

  async registerSpn(input: RegisterSpnInput): Promise<SpnRecord> {
    return fromGrpcSpn(await this.call('registerSpn', fromRegisterSpnInput(input)));
  }

  async listSpns(page: { limit?: number; offset?: number } = {}): Promise<OffsetPage<SpnRecord>> {
    return fromGrpcSpnPage(await this.call('listSpns', page));
  }

  async getSpn(spnId: string): Promise<SpnDetails> {
    return fromGrpcSpnDetails(await this.call('getSpn', { spnId }));
  }

  async listBatches(spnId: string, page: { limit?: number; before?: number } = {}): Promise<CursorPage<BatchSummary>> {
    return fromGrpcBatchPage(await this.call('listBatches', { spnId, ...page }));
  }

  async getBatch(spnId: string, batchNo: number): Promise<BatchRecord> {
    return fromGrpcBatch(await this.call('getBatch', { spnId, batchNo }));
  }

  async listBlocks(page: { limit?: number; before?: number } = {}): Promise<CursorPage<BlockSummary>> {
    return fromGrpcBlockPage(await this.call('listBlocks', page));
  }

  async getBlock(number: number): Promise<BlockRecord> {
    return fromGrpcBlock(await this.call('getBlock', { number }));
  }

  async getStakingParams(): Promise<StakingParams> {
    return this.call('getStakingParams', {});
  }

  /** A signed stake operation (libs/core signStakeOperation); answers with the account after it. */
  async submitStakeOperation(op: SignedStakeOperation): Promise<AccountRecord> {
    return fromGrpcAccount(await this.call('submitStakeOperation', op));
  }

  async getAccount(address: string): Promise<AccountRecord> {
    return fromGrpcAccount(await this.call('getAccount', { address }));
  }

  /** Evidence of a fault: a signed batch (header, chunks, txData, signature) whose proof does not verify. */
  async submitEvidence(submission: unknown): Promise<SlashRecord> {
    return fromGrpcSlash(await this.call('submitEvidence', fromEvidenceInput(submission)));
  }

  async listSlashes(spnId: string): Promise<SlashRecord[]> {
    return ((await this.call('listSlashes', { spnId })).items ?? []).map(fromGrpcSlash);
  }

  /** A settled cross-SPN message by its trace id, and its state. */
  async getMessage(traceId: string): Promise<MessageRecord> {
    return fromGrpcMessage(await this.call('getMessage', { traceId }));
  }

  /** Messages an SPN sent (`out`, default) or was sent (`in`), newest first. */
  async listMessages(
    spnId: string,
    page: { direction?: 'out' | 'in'; limit?: number; before?: number } = {},
  ): Promise<CursorPage<MessageRecord>> {
    return fromGrpcMessagePage(await this.call('listMessages', { spnId, ...page }));
  }

  close(): void {
    this.client.close();
  }

  private call(method: string, request: unknown): Promise<any> {
    const unary = (this.client as unknown as Record<string, Unary>)[method].bind(this.client);
    return new Promise((resolve, reject) => {
      const metadata = new Metadata();
      if (this.adminToken !== undefined) metadata.set('authorization', `Bearer ${this.adminToken}`);
      unary(request, metadata, { deadline: new Date(Date.now() + this.timeoutMs) }, (err, response) => {
        if (!err) return resolve(response);
        const sent = err.metadata?.get(MESH_CODE_METADATA)[0];
        const code = CODE_OF_STATUS[err.code] && (typeof sent === 'string' ? sent : CODE_OF_STATUS[err.code]);
        reject(
          code
            ? new MainnetRejectedError(code, err.details)
            : new MainnetUnavailableError(`mainnet gRPC admin ${this.address} ${method}: ${err.details || GrpcStatus[err.code]}`, {
                grpcStatus: GrpcStatus[err.code],
              }),
        );
      });
    });
  }
}
