import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SPN_STATUSES, VM_KINDS } from '@mesh/mainnet';

// Response shapes for the OpenAPI document; the controllers return the libs/mainnet records.

export class ErrorDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ example: 'property foo should not exist' }) message!: string;
  @ApiPropertyOptional({ example: 'INVALID_INPUT', description: 'Mesh error code, when the error comes from the mainnet logic' })
  code?: string;
}

export class SpnRequirementsViewDto {
  @ApiProperty({ example: 0 }) minOperators!: number;
  @ApiProperty({ example: '0', description: 'decimal base units' }) minRestake!: string;
}

export class SpnDto {
  @ApiProperty({ example: 'spn-1' }) spnId!: string;
  @ApiProperty({ enum: VM_KINDS }) vmKind!: string;
  @ApiProperty({ example: 'dev' }) profile!: string;
  @ApiProperty({ example: 12 }) depth!: number;
  @ApiProperty({ example: 2, description: 'Updates per chunk proof (K)' }) chunkSize!: number;
  @ApiProperty({ description: 'Lowercase operator address' }) operator!: string;
  @ApiProperty() endpoint!: string;
  @ApiProperty({ enum: SPN_STATUSES, description: 'proposed until its requirements are met, then active; paused when they no longer are' })
  status!: string;
  @ApiProperty({ type: SpnRequirementsViewDto }) requirements!: SpnRequirementsViewDto;
  @ApiProperty({ description: 'keccak256 of the canonical JSON of the verification key' }) verificationKeyHash!: string;
  @ApiProperty({ description: 'Root of the empty tree of the profile depth (decimal)' }) genesisRoot!: string;
  @ApiProperty({ description: '0 before the first batch' }) lastBatchNo!: number;
  @ApiProperty({ description: 'Root after the last settled batch (decimal)' }) lastRoot!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'Last SPN block settled; null before the first batch' }) lastBlock!:
    number | null;
  @ApiProperty({ format: 'date-time' }) registeredAt!: string;
}

export class OperatorStakeDto {
  @ApiProperty() operator!: string;
  @ApiProperty({ description: 'decimal base units' }) restake!: string;
  @ApiProperty({ description: 'whether it counts toward the requirements' }) qualifies!: boolean;
}

export class SpnDetailsDto extends SpnDto {
  @ApiProperty({ type: 'object', additionalProperties: true }) verificationKey!: Record<string, unknown>;
  @ApiProperty({ type: [OperatorStakeDto], description: 'operators restaked on it, the largest first' }) operators!: OperatorStakeDto[];
}

export class StakingParamsDto {
  @ApiProperty({ example: 4242, description: 'chain id of the EIP-712 domain stake operations are signed in' }) chainId!: number;
  @ApiProperty({ description: 'how long unbonding stake waits before withdraw (ms)' }) unbondingMs!: number;
  @ApiProperty({ description: 'share of the slashable stake a proven fault burns (basis points)' }) slashBps!: number;
}

export class RestakeDto {
  @ApiProperty() spnId!: string;
  @ApiProperty({ description: 'decimal base units' }) amount!: string;
}

export class UnbondingEntryDto {
  @ApiProperty() id!: number;
  @ApiProperty({ description: 'decimal base units' }) amount!: string;
  @ApiProperty({ type: String, nullable: true, description: 'the SPN it was restaked on; slashable for it until withdrawn' }) spnId!:
    string | null;
  @ApiProperty({ format: 'date-time' }) readyAt!: string;
}

export class AccountDto {
  @ApiProperty() address!: string;
  @ApiProperty({ description: 'free mainnet balance (decimal base units)' }) balance!: string;
  @ApiProperty({ description: 'bonded stake not restaked' }) bonded!: string;
  @ApiProperty({ description: 'the nonce its next stake operation must carry' }) nonce!: number;
  @ApiProperty({ type: [RestakeDto] }) restakes!: RestakeDto[];
  @ApiProperty({ type: [UnbondingEntryDto] }) unbonding!: UnbondingEntryDto[];
}

export class SlashDto {
  @ApiProperty() id!: number;
  @ApiProperty() spnId!: string;
  @ApiProperty() operator!: string;
  @ApiProperty() batchNo!: number;
  @ApiProperty({ description: 'EIP-712 digest of the signed batch header used as evidence' }) headerDigest!: string;
  @ApiProperty({ type: [Number] }) failedChunks!: number[];
  @ApiProperty({ description: 'burned (decimal base units)' }) amount!: string;
  @ApiProperty({ format: 'date-time' }) slashedAt!: string;
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
  @ApiProperty({ description: 'Merkle root of the messages the batch sent (zero hash: none)' }) messagesRoot!: string;
  @ApiProperty({ description: 'keccak256 of the results of the messages the batch ran' }) resultsHash!: string;
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

export class CrossMessageDto {
  @ApiProperty() srcSpn!: string;
  @ApiProperty({ description: 'per source SPN: 1, 2, 3, ...' }) nonce!: number;
  @ApiProperty({ description: 'the plugin whose call sent it' }) srcPlugin!: string;
  @ApiProperty({ description: 'the tx that sent it' }) txHash!: string;
  @ApiProperty() dstSpn!: string;
  @ApiProperty() plugin!: string;
  @ApiProperty() method!: string;
  @ApiProperty({ type: [String] }) args!: string[];
}

export class MessageDto {
  @ApiProperty({ description: 'keccak256 of the message: its leaf in its batch and its id everywhere' }) traceId!: string;
  @ApiProperty({ description: 'the order the mainnet settled it in (list cursor)' }) seq!: number;
  @ApiProperty({ type: CrossMessageDto }) message!: CrossMessageDto;
  @ApiProperty({ enum: ['relaying', 'executed', 'failed'] }) status!: string;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: Boolean, nullable: true, description: 'for a failure: whether another attempt could get past it' })
  retryable!: boolean | null;
  @ApiProperty() srcBatchNo!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'the destination batch that settled its result' }) dstBatchNo!: number | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class MessagePageDto {
  @ApiProperty({ type: [MessageDto] }) items!: MessageDto[];
  @ApiProperty({ type: Number, nullable: true, description: 'pass as `before` for the next page; null on the last page' }) nextBefore!:
    number | null;
}
