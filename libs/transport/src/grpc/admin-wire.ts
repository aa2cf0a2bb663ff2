/**
 * The mainnet's gRPC admin API (proto/mesh/mainnet/v1/admin.proto): where its proto is, how it
 * is loaded (the same options on both sides), and the conversions between its messages and the
 * records libs/mainnet returns. Free-form documents travel as JSON text (`*Json` fields).
 */
import { join } from 'node:path';
import { Metadata, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { InvalidInputError, MeshError } from '@mesh/core';
import type {
  AccountRecord,
  BatchRecord,
  BatchSummary,
  BlockRecord,
  BlockSummary,
  CursorPage,
  LedgerEvent,
  OffsetPage,
  MessageRecord,
  RegisterSpnInput,
  SlashRecord,
  SpnDetails,
  SpnOperatorStake,
  SpnRecord,
  SpnRequirements,
} from '@mesh/mainnet';

/** The proto file (copied next to the compiled code by scripts/copy-assets.mjs). */
export const MAINNET_ADMIN_PROTO = join(__dirname, '..', '..', 'proto', 'mesh', 'mainnet', 'v1', 'admin.proto');
export const MAINNET_ADMIN_PACKAGE = 'mesh.mainnet.v1';
export const MAINNET_ADMIN_SERVICE = 'MainnetAdmin';
/** The gRPC admin port when MAINNET_GRPC_PORT is unset. */
export const DEFAULT_MAINNET_GRPC_PORT = 7071;

/**
 * @grpc/proto-loader options of both sides: camelCase fields, 64-bit integers as JS numbers
 * (every number here is below 2^53), proto3 defaults filled in, `optional` fields absent when unset.
 */
export const MAINNET_ADMIN_LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: false };

/** The gRPC admin server's TLS identity: PEM certificate chain and its private key. */
export interface GrpcServerTls {
  certChain: Buffer;
  privateKey: Buffer;
}

/**
 * Nest microservice options of the gRPC admin server (`app.connectMicroservice`), listening on
 * `url` (host:port); with `tls`, over TLS only. It also serves gRPC server reflection (v1 and
 * v1alpha), so tools such as grpcurl find the service without the proto file.
 */
export function mainnetAdminGrpcServerOptions(url: string, tls?: GrpcServerTls): { transport: Transport.GRPC } & GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      package: MAINNET_ADMIN_PACKAGE,
      protoPath: MAINNET_ADMIN_PROTO,
      url,
      loader: MAINNET_ADMIN_LOADER_OPTIONS,
      onLoadPackageDefinition: (definition, server) => new ReflectionService(definition).addToServer(server),
      ...(tls
        ? { credentials: ServerCredentials.createSsl(null, [{ cert_chain: tls.certChain, private_key: tls.privateKey }], false) }
        : {}),
    },
  };
}

// The messages as @grpc/proto-loader presents them (MAINNET_ADMIN_LOADER_OPTIONS).
export interface GrpcRegisterSpnRequest {
  spnId: string;
  vmKind: string;
  profile: string;
  verificationKeyJson: string;
  operator: string;
  endpoint: string;
  requirements?: SpnRequirements;
}
/** An SpnRecord on the wire: its enums as strings, `lastBlock` absent before the first batch. */
export interface GrpcSpn extends Omit<SpnRecord, 'vmKind' | 'status' | 'lastBlock'> {
  vmKind: string;
  status: string;
  lastBlock?: number;
}
export interface GrpcSpnDetails {
  spn: GrpcSpn;
  verificationKeyJson: string;
  operators: SpnOperatorStake[];
}
export interface GrpcStakeOperation {
  kind: string;
  operator: string;
  spnId: string;
  amount: string;
  nonce: number;
  signature: string;
}
export interface GrpcGetAccountRequest {
  address: string;
}
/** An AccountRecord on the wire: an unbonding entry's `spnId` absent when it has none. */
export interface GrpcAccount extends Omit<AccountRecord, 'unbonding'> {
  unbonding: { id: number; amount: string; spnId?: string; readyAt: string }[];
}
export interface GrpcEvidence {
  submissionJson: string;
}
export type GrpcSlash = SlashRecord;
export interface GrpcListSlashesRequest {
  spnId: string;
}
export interface GrpcSlashList {
  items: GrpcSlash[];
}
export interface GrpcGetMessageRequest {
  traceId: string;
}
/** A MessageRecord on the wire: error, retryable and dstBatchNo absent when null. */
export interface GrpcMessage extends Omit<MessageRecord, 'error' | 'retryable' | 'dstBatchNo'> {
  error?: string;
  retryable?: boolean;
  dstBatchNo?: number;
}
export interface GrpcListMessagesRequest {
  spnId: string;
  direction?: string;
  limit?: number;
  before?: number;
}
export interface GrpcMessagePage {
  items: GrpcMessage[];
  nextBefore?: number;
}
export interface GrpcListSpnsRequest {
  limit?: number;
  offset?: number;
}
export interface GrpcSpnPage {
  items: GrpcSpn[];
  nextOffset?: number;
}
export interface GrpcGetSpnRequest {
  spnId: string;
}
export interface GrpcListBatchesRequest {
  spnId: string;
  limit?: number;
  before?: number;
}
export interface GrpcBatchSummary extends Omit<BatchSummary, 'mainnetBlock'> {
  mainnetBlock?: number;
}
export interface GrpcBatchPage {
  items: GrpcBatchSummary[];
  nextBefore?: number;
}
export interface GrpcGetBatchRequest {
  spnId: string;
  batchNo: number;
}
export interface GrpcBatch {
  summary: GrpcBatchSummary;
  headerJson: string;
  signature: string;
  chunksJson: string;
  txDataJson: string;
}
export interface GrpcListBlocksRequest {
  limit?: number;
  before?: number;
}
export interface GrpcBlockPage {
  items: BlockSummary[];
  nextBefore?: number;
}
export interface GrpcGetBlockRequest {
  number: number;
}
export interface GrpcLedgerEvent {
  id: number;
  kind: string;
  spnId?: string;
  batchNo?: number;
  dataJson: string;
}
export interface GrpcBlock {
  summary: BlockSummary;
  events: GrpcLedgerEvent[];
}

/** null -> absent (an unset `optional` field). */
const present = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);
/** absent -> null. */
const orNull = <T>(value: T | undefined): T | null => value ?? null;

/** JSON text of a request field, parsed; InvalidInputError naming the field when it is not JSON. */
export function parseJsonField(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError(`${field} must be JSON text`);
  }
}

function parseJsonDocument(text: string, what: string): any {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the mainnet answered with ${what} that is not JSON`);
  }
}

export const toRegisterSpnInput = (req: GrpcRegisterSpnRequest): RegisterSpnInput => ({
  spnId: req.spnId,
  vmKind: req.vmKind as RegisterSpnInput['vmKind'],
  profile: req.profile,
  verificationKey: parseJsonField(req.verificationKeyJson, 'verification_key_json') as Record<string, unknown>,
  operator: req.operator,
  endpoint: req.endpoint,
  ...(req.requirements ? { requirements: req.requirements } : {}),
});

export const fromRegisterSpnInput = (input: RegisterSpnInput): GrpcRegisterSpnRequest => ({
  spnId: input.spnId,
  vmKind: input.vmKind,
  profile: input.profile,
  verificationKeyJson: JSON.stringify(input.verificationKey),
  operator: input.operator,
  endpoint: input.endpoint,
  ...(input.requirements ? { requirements: input.requirements } : {}),
});

export const toGrpcSpn = (spn: SpnRecord): GrpcSpn => ({ ...spn, lastBlock: present(spn.lastBlock) });
export const fromGrpcSpn = (spn: GrpcSpn): SpnRecord => ({
  ...spn,
  status: spn.status as SpnRecord['status'],
  vmKind: spn.vmKind as SpnRecord['vmKind'],
  lastBlock: orNull(spn.lastBlock),
});

export const toGrpcSpnDetails = ({ verificationKey, operators, ...spn }: SpnDetails): GrpcSpnDetails => ({
  spn: toGrpcSpn(spn),
  verificationKeyJson: JSON.stringify(verificationKey),
  operators,
});
export const fromGrpcSpnDetails = (d: GrpcSpnDetails): SpnDetails => ({
  ...fromGrpcSpn(d.spn),
  verificationKey: parseJsonDocument(d.verificationKeyJson, 'a verification key'),
  operators: d.operators ?? [],
});

export const toGrpcAccount = (a: AccountRecord): GrpcAccount => ({
  ...a,
  unbonding: a.unbonding.map((u) => ({ ...u, spnId: present(u.spnId) })),
});
export const fromGrpcAccount = (a: GrpcAccount): AccountRecord => ({
  ...a,
  restakes: a.restakes ?? [],
  unbonding: (a.unbonding ?? []).map((u) => ({ ...u, spnId: orNull(u.spnId) })),
});

/** The evidence's submission, parsed; InvalidInputError when it is not JSON. */
export const toEvidenceInput = (req: GrpcEvidence): unknown => parseJsonField(req.submissionJson, 'submission_json');
export const fromEvidenceInput = (submission: unknown): GrpcEvidence => ({ submissionJson: JSON.stringify(submission) });
export const fromGrpcSlash = (s: GrpcSlash): SlashRecord => ({ ...s, failedChunks: s.failedChunks ?? [] });

export const toGrpcMessage = (m: MessageRecord): GrpcMessage => ({
  ...m,
  error: present(m.error),
  retryable: present(m.retryable),
  dstBatchNo: present(m.dstBatchNo),
});
export const fromGrpcMessage = (m: GrpcMessage): MessageRecord => ({
  ...m,
  message: { ...m.message, args: m.message.args ?? [] },
  error: orNull(m.error),
  retryable: orNull(m.retryable),
  dstBatchNo: orNull(m.dstBatchNo),
});
export const toGrpcMessagePage = (page: CursorPage<MessageRecord>): GrpcMessagePage => ({
  items: page.items.map(toGrpcMessage),
  nextBefore: present(page.nextBefore),
});
export const fromGrpcMessagePage = (page: GrpcMessagePage): CursorPage<MessageRecord> => ({
  items: (page.items ?? []).map(fromGrpcMessage),
  nextBefore: orNull(page.nextBefore),
});

export const toGrpcSpnPage = (page: OffsetPage<SpnRecord>): GrpcSpnPage => ({
  items: page.items.map(toGrpcSpn),
  nextOffset: present(page.nextOffset),
});
export const fromGrpcSpnPage = (page: GrpcSpnPage): OffsetPage<SpnRecord> => ({
  items: (page.items ?? []).map(fromGrpcSpn),
  nextOffset: orNull(page.nextOffset),
});

export const toGrpcBatchSummary = (b: BatchSummary): GrpcBatchSummary => ({ ...b, mainnetBlock: present(b.mainnetBlock) });
export const fromGrpcBatchSummary = (b: GrpcBatchSummary): BatchSummary => ({ ...b, mainnetBlock: orNull(b.mainnetBlock) });

export const toGrpcBatchPage = (page: CursorPage<BatchSummary>): GrpcBatchPage => ({
  items: page.items.map(toGrpcBatchSummary),
  nextBefore: present(page.nextBefore),
});
export const fromGrpcBatchPage = (page: GrpcBatchPage): CursorPage<BatchSummary> => ({
  items: (page.items ?? []).map(fromGrpcBatchSummary),
  nextBefore: orNull(page.nextBefore),
});

export const toGrpcBatch = ({ header, signature, chunks, txData, ...summary }: BatchRecord): GrpcBatch => ({
  summary: toGrpcBatchSummary(summary),
  headerJson: JSON.stringify(header),
  signature,
  chunksJson: JSON.stringify(chunks),
  txDataJson: JSON.stringify(txData),
});
export const fromGrpcBatch = (b: GrpcBatch): BatchRecord => ({
  ...fromGrpcBatchSummary(b.summary),
  header: parseJsonDocument(b.headerJson, 'a batch header'),
  signature: b.signature,
  chunks: parseJsonDocument(b.chunksJson, 'batch chunks'),
  txData: parseJsonDocument(b.txDataJson, 'batch tx data'),
});

export const toGrpcBlockPage = (page: CursorPage<BlockSummary>): GrpcBlockPage => ({
  items: page.items,
  nextBefore: present(page.nextBefore),
});
export const fromGrpcBlockPage = (page: GrpcBlockPage): CursorPage<BlockSummary> => ({
  items: page.items ?? [],
  nextBefore: orNull(page.nextBefore),
});

const toGrpcEvent = (e: LedgerEvent): GrpcLedgerEvent => ({
  id: e.id,
  kind: e.kind,
  spnId: present(e.spnId),
  batchNo: present(e.batchNo),
  dataJson: JSON.stringify(e.data),
});
const fromGrpcEvent = (e: GrpcLedgerEvent): LedgerEvent => ({
  id: e.id,
  kind: e.kind as LedgerEvent['kind'],
  spnId: orNull(e.spnId),
  batchNo: orNull(e.batchNo),
  data: parseJsonDocument(e.dataJson, 'event data'),
});

export const toGrpcBlock = ({ events, ...summary }: BlockRecord): GrpcBlock => ({ summary, events: events.map(toGrpcEvent) });
export const fromGrpcBlock = (b: GrpcBlock): BlockRecord => ({ ...b.summary, events: (b.events ?? []).map(fromGrpcEvent) });

/** gRPC status of each MeshError code; anything else is INTERNAL. */
export const GRPC_STATUS_OF_CODE: Record<string, GrpcStatus> = {
  INVALID_INPUT: GrpcStatus.INVALID_ARGUMENT,
  UNAUTHORIZED: GrpcStatus.UNAUTHENTICATED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  SPN_CONFLICT: GrpcStatus.ALREADY_EXISTS,
  SETTLEMENT_REJECTED: GrpcStatus.FAILED_PRECONDITION,
  STAKING_REJECTED: GrpcStatus.FAILED_PRECONDITION,
  EVIDENCE_REJECTED: GrpcStatus.FAILED_PRECONDITION,
  SPN_NOT_ACTIVE: GrpcStatus.FAILED_PRECONDITION,
  DATABASE: GrpcStatus.UNAVAILABLE,
};

/** Trailing metadata key of the MeshError code behind a refusal (several codes share FAILED_PRECONDITION). */
export const MESH_CODE_METADATA = 'mesh-code';

/** Server side: the gRPC error (status code, reason, and the MeshError code as metadata) for an error a handler threw. */
export function toGrpcError(err: unknown): { code: GrpcStatus; message: string; metadata?: Metadata } {
  if (err instanceof MeshError) {
    const metadata = new Metadata();
    metadata.set(MESH_CODE_METADATA, err.code);
    return { code: GRPC_STATUS_OF_CODE[err.code] ?? GrpcStatus.INTERNAL, message: err.message, metadata };
  }
  return { code: GrpcStatus.INTERNAL, message: `internal mainnet error: ${(err as Error)?.message ?? String(err)}` };
}
