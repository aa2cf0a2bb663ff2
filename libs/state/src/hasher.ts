import { buildPoseidon } from 'circomlibjs';

/** Poseidon over the BN254 scalar field, exactly as circomlib's `Poseidon(n)` template computes it. */
export interface Hasher {
  hash(inputs: readonly bigint[]): bigint;
}

let shared: Promise<Hasher> | undefined;

/**
 * The circomlibjs Poseidon (the implementation circomlib's circuits are tested against), built
 * once per process: building it takes a second or two, hashing ~0.1 ms.
 */
export function poseidonHasher(): Promise<Hasher> {
  shared ??= buildPoseidon().then((poseidon) => ({
    hash: (inputs: readonly bigint[]) => poseidon.F.toObject(poseidon(inputs as bigint[])) as bigint,
  }));
  return shared;
}
