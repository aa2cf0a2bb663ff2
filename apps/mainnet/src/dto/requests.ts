import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEthereumAddress, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { MAX_PAGE_SIZE, SPN_ID_PATTERN, VM_KINDS, type VmKind } from '@mesh/mainnet';

const SPN_ID_RULE = 'must be 1 to 32 characters a-z, 0-9 or -';

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
