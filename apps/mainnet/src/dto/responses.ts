import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { VM_KINDS } from '@mesh/mainnet';

// Response shapes for the OpenAPI document; the controllers return the libs/mainnet records.

export class ErrorDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ example: 'property foo should not exist' }) message!: string;
  @ApiPropertyOptional({ example: 'INVALID_INPUT', description: 'Mesh error code, when the error comes from the mainnet logic' })
  code?: string;
}

export class SpnDto {
  @ApiProperty({ example: 'spn-1' }) spnId!: string;
  @ApiProperty({ enum: VM_KINDS }) vmKind!: string;
  @ApiProperty({ example: 'dev' }) profile!: string;
  @ApiProperty({ example: 12 }) depth!: number;
  @ApiProperty({ example: 2, description: 'Updates per chunk proof (K)' }) chunkSize!: number;
  @ApiProperty({ description: 'Lowercase operator address' }) operator!: string;
  @ApiProperty() endpoint!: string;
  @ApiProperty({ enum: ['active'] }) status!: string;
  @ApiProperty({ description: 'keccak256 of the canonical JSON of the verification key' }) verificationKeyHash!: string;
  @ApiProperty({ description: 'Root of the empty tree of the profile depth (decimal)' }) genesisRoot!: string;
  @ApiProperty({ description: '0 before the first batch' }) lastBatchNo!: number;
  @ApiProperty({ description: 'Root after the last settled batch (decimal)' }) lastRoot!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'Last SPN block settled; null before the first batch' }) lastBlock!:
    number | null;
  @ApiProperty({ format: 'date-time' }) registeredAt!: string;
}

export class SpnDetailsDto extends SpnDto {
  @ApiProperty({ type: 'object', additionalProperties: true }) verificationKey!: Record<string, unknown>;
}

export class SpnPageDto {
  @ApiProperty({ type: [SpnDto] }) items!: SpnDto[];
  @ApiProperty({ type: Number, nullable: true, description: 'offset of the next page; null on the last page' }) nextOffset!: number | null;
}

export class BatchSummaryDto {
  @ApiProperty() spnId!: string;
  @ApiProperty() batchNo!: number;
  @ApiProperty({ description: 'decimal' }) preRoot!: string;
  @ApiProperty({ description: 'decimal' }) postRoot!: string;
  @ApiProperty() firstBlock!: number;
  @ApiProperty() lastBlock!: number;
  @ApiProperty() chunksHash!: string;
  @ApiProperty() txDataHash!: string;
  @ApiProperty() chunkCount!: number;
  @ApiProperty() updateCount!: number;
  @ApiProperty() txCount!: number;
  @ApiProperty({ format: 'date-time' }) settledAt!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'mainnet block that finalized it; null until it is sealed' }) mainnetBlock!:
    number | null;
}

export class BatchPageDto {
  @ApiProperty({ type: [BatchSummaryDto] }) items!: BatchSummaryDto[];
  @ApiProperty({ type: Number, nullable: true, description: 'pass as `before` for the next page; null on the last page' }) nextBefore!:
    number | null;
}

export class BatchHeaderDto {
  @ApiProperty() spnId!: string;
  @ApiProperty() batchNo!: number;
  @ApiProperty() preRoot!: string;
  @ApiProperty() postRoot!: string;
  @ApiProperty() firstBlock!: number;
  @ApiProperty() lastBlock!: number;
  @ApiProperty() chunksHash!: string;
  @ApiProperty() txDataHash!: string;
}

export class DiffUpdateDto {
  @ApiProperty() index!: number;
  @ApiProperty() key!: string;
  @ApiProperty() oldValue!: string;
  @ApiProperty() newValue!: string;
}

export class ChunkStatementDto {
  @ApiProperty() oldRoot!: string;
  @ApiProperty() newRoot!: string;
  @ApiProperty() diffHash!: string;
  @ApiProperty() chunkIndex!: number;
}

export class SettlementChunkDto {
  @ApiProperty({ type: ChunkStatementDto }) statement!: ChunkStatementDto;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Groth16 proof as snarkjs makes it' }) proof!: Record<
    string,
    unknown
  >;
  @ApiProperty({ type: [DiffUpdateDto] }) updates!: DiffUpdateDto[];
}

export class BatchDto extends BatchSummaryDto {
  @ApiProperty({ type: BatchHeaderDto }) header!: BatchHeaderDto;
  @ApiProperty({ description: "operator's EIP-712 signature of the header" }) signature!: string;
  @ApiProperty({ type: [SettlementChunkDto] }) chunks!: SettlementChunkDto[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: "the batch's transactions" })
  txData!: unknown[];
}

export class LedgerEventDto {
  @ApiProperty() id!: number;
  @ApiProperty({ enum: ['spn_registered', 'batch_settled'] }) kind!: string;
  @ApiProperty({ type: String, nullable: true }) spnId!: string | null;
  @ApiProperty({ type: Number, nullable: true }) batchNo!: number | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
}

export class BlockSummaryDto {
  @ApiProperty() number!: number;
  @ApiProperty({ description: '0x00..00 for block 0' }) parentHash!: string;
  @ApiProperty({ description: 'keccak256 of the canonical JSON of {number, parentHash, timestamp, events}' }) hash!: string;
  @ApiProperty({ description: 'milliseconds since the epoch' }) timestamp!: number;
  @ApiProperty() eventCount!: number;
}

export class BlockDto extends BlockSummaryDto {
  @ApiProperty({ type: [LedgerEventDto] }) events!: LedgerEventDto[];
}

export class BlockPageDto {
  @ApiProperty({ type: [BlockSummaryDto] }) items!: BlockSummaryDto[];
  @ApiProperty({ type: Number, nullable: true, description: 'pass as `before` for the next page; null on the last page' }) nextBefore!:
    number | null;
}
