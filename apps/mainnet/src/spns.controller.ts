import { Body, Controller, Get, Headers, Inject, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { BatchRecord, BatchSummary, CursorPage, Mainnet, OffsetPage, SlashRecord, SpnDetails, SpnRecord } from '@mesh/mainnet';
import { CursorPageQuery, OffsetPageQuery, RegisterSpnDto, SpnBatchParams, SpnIdParams } from './dto/requests';
import { BatchDto, BatchPageDto, ErrorDto, SlashDto, SpnDetailsDto, SpnDto, SpnPageDto } from './dto/responses';
import { checkAdminToken } from './admin-token';
import type { MainnetConfig } from './mainnet-config';
import { MAINNET, MAINNET_CONFIG } from './mainnet.tokens';

@ApiTags('spns')
@ApiBadRequestResponse({ type: ErrorDto, description: 'malformed or unknown fields' })
@Controller('spns')
export class SpnsController {
  constructor(
    @Inject(MAINNET) private readonly mainnet: Mainnet,
    @Inject(MAINNET_CONFIG) private readonly config: MainnetConfig,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Register an SPN (idempotent for identical fields); the mainnet computes its genesis root' })
  @ApiCreatedResponse({ type: SpnDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'the id is registered with other fields' })
  @ApiBearerAuth()
  @ApiUnauthorizedResponse({ type: ErrorDto, description: 'MAINNET_ADMIN_TOKEN is set and the request lacks `Authorization: Bearer <it>`' })
  register(@Body() body: RegisterSpnDto, @Headers('authorization') authorization?: string): Promise<SpnRecord> {
    checkAdminToken(this.config.adminToken, authorization);
    return this.mainnet.registry.register({ ...body });
  }

  @Get()
  @ApiOperation({ summary: 'Registered SPNs, most recent first' })
  @ApiOkResponse({ type: SpnPageDto })
  list(@Query() query: OffsetPageQuery): Promise<OffsetPage<SpnRecord>> {
    return this.mainnet.queries.listSpns(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One SPN with its verification key, settlement position, requirements and restaked operators' })
  @ApiOkResponse({ type: SpnDetailsDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  get(@Param() params: SpnIdParams): Promise<SpnDetails> {
    return this.mainnet.queries.getSpn(params.id);
  }

  @Get(':id/batches')
  @ApiOperation({ summary: "The SPN's settled batches, newest first (summaries)" })
  @ApiOkResponse({ type: BatchPageDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  batches(@Param() params: SpnIdParams, @Query() query: CursorPageQuery): Promise<CursorPage<BatchSummary>> {
    return this.mainnet.queries.listBatches(params.id, query);
  }

  @Get(':id/batches/:n')
  @ApiOperation({ summary: 'One settled batch: header, signature, chunks with proofs and updates, tx data' })
  @ApiOkResponse({ type: BatchDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  batch(@Param() params: SpnBatchParams): Promise<BatchRecord> {
    return this.mainnet.queries.getBatch(params.id, params.n);
  }

  @Get(':id/slashes')
  @ApiOperation({ summary: 'Faults proven against the SPN operator, newest first' })
  @ApiOkResponse({ type: [SlashDto] })
  @ApiNotFoundResponse({ type: ErrorDto })
  async slashes(@Param() params: SpnIdParams): Promise<SlashRecord[]> {
    await this.mainnet.queries.getSpn(params.id);
    return this.mainnet.staking.slashesOf(params.id);
  }
}
