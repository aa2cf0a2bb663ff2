import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsEthereumAddress,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { STAKE_OPERATION_KINDS, type StakeOperationKind } from '@mesh/core';
import { MAX_MIN_OPERATORS, MAX_PAGE_SIZE, SPN_ID_PATTERN, VM_KINDS, type VmKind } from '@mesh/mainnet';

const SPN_ID_RULE = 'must be 1 to 32 characters a-z, 0-9 or -';
const AMOUNT = /^[0-9]{1,78}$/;
const AMOUNT_RULE = 'must be a decimal string of base units';

export class SpnRequirementsDto {
  @ApiProperty({ minimum: 0, maximum: MAX_MIN_OPERATORS, description: 'Operators with a qualifying restake the SPN needs to be active' })
  @IsInt({ message: `minOperators must be an integer from 0 to ${MAX_MIN_OPERATORS}` })
  @Min(0, { message: `minOperators must be an integer from 0 to ${MAX_MIN_OPERATORS}` })
  @Max(MAX_MIN_OPERATORS, { message: `minOperators must be an integer from 0 to ${MAX_MIN_OPERATORS}` })
  minOperators!: number;

  @ApiPropertyOptional({ example: '1000', default: '0', description: 'Restake (base units, decimal) each of them needs at least' })
  @IsOptional()
  @Matches(AMOUNT, { message: `minRestake ${AMOUNT_RULE}` })
  minRestake?: string;
}

export class RegisterSpnDto {
  @ApiProperty({ example: 'spn-1', pattern: SPN_ID_PATTERN.source })
  @Matches(SPN_ID_PATTERN, { message: `spnId ${SPN_ID_RULE}` })
  spnId!: string;

  @ApiProperty({ enum: VM_KINDS })
  @IsIn(VM_KINDS, { message: `vmKind must be one of ${VM_KINDS.join(', ')}` })
  vmKind!: VmKind;

  @ApiProperty({ example: 'dev', description: 'A circuit profile of circuits/circuits.json' })
  @IsString()
  @IsNotEmpty()
  profile!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "The profile's Groth16 verification key as snarkjs exports it (protocol groth16, curve bn128, nPublic 4)",
  })
  @IsObject()
  verificationKey!: Record<string, unknown>;

  @ApiProperty({ example: '0x5e1ec7ed00000000000000000000000000000001', description: 'Address of the key that signs the batch headers' })
  @IsEthereumAddress({ message: 'operator must be a 0x-prefixed 20-byte hex address' })
  operator!: string;

  @ApiProperty({ example: 'http://127.0.0.1:8081' })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'endpoint must be an http(s) URL' })
  endpoint!: string;

  @ApiPropertyOptional({
    type: SpnRequirementsDto,
    description: 'What the SPN needs to be active; without it (or with minOperators 0) it is active at once',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => SpnRequirementsDto)
  requirements?: SpnRequirementsDto;
}

export class StakeOperationDto {
  @ApiProperty({ enum: STAKE_OPERATION_KINDS })
  @IsIn(STAKE_OPERATION_KINDS, { message: `kind must be one of ${STAKE_OPERATION_KINDS.join(', ')}` })
  kind!: StakeOperationKind;

  @ApiProperty({ description: 'The account whose stake moves; it signs the operation' })
  @IsEthereumAddress({ message: 'operator must be a 0x-prefixed 20-byte hex address' })
  operator!: string;

  @ApiPropertyOptional({ default: '', description: 'The SPN of restake and unrestake; "" (or absent) otherwise' })
  @IsOptional()
  @IsString()
  spnId?: string;

  @ApiProperty({ example: '1000', description: 'Base units, decimal; "0" for withdraw' })
  @Matches(AMOUNT, { message: `amount ${AMOUNT_RULE}` })
  amount!: string;

  @ApiProperty({ minimum: 0, description: "The account's next nonce (GET /accounts/:address)" })
  @IsInt({ message: 'nonce must be a non-negative integer' })
  @Min(0, { message: 'nonce must be a non-negative integer' })
  nonce!: number;

  @ApiProperty({ description: 'EIP-712 signature of StakeOperation(kind, operator, spnId, amount, nonce) in the mainnet domain' })
  @Matches(/^0x[0-9a-fA-F]{130}$/, { message: 'signature must be a 0x-prefixed 65-byte hex signature' })
  signature!: string;
}

/** A batch as an SPN operator signed it: the same shape as a settlement submission. */
export class EvidenceDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The signed batch header' })
  @IsObject()
  header!: Record<string, unknown>;

  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'The chunks the header covers (statements, proofs, updates)' })
  @IsArray()
  chunks!: unknown[];

  @ApiProperty({ type: 'array', items: { type: 'object' } })
  @IsArray()
  txData!: unknown[];

  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'The messages the batch sent (their root is header.messagesRoot)' })
  @IsArray()
  messages!: unknown[];

  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'The results of messages the batch ran (header.resultsHash)' })
  @IsArray()
  results!: unknown[];

  @ApiProperty({ description: "The operator's EIP-712 signature of the header" })
  @IsString()
  signature!: string;
}

export class AddressParams {
  @ApiProperty({ example: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266' })
  @IsEthereumAddress({ message: 'address must be a 0x-prefixed 20-byte hex address' })
  address!: string;
}

export class OffsetPageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Items to skip (the previous page’s nextOffset)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;
}

export class CursorPageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, description: 'Only items numbered below this (the previous page’s nextBefore)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  before?: number;
}

export class TraceIdParams {
  @ApiProperty({ example: '0x' + 'ab'.repeat(32), description: 'keccak256 of the message (its leaf in its batch)' })
  @Matches(/^0x[0-9a-fA-F]{64}$/, { message: 'traceId must be 0x and 64 hex digits' })
  traceId!: string;
}

export class MessagePageQuery extends CursorPageQuery {
  @ApiPropertyOptional({ enum: ['out', 'in'], default: 'out', description: 'messages the SPN sent (out) or was sent (in)' })
  @IsOptional()
  @IsIn(['out', 'in'], { message: 'direction must be "out" or "in"' })
  direction?: 'out' | 'in';
}

export class SpnIdParams {
  @ApiProperty({ pattern: SPN_ID_PATTERN.source })
  @Matches(SPN_ID_PATTERN, { message: `id ${SPN_ID_RULE}` })
  id!: string;
}

export class SpnBatchParams extends SpnIdParams {
  @ApiProperty({ minimum: 1 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  n!: number;
}

export class BlockNumberParams {
  @ApiProperty({ minimum: 0 })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  n!: number;
}
