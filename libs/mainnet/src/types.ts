import type { BatchHeader, SettlementChunkJson } from '@mesh/core';

export const VM_KINDS = ['wasm', 'evm'] as const;
export type VmKind = (typeof VM_KINDS)[number];

/** Ids of SPNs: they key rows, signing domains and local files. */
export const SPN_ID_PATTERN = /^[a-z0-9-]{1,32}$/;

export type SpnStatus = 'active';

/** What an operator supplies to register an SPN. The genesis root is computed by the mainnet. */
export interface RegisterSpnInput {
  spnId: string;
  vmKind: VmKind;
  /** A profile name from circuits/circuits.json. */
  profile: string;
  /** The profile's Groth16 verification key as snarkjs exports it (nPublic 4). */
  verificationKey: Record<string, unknown>;
  /** The operator's address; it signs the SPN's batch headers. */
  operator: string;
  /** The SPN node's http(s) base URL. */
  endpoint: string;
}

/** A registered SPN and its settlement position (field elements as decimal strings). */
export interface SpnRecord {
  spnId: string;
  vmKind: VmKind;
  profile: string;
  /** Tree depth and chunk size (K) of the profile. */
  depth: number;
  chunkSize: number;
  operator: string;
  endpoint: string;
  status: SpnStatus;
  /** keccak256 of the canonical JSON of the verification key. */
  verificationKeyHash: string;
  /** Root of the empty tree of the profile's depth. */
  genesisRoot: string;
  /** 0 before the first batch. */
  lastBatchNo: number;
  /** Root after the last settled batch (the genesis root before the first). */
  lastRoot: string;
  /** Last SPN block of the last settled batch; null before the first batch. */
  lastBlock: number | null;
  registeredAt: string;
}

export interface SpnDetails extends SpnRecord {
  verificationKey: Record<string, unknown>;
}

/** Answer to an accepted submission; `duplicate` is true when the batch had already settled. */
export interface SubmitResult {
  accepted: true;
  duplicate: boolean;
  batchNo: number;
  postRoot: string;
}

export interface BatchSummary {
  spnId: string;
  batchNo: number;
  preRoot: string;
  postRoot: string;
  firstBlock: number;
  lastBlock: number;
  chunksHash: string;
  txDataHash: string;
  chunkCount: number;
  updateCount: number;
  txCount: number;
  settledAt: string;
  /** Number of the mainnet block that finalized it; null until the next block is sealed. */
  mainnetBlock: number | null;
}

/** A settled batch with everything it was settled with (data availability). */
export interface BatchRecord extends BatchSummary {
  header: BatchHeader;
  signature: string;
  chunks: SettlementChunkJson[];
  txData: unknown[];
}

export type LedgerEventKind = 'spn_registered' | 'batch_settled';

export interface LedgerEvent {
  id: number;
  kind: LedgerEventKind;
  spnId: string | null;
  batchNo: number | null;
  data: Record<string, unknown>;
}

export interface BlockSummary {
  number: number;
  parentHash: string;
  hash: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  eventCount: number;
}

export interface BlockRecord extends BlockSummary {
  events: LedgerEvent[];
}

export interface OffsetPage<T> {
  items: T[];
  /** Offset of the next page; null on the last page. */
  nextOffset: number | null;
}

export interface CursorPage<T> {
  items: T[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: number | null;
}

/** Minimal SQL surface: a TypeORM DataSource, EntityManager or QueryRunner. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<any>;
}
