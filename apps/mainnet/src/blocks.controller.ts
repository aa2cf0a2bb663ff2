import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { BlockRecord, BlockSummary, CursorPage, Mainnet } from '@mesh/mainnet';
import { BlockNumberParams, CursorPageQuery } from './dto/requests';
import { BlockDto, BlockPageDto, ErrorDto } from './dto/responses';
import { MAINNET } from './mainnet.tokens';

@ApiTags('ledger')
@ApiBadRequestResponse({ type: ErrorDto, description: 'malformed or unknown fields' })
@Controller('blocks')
export class BlocksController {
  constructor(@Inject(MAINNET) private readonly mainnet: Mainnet) {}

  @Get()
  @ApiOperation({ summary: 'Mainnet blocks, newest first' })
  @ApiOkResponse({ type: BlockPageDto })
  list(@Query() query: CursorPageQuery): Promise<CursorPage<BlockSummary>> {
    return this.mainnet.queries.listBlocks(query);
  }

  @Get(':n')
  @ApiOperation({ summary: 'One mainnet block with the events it finalized' })
  @ApiOkResponse({ type: BlockDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  get(@Param() params: BlockNumberParams): Promise<BlockRecord> {
    return this.mainnet.queries.getBlock(params.n);
  }
}
