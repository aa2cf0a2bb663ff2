import type { BatchHeader, CrossMessage, SettlementChunkJson } from '@mesh/core';

export const VM_KINDS = ['wasm', 'evm'] as const;
export type VmKind = (typeof VM_KINDS)[number];

/** Ids of SPNs: they key rows, signing domains and local files (defined in libs/core: messages name them too). */
export { SPN_ID_PATTERN } from '@mesh/core';

/**
 * `proposed`: registered, its requirements not met yet; `active`: they are met, batches settle;
 * `paused`: they were met and no longer are (batches wait until they are again).
 */
export const SPN_STATUSES = ['proposed', 'active', 'paused'] as const;
export type SpnStatus = (typeof SPN_STATUSES)[number];

/**
 * What an SPN needs before it is active: at least `minOperators` operators with at least
 * `minRestake` (base units, decimal) restaked on it each, its own operator among them. With
 * `minOperators` 0 (the default) the SPN is active from its registration and needs no stake.
 */
export interface SpnRequirements {
  minOperators: number;
  minRestake: string;
}

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
  /** Default: no requirements (`minOperators` 0), active at once. */
  requirements?: SpnRequirements;
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
  requirements: SpnRequirements;
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
  /** Operators with restake on the SPN, the largest first. */
  operators: SpnOperatorStake[];
}

export interface SpnOperatorStake {
  operator: string;
  /** Decimal base units. */
  restake: string;
  /** Whether this restake counts toward the SPN's requirements (at least `minRestake`, above 0). */
  qualifies: boolean;
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

export type LedgerEventKind =
  'genesis_balances' | 'spn_registered' | 'spn_status_changed' | 'batch_settled' | 'stake_operation' | 'operator_slashed';

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

/** The staking rules of a mainnet (GET /staking). */
export interface StakingParams {
  /** Chain id of the mainnet's signing domain (stake operations, batch headers). */
  chainId: number;
  /** How long unbonding stake waits before `withdraw` takes it. */
  unbondingMs: number;
  /** Share of the slashable stake a proven fault burns, in basis points. */
  slashBps: number;
}

/** An account on the mainnet: its balance and stake (decimal base units). */
export interface AccountRecord {
  address: string;
  /** Free mainnet balance. */
  balance: string;
  /** Bonded stake not restaked on any SPN. */
  bonded: string;
  /** The nonce the account's next stake operation must carry. */
  nonce: number;
  restakes: { spnId: string; amount: string }[];
  unbonding: UnbondingEntry[];
}

export interface UnbondingEntry {
  id: number;
  amount: string;
  /** The SPN it was restaked on (slashable for that SPN until withdrawn); null when unbonded from bonded stake. */
  spnId: string | null;
  /** When `withdraw` may take it (ISO time). */
  readyAt: string;
}

/** A fault proven against an operator and what it cost. */
export interface SlashRecord {
  id: number;
  spnId: string;
  operator: string;
  batchNo: number;
  /** EIP-712 digest of the signed batch header that was the evidence. */
  headerDigest: string;
  /** Chunks whose proof did not verify. */
  failedChunks: number[];
  /** Decimal base units taken (burned): restake first, then unbonding entries from the SPN. */
  amount: string;
  slashedAt: string;
}

/** Minimal SQL surface: a TypeORM DataSource, EntityManager or QueryRunner. */
/** `relaying`: settled at its source, waiting for its destination's result; then `executed` or `failed`. */
export type MessageStatus = 'relaying' | 'executed' | 'failed';

/** A settled cross-SPN message and what became of it (`GET /messages/:traceId`). */
export interface MessageRecord {
  traceId: string;
  /** Order in which the mainnet settled it (the cursor of message lists). */
  seq: number;
  message: CrossMessage;
  status: MessageStatus;
  /** Why it failed: on its destination, or on the mainnet when its destination cannot take messages. */
  error: string | null;
  /** For a failure: whether another attempt could get past it; null otherwise. */
  retryable: boolean | null;
  srcBatchNo: number;
  /** The destination batch that settled its result. */
  dstBatchNo: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<any>;
}
