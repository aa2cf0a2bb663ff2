import { InvalidInputError } from '@mesh/core';
import { diffHashChain, leafHash, rootFromPath, stepRootAfter, type Hasher, type UpdateStep } from '@mesh/state';
import type { CircuitProfile } from './profiles';

/** The public statement of one chunk proof, in the circuit's public-signal order. */
export interface ChunkStatement {
  oldRoot: bigint;
  newRoot: bigint;
  diffHash: bigint;
  chunkIndex: number;
}

export interface Chunk {
  statement: ChunkStatement;
  steps: UpdateStep[];
}

/** Signals as snarkjs takes them: decimal strings. */
export type CircuitInput = Record<string, string | string[] | string[][]>;

/** Public signals of a statement, in the order the verifier checks them. */
export function statementSignals(s: ChunkStatement): string[] {
  return [s.oldRoot, s.newRoot, s.diffHash, BigInt(s.chunkIndex)].map(String);
}

/**
 * Cuts a batch's update steps into chunks of at most K, each with its statement: the first chunk
 * starts at `preRoot` (the root the batch's first step applies to), each chunk ends at the root its
 * last step leads to (derived from that step's witness) and the next one starts there; each diff
 * hash is seeded with the chunk's position. Steps that do not chain from `preRoot` give chunks
 * that `explainInvalidChunk` rejects.
 */
export function chunkSteps(hasher: Hasher, steps: readonly UpdateStep[], chunkSize: number, preRoot: bigint): Chunk[] {
  if (typeof preRoot !== 'bigint') throw new InvalidInputError(`chunkSteps needs the batch's pre-state root, got ${String(preRoot)}`);
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new InvalidInputError(`chunk size must be a positive integer, got ${chunkSize}`);
  const chunks: Chunk[] = [];
  let oldRoot = preRoot;
  for (let start = 0, chunkIndex = 0; start < steps.length; start += chunkSize, chunkIndex++) {
    const part = steps.slice(start, start + chunkSize);
    const newRoot = stepRootAfter(hasher, part[part.length - 1]);
    chunks.push({
      steps: part,
      statement: { oldRoot, newRoot, diffHash: diffHashChain(hasher, BigInt(chunkIndex), part), chunkIndex },
    });
    oldRoot = newRoot;
  }
  return chunks;
}

/**
 * Says why a chunk cannot be proven (undefined when it can): the checks the circuit makes,
 * done in plain code first so that a bad chunk gets a precise reason instead of a failed assert.
 */
export function explainInvalidChunk(hasher: Hasher, profile: CircuitProfile, chunk: Chunk): string | undefined {
  const { statement, steps } = chunk;
  if (steps.length > profile.chunkSize)
    return `chunk has ${steps.length} updates, profile "${profile.name}" takes at most ${profile.chunkSize}`;
  let root = statement.oldRoot;
  for (const [j, s] of steps.entries()) {
    if (s.siblings.length !== profile.depth) return `update ${j} has ${s.siblings.length} siblings, the tree depth is ${profile.depth}`;
    if (!Number.isInteger(s.index) || s.index < 0 || s.index >= 2 ** profile.depth)
      return `update ${j} has leaf index ${s.index} outside the tree`;
    if (rootFromPath(hasher, leafHash(hasher, s.key, s.oldValue), s.index, s.siblings) !== root) {
      return `update ${j} (key ${s.key}): its old value and siblings do not lead to the running root ${root} (wrong oldRoot or stale siblings)`;
    }
    root = rootFromPath(hasher, leafHash(hasher, s.key, s.newValue), s.index, s.siblings);
  }
  if (root !== statement.newRoot) return `the updates lead to root ${root}, not to the claimed newRoot ${statement.newRoot}`;
  const diffHash = diffHashChain(hasher, BigInt(statement.chunkIndex), steps);
  if (diffHash !== statement.diffHash) return `the updates hash to ${diffHash}, not to the claimed diffHash ${statement.diffHash}`;
  return undefined;
}

/** The circuit's input for a chunk; unused slots are disabled no-ops. */
export function chunkCircuitInput(profile: CircuitProfile, chunk: Chunk): CircuitInput {
  const { statement, steps } = chunk;
  if (steps.length > profile.chunkSize) {
    throw new InvalidInputError(`chunk has ${steps.length} updates, profile "${profile.name}" takes at most ${profile.chunkSize}`);
  }
  const slots = Array.from({ length: profile.chunkSize }, (_, j) => steps[j]);
  const zeros = Array.from({ length: profile.depth }, () => '0');
  return {
    oldRoot: String(statement.oldRoot),
    newRoot: String(statement.newRoot),
    diffHash: String(statement.diffHash),
    chunkIndex: String(statement.chunkIndex),
    enabled: slots.map((s) => (s ? '1' : '0')),
    index: slots.map((s) => String(s?.index ?? 0)),
    key: slots.map((s) => String(s?.key ?? 0n)),
    oldValue: slots.map((s) => String(s?.oldValue ?? 0n)),
    newValue: slots.map((s) => String(s?.newValue ?? 0n)),
    siblings: slots.map((s) => (s ? s.siblings.map(String) : zeros)),
  };
}
