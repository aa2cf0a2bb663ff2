import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CursorPage, Mainnet, MessageRecord } from '@mesh/mainnet';
import { MessagePageQuery, SpnIdParams, TraceIdParams } from './dto/requests';
import { ErrorDto, MessageDto, MessagePageDto } from './dto/responses';
import { MAINNET } from './mainnet.tokens';

/** Cross-SPN messages (libs/mainnet `MessageRelay`): each one's state by trace id, and an SPN's sent and received ones. */
@ApiTags('messages')
@ApiBadRequestResponse({ type: ErrorDto, description: 'malformed trace id, SPN id or page' })
@Controller()
export class CrossMessagesController {
  constructor(@Inject(MAINNET) private readonly mainnet: Mainnet) {}

  @Get('messages/:traceId')
  @ApiOperation({ summary: 'A settled message and its state: relaying, executed or failed (with the reason)' })
  @ApiOkResponse({ type: MessageDto })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'no settled message has this trace id (its source batch may not have settled yet)' })
  get(@Param() params: TraceIdParams): Promise<MessageRecord> {
    return this.mainnet.messages.get(params.traceId);
  }

  @Get('spns/:id/messages')
  @ApiOperation({ summary: 'Messages the SPN sent (direction=out, default) or was sent (direction=in), newest first' })
  @ApiOkResponse({ type: MessagePageDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async list(@Param() params: SpnIdParams, @Query() query: MessagePageQuery): Promise<CursorPage<MessageRecord>> {
    await this.mainnet.queries.getSpn(params.id);
    return this.mainnet.messages.list(params.id, query.direction ?? 'out', { limit: query.limit, before: query.before });
  }
}
