import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject, Logger } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { MeshError } from '@mesh/core';
import type { Mainnet } from '@mesh/mainnet';
import {
  MAINNET_ADMIN_SERVICE,
  toGrpcBatch,
  toGrpcBatchPage,
  toGrpcBlock,
  toGrpcBlockPage,
  toGrpcError,
  toGrpcSpn,
  toGrpcSpnDetails,
  toGrpcSpnPage,
  toEvidenceInput,
  toGrpcAccount,
  toRegisterSpnInput,
  type GrpcEvidence,
  type GrpcGetAccountRequest,
  type GrpcGetBatchRequest,
  type GrpcListSlashesRequest,
  type GrpcGetMessageRequest,
  type GrpcListMessagesRequest,
  toGrpcMessage,
  toGrpcMessagePage,
  type GrpcStakeOperation,
  type GrpcGetBlockRequest,
  type GrpcGetSpnRequest,
  type GrpcListBatchesRequest,
  type GrpcListBlocksRequest,
  type GrpcListSpnsRequest,
  type GrpcRegisterSpnRequest,
} from '@mesh/transport';
import { checkAdminToken } from './admin-token';
import type { MainnetConfig } from './mainnet-config';
import { MAINNET, MAINNET_CONFIG } from './mainnet.tokens';

/**
 * The gRPC admin API (libs/transport proto/mesh/mainnet/v1/admin.proto): the REST admin API's
 * operations over the same libs/mainnet registry, staking and queries, which check every input. Errors
 * go back as gRPC status codes (libs/transport toGrpcError).
 */
@Controller()
export class MainnetAdminGrpcController {
  private readonly logger = new Logger('MainnetAdminGrpc');

  constructor(
    @Inject(MAINNET) private readonly mainnet: Mainnet,
    @Inject(MAINNET_CONFIG) private readonly config: MainnetConfig,
  ) {}

  /** With MAINNET_ADMIN_TOKEN set, needs `authorization: Bearer <token>` metadata. */
  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'RegisterSpn')
  registerSpn(req: GrpcRegisterSpnRequest, metadata: Metadata) {
    return this.answer('RegisterSpn', async () => {
      const authorization = metadata?.get('authorization')[0];
      checkAdminToken(this.config.adminToken, typeof authorization === 'string' ? authorization : undefined);
      return toGrpcSpn(await this.mainnet.registry.register(toRegisterSpnInput(req)));
    });
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'ListSpns')
  listSpns(req: GrpcListSpnsRequest) {
    return this.answer('ListSpns', async () =>
      toGrpcSpnPage(await this.mainnet.queries.listSpns({ limit: req.limit, offset: req.offset })),
    );
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'GetSpn')
  getSpn(req: GrpcGetSpnRequest) {
    return this.answer('GetSpn', async () => toGrpcSpnDetails(await this.mainnet.queries.getSpn(req.spnId)));
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'ListBatches')
  listBatches(req: GrpcListBatchesRequest) {
    return this.answer('ListBatches', async () =>
      toGrpcBatchPage(await this.mainnet.queries.listBatches(req.spnId, { limit: req.limit, before: req.before })),
    );
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'GetBatch')
  getBatch(req: GrpcGetBatchRequest) {
    return this.answer('GetBatch', async () => toGrpcBatch(await this.mainnet.queries.getBatch(req.spnId, req.batchNo)));
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'ListBlocks')
  listBlocks(req: GrpcListBlocksRequest) {
    return this.answer('ListBlocks', async () =>
      toGrpcBlockPage(await this.mainnet.queries.listBlocks({ limit: req.limit, before: req.before })),
    );
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'GetBlock')
  getBlock(req: GrpcGetBlockRequest) {
    return this.answer('GetBlock', async () => toGrpcBlock(await this.mainnet.queries.getBlock(req.number)));
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'GetStakingParams')
  getStakingParams() {
    return this.answer('GetStakingParams', async () => this.mainnet.staking.params());
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'SubmitStakeOperation')
  submitStakeOperation(req: GrpcStakeOperation) {
    return this.answer('SubmitStakeOperation', async () => toGrpcAccount(await this.mainnet.staking.submit({ ...req })));
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'GetAccount')
  getAccount(req: GrpcGetAccountRequest) {
    return this.answer('GetAccount', async () => toGrpcAccount(await this.mainnet.staking.account(req.address)));
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'SubmitEvidence')
  submitEvidence(req: GrpcEvidence) {
    return this.answer('SubmitEvidence', () => this.mainnet.staking.slash(toEvidenceInput(req)));
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'ListSlashes')
  listSlashes(req: GrpcListSlashesRequest) {
    return this.answer('ListSlashes', async () => {
      await this.mainnet.queries.getSpn(req.spnId);
      return { items: await this.mainnet.staking.slashesOf(req.spnId) };
    });
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'GetMessage')
  getMessage(req: GrpcGetMessageRequest) {
    return this.answer('GetMessage', async () => toGrpcMessage(await this.mainnet.messages.get(req.traceId)));
  }

  @GrpcMethod(MAINNET_ADMIN_SERVICE, 'ListMessages')
  listMessages(req: GrpcListMessagesRequest) {
    return this.answer('ListMessages', async () => {
      await this.mainnet.queries.getSpn(req.spnId);
      const direction = (req.direction ?? 'out') as 'out' | 'in';
      return toGrpcMessagePage(await this.mainnet.messages.list(req.spnId, direction, { limit: req.limit, before: req.before }));
    });
  }

  private async answer<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof MeshError) || err.code === 'DATABASE')
        this.logger.error(`${method} failed: ${(err as Error)?.stack ?? String(err)}`);
      throw new RpcException(toGrpcError(err));
    }
  }
}
