import { TypedDataEncoder, verifyTypedData, type Signer, type TypedDataField } from 'ethers';
import { hashCanonical } from './canonical-json';
import type { CrossMessage, MessageResult } from './messages';
import { meshDomain } from './signing-domain';

/** One state update of a batch diff, as posted to the mainnet (field elements as decimal strings). */
export interface DiffUpdateJson {
  index: number;
  key: string;
  oldValue: string;
  newValue: string;
}

/** The public statement of one chunk proof (decimal strings), in the circuit's signal order. */
export interface ChunkStatementJson {
  oldRoot: string;
  newRoot: string;
  diffHash: string;
  chunkIndex: number;
}

export interface SettlementChunkJson {
  statement: ChunkStatementJson;
  /** Groth16 proof as snarkjs makes it. */
  proof: unknown;
  /** The chunk's slice of the diff, in the order the proof applies it. */
  updates: DiffUpdateJson[];
}

/** What an SPN operator signs for one batch. */
export interface BatchHeader {
  spnId: string;
  batchNo: number;
  preRoot: string;
  postRoot: string;
  firstBlock: number;
  lastBlock: number;
  /** keccak256 of the canonical JSON of the chunks (statements, proofs, updates). */
  chunksHash: string;
  /** keccak256 of the canonical JSON of the batch's transactions (data availability). */
  txDataHash: string;
  /** Merkle root of the messages the batch's txs sent, in nonce order (zero hash: none). */
  messagesRoot: string;
  /** keccak256 of the canonical JSON of the results of the messages the batch's blocks ran. */
  resultsHash: string;
}

/** A batch as the SPN submits it to the mainnet. */
export interface SettlementSubmission {
  header: BatchHeader;
  chunks: SettlementChunkJson[];
  txData: unknown[];
  /** The messages the batch's txs sent, in nonce order (their leaves make `messagesRoot`). */
  messages: CrossMessage[];
  /** The results of the relayed messages the batch's blocks ran, in block order. */
  results: MessageResult[];
  signature: string;
}

export const BATCH_HEADER_TYPES: Record<string, TypedDataField[]> = {
  BatchHeader: [
    { name: 'spnId', type: 'string' },
    { name: 'batchNo', type: 'uint64' },
    { name: 'preRoot', type: 'uint256' },
    { name: 'postRoot', type: 'uint256' },
    { name: 'firstBlock', type: 'uint64' },
    { name: 'lastBlock', type: 'uint64' },
    { name: 'chunksHash', type: 'bytes32' },
    { name: 'txDataHash', type: 'bytes32' },
    { name: 'messagesRoot', type: 'bytes32' },
    { name: 'resultsHash', type: 'bytes32' },
  ],
};

export function chunksHash(chunks: readonly SettlementChunkJson[]): string {
  return hashCanonical(chunks);
}

export function txDataHash(txData: readonly unknown[]): string {
  return hashCanonical(txData);
}

export function batchHeaderDigest(chainId: number, header: BatchHeader): string {
  return TypedDataEncoder.hash(meshDomain(chainId, header.spnId), BATCH_HEADER_TYPES, header);
}

export function signBatchHeader(signer: Signer, chainId: number, header: BatchHeader): Promise<string> {
  return signer.signTypedData(meshDomain(chainId, header.spnId), BATCH_HEADER_TYPES, header);
}

/** The address (lowercase) that signed the header, or undefined when the signature is malformed. */
export function recoverBatchSigner(chainId: number, header: BatchHeader, signature: string): string | undefined {
  try {
    return verifyTypedData(meshDomain(chainId, header.spnId), BATCH_HEADER_TYPES, header, signature).toLowerCase();
  } catch {
    return undefined;
  }
}
