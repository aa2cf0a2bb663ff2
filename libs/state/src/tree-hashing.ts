import type { Hasher } from './hasher';

/** leaf(key, value) = 0 for an absent value, else Poseidon(key, value); mirrors circuits' LeafHash. */
export function leafHash(hasher: Hasher, key: bigint, value: bigint): bigint {
  return value === 0n ? 0n : hasher.hash([key, value]);
}

/** zero[l] is the root of an empty subtree of height l: zero[0] = 0, zero[l+1] = H(zero[l], zero[l]). */
export function zeroHashes(hasher: Hasher, depth: number): bigint[] {
  const zeros = [0n];
  for (let level = 0; level < depth; level++) zeros.push(hasher.hash([zeros[level], zeros[level]]));
  return zeros;
}

/** Root from a leaf hash, its index and the siblings from level 0 upwards (mirrors circuits' PathRoot). */
export function rootFromPath(hasher: Hasher, leaf: bigint, index: number, siblings: readonly bigint[]): bigint {
  let node = leaf;
  for (let level = 0; level < siblings.length; level++) {
    const isRight = Math.floor(index / 2 ** level) % 2 === 1;
    node = isRight ? hasher.hash([siblings[level], node]) : hasher.hash([node, siblings[level]]);
  }
  return node;
}

/** One update as it enters the diff hash chain. */
export interface DiffEntry {
  index: number;
  key: bigint;
  oldValue: bigint;
  newValue: bigint;
}

/**
 * The diff hash chain a chunk proof commits to: h_0 = seed (the chunk's position in its batch),
 * h_{j+1} = Poseidon(h_j, index, key, oldValue, newValue). Mirrors circuits' UpdateSlot chain.
 */
export function diffHashChain(hasher: Hasher, seed: bigint, entries: readonly DiffEntry[]): bigint {
  let h = seed;
  for (const e of entries) h = hasher.hash([h, BigInt(e.index), e.key, e.oldValue, e.newValue]);
  return h;
}
