import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { AccountRecord, Mainnet, SlashRecord, StakingParams } from '@mesh/mainnet';
import { AddressParams, EvidenceDto, StakeOperationDto } from './dto/requests';
import { AccountDto, ErrorDto, SlashDto, StakingParamsDto } from './dto/responses';
import { MAINNET } from './mainnet.tokens';

/** Stake and slashing (libs/mainnet `Staking`): signed stake operations, accounts, evidence of faults. */
@ApiTags('staking')
@ApiBadRequestResponse({ type: ErrorDto, description: 'malformed or unknown fields' })
@Controller()
export class StakingController {
  constructor(@Inject(MAINNET) private readonly mainnet: Mainnet) {}

  @Get('staking')
  @ApiOperation({ summary: 'The staking rules: chain id of the signing domain, unbonding delay, slash share' })
  @ApiOkResponse({ type: StakingParamsDto })
  params(): StakingParams {
    return this.mainnet.staking.params();
  }

  @Post('staking/operations')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Apply a signed stake operation (bond, unbond, restake, unrestake, withdraw); answers with the account after it',
  })
  @ApiOkResponse({ type: AccountDto })
  @ApiUnprocessableEntityResponse({ type: ErrorDto, description: 'refused (signature, nonce, funds, SPN, nothing ready); nothing changed' })
  operate(@Body() body: StakeOperationDto): Promise<AccountRecord> {
    return this.mainnet.staking.submit({ ...body });
  }

  @Get('accounts/:address')
  @ApiOperation({ summary: "An account's balance, bonded stake, restakes, unbonding entries and next nonce" })
  @ApiOkResponse({ type: AccountDto })
  account(@Param() params: AddressParams): Promise<AccountRecord> {
    return this.mainnet.staking.account(params.address);
  }

  @Post('slashes')
  @ApiOperation({
    summary:
      "Evidence of a fault: a batch signed by an SPN's operator whose proof does not verify. Slashes the operator's stake on the SPN",
  })
  @ApiOkResponse({ type: SlashDto })
  @ApiUnprocessableEntityResponse({ type: ErrorDto, description: 'no fault proven, or this signed header was already used' })
  slash(@Body() body: EvidenceDto): Promise<SlashRecord> {
    return this.mainnet.staking.slash({ ...body });
  }
}
