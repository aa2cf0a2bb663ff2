import {
  chunksHash,
  messageLeaf,
  messageResultsHash,
  messagesRoot,
  signBatchHeader,
  txDataHash,
  type BatchHeader,
  type CrossMessage,
  type MessageResult,
  type SettlementChunkJson,
  type SettlementSubmission,
} from '@mesh/core';
import type { Hasher, UpdateStep } from '@mesh/state';
import { chunkSteps, type Chunk, type Prover } from '@mesh/zk';
import type { Signer } from 'ethers';

// Test support for the specs of this lib: submissions as an SPN builds them.

/** A well-formed Groth16 proof object that verifies nothing. */
export const DUMMY_PROOF = {
  pi_a: ['1', '2', '1'],
  pi_b: [
    ['1', '0'],
    ['1', '0'],
    ['1', '0'],
  ],
  pi_c: ['1', '2', '1'],
  protocol: 'groth16',
  curve: 'bn128',
};

/** A proven chunk in the form the mainnet takes it. */
export function settlementChunk(chunk: Chunk, proof: unknown): SettlementChunkJson {
  return {
    statement: {
      oldRoot: String(chunk.statement.oldRoot),
      newRoot: String(chunk.statement.newRoot),
      diffHash: String(chunk.statement.diffHash),
      chunkIndex: chunk.statement.chunkIndex,
    },
    proof,
    updates: chunk.steps.map((s) => ({ index: s.index, key: String(s.key), oldValue: String(s.oldValue), newValue: String(s.newValue) })),
  };
}

/** A planned diff cut into chunks of `chunkSize`, each proven for real, in the form the mainnet takes. */
export async function provenChunks(
  prover: Prover,
  hasher: Hasher,
  plan: { steps: UpdateStep[]; oldRoot: bigint },
  chunkSize: number,
): Promise<SettlementChunkJson[]> {
  const chunks: SettlementChunkJson[] = [];
  for (const chunk of chunkSteps(hasher, plan.steps, chunkSize, plan.oldRoot)) {
    chunks.push(settlementChunk(chunk, (await prover.proveChunk(chunk)).proof));
  }
  return chunks;
}

export interface BatchFixture {
  spnId: string;
  batchNo: number;
  preRoot: bigint | string;
  postRoot: bigint | string;
  firstBlock: number;
  lastBlock: number;
  chunks: SettlementChunkJson[];
  txData: unknown[];
  /** Messages the batch sent; none by default. */
  messages?: CrossMessage[];
  /** Results of messages it ran; none by default. */
  results?: MessageResult[];
}

/** Header with the hashes of the given chunks and tx data, signed by `signer`. */
export async function signedSubmission(
  signer: Signer,
  chainId: number,
  batch: BatchFixture,
  headerOverrides: Partial<BatchHeader> = {},
): Promise<SettlementSubmission> {
  const messages = batch.messages ?? [];
  const results = batch.results ?? [];
  const header: BatchHeader = {
    spnId: batch.spnId,
    batchNo: batch.batchNo,
    preRoot: String(batch.preRoot),
    postRoot: String(batch.postRoot),
    firstBlock: batch.firstBlock,
    lastBlock: batch.lastBlock,
    chunksHash: chunksHash(batch.chunks),
    txDataHash: txDataHash(batch.txData),
    messagesRoot: messagesRoot(messages.map(messageLeaf)),
    resultsHash: messageResultsHash(results),
    ...headerOverrides,
  };
  const signature = await signBatchHeader(signer, chainId, header);
  return { header, chunks: batch.chunks, txData: batch.txData, messages, results, signature };
}
