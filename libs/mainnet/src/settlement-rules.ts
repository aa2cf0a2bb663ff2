import { diffHashChain, type Hasher } from '@mesh/state';
import { SettlementRejectedError } from './errors';
import type { ParsedSubmission } from './submission';

/** Where an SPN stands: what the next batch has to continue from. */
export interface SpnPosition {
  spnId: string;
  lastBatchNo: number;
  lastRoot: bigint;
  lastBlock: number | null;
}

/** The profile numbers the content rules need. */
export interface SpnShape {
  depth: number;
  chunkSize: number;
}

/**
 * The sequence rules: `batchNo` = last + 1, `preRoot` = last settled root, and the SPN block
 * range continues the last one. Returns 'settled' when the batch number is already settled (the
 * caller then checks whether it is a duplicate of the stored batch).
 */
export function checkSequence(position: SpnPosition, submission: ParsedSubmission): 'next' | 'settled' {
  const { header } = submission;
  const next = position.lastBatchNo + 1;
  if (header.batchNo < next) return 'settled';
  if (header.batchNo > next) {
    throw new SettlementRejectedError(
      'batchNo',
      `batchNo ${header.batchNo} leaves a gap: SPN "${position.spnId}" has settled ${position.lastBatchNo === 0 ? 'no batch yet' : `up to batch ${position.lastBatchNo}`}, so the next batch must be ${next}`,
      { expected: next, got: header.batchNo },
    );
  }
  if (submission.preRoot !== position.lastRoot) {
    throw new SettlementRejectedError(
      'preRoot',
      `preRoot ${submission.preRoot} is not the last settled root of SPN "${position.spnId}" (${position.lastRoot}, ${position.lastBatchNo === 0 ? 'its genesis root' : `after batch ${position.lastBatchNo}`})`,
      { expected: String(position.lastRoot), got: String(submission.preRoot) },
    );
  }
  if (position.lastBlock !== null && header.firstBlock !== position.lastBlock + 1) {
    throw new SettlementRejectedError(
      'blocks',
      `firstBlock ${header.firstBlock} does not follow the last settled block ${position.lastBlock}: it must be ${position.lastBlock + 1}`,
    );
  }
  if (header.lastBlock < header.firstBlock) {
    throw new SettlementRejectedError('blocks', `lastBlock ${header.lastBlock} is before firstBlock ${header.firstBlock}`);
  }
  return 'next';
}

/**
 * The content rules that need no proof check: chunk positions, root chaining from preRoot to
 * postRoot, 1..K updates per chunk with leaf indexes inside the tree, each chunk's diff hash, and
 * one leaf index per key within the batch (both ways). Returns the batch's key of each leaf index.
 */
export function checkChunks(hasher: Hasher, shape: SpnShape, submission: ParsedSubmission): Map<number, bigint> {
  const { parsedChunks: chunks, preRoot, postRoot } = submission;
  if (chunks.length === 0) {
    if (preRoot !== postRoot) {
      throw new SettlementRejectedError(
        'chunks',
        `the batch has no chunks, so its postRoot must equal its preRoot (${preRoot}), got ${postRoot}`,
      );
    }
    return new Map();
  }
  const capacity = 2 ** shape.depth;
  let root = preRoot;
  const keyOfIndex = new Map<number, bigint>();
  const indexOfKey = new Map<bigint, number>();
  chunks.forEach((chunk, i) => {
    if (chunk.chunkIndex !== i)
      throw new SettlementRejectedError('chunks', `chunks[${i}] has chunkIndex ${chunk.chunkIndex}, expected ${i}`);
    if (chunk.oldRoot !== root) {
      throw new SettlementRejectedError(
        'chunks',
        i === 0
          ? `chunks[0].oldRoot ${chunk.oldRoot} is not the batch preRoot ${root}`
          : `chunks do not chain: chunks[${i}].oldRoot ${chunk.oldRoot} is not chunks[${i - 1}].newRoot ${root}`,
      );
    }
    root = chunk.newRoot;
    const n = chunk.updates.length;
    if (n < 1 || n > shape.chunkSize) {
      throw new SettlementRejectedError(
        'updates',
        `chunks[${i}] has ${n} updates; a chunk holds 1 to ${shape.chunkSize} (the profile's K)`,
      );
    }
    chunk.updates.forEach((u, j) => {
      if (u.index >= capacity) {
        throw new SettlementRejectedError(
          'updates',
          `chunks[${i}].updates[${j}] has leaf index ${u.index}, outside the tree of depth ${shape.depth}`,
        );
      }
      const key = keyOfIndex.get(u.index);
      if (key !== undefined && key !== u.key) {
        throw new SettlementRejectedError(
          'leafIndex',
          `chunks[${i}].updates[${j}] uses leaf index ${u.index} for key ${u.key}, but the batch already uses it for key ${key}`,
        );
      }
      const index = indexOfKey.get(u.key);
      if (index !== undefined && index !== u.index) {
        throw new SettlementRejectedError(
          'leafIndex',
          `chunks[${i}].updates[${j}] gives key ${u.key} leaf index ${u.index}, but the batch already gives it index ${index}`,
        );
      }
      keyOfIndex.set(u.index, u.key);
      indexOfKey.set(u.key, u.index);
    });
    const diffHash = diffHashChain(hasher, BigInt(chunk.chunkIndex), chunk.updates);
    if (diffHash !== chunk.diffHash) {
      throw new SettlementRejectedError(
        'diffHash',
        `the updates of chunks[${i}] do not match its diffHash: they hash to ${diffHash}, the statement says ${chunk.diffHash}`,
      );
    }
  });
  if (root !== postRoot) {
    throw new SettlementRejectedError('chunks', `the last chunk ends at root ${root}, not at the batch postRoot ${postRoot}`);
  }
  return keyOfIndex;
}

/** A leaf index assignment the SPN settled before. */
export interface SettledLeaf {
  index: number;
  key: bigint;
}

/**
 * Checks the batch's leaf indexes against those settled before (`settled`: every stored row whose
 * index or key occurs in the batch). Returns the assignments that are new.
 */
export function checkSettledLeaves(batch: Map<number, bigint>, settled: readonly SettledLeaf[]): SettledLeaf[] {
  const known = new Set<number>();
  const indexOfKey = new Map([...batch].map(([index, key]) => [key, index]));
  for (const row of settled) {
    const keyInBatch = batch.get(row.index);
    if (keyInBatch !== undefined && keyInBatch !== row.key) {
      throw new SettlementRejectedError(
        'leafIndex',
        `leaf index ${row.index} belongs to key ${row.key} (settled before); the batch uses it for key ${keyInBatch}`,
      );
    }
    const indexInBatch = indexOfKey.get(row.key);
    if (indexInBatch !== undefined && indexInBatch !== row.index) {
      throw new SettlementRejectedError(
        'leafIndex',
        `key ${row.key} has leaf index ${row.index} (settled before); the batch gives it index ${indexInBatch}`,
      );
    }
    known.add(row.index);
  }
  return [...batch].filter(([index]) => !known.has(index)).map(([index, key]) => ({ index, key }));
}
