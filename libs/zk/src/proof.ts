import { InvalidInputError } from '@mesh/core';

/** A Groth16 proof as snarkjs produces and takes it. */
export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

export interface ProofWithSignals {
  proof: Groth16Proof;
  publicSignals: string[];
}

const DECIMAL = /^[0-9]{1,80}$/;

function decimals(value: unknown, length: number, what: string): string[] {
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => typeof v === 'string' && DECIMAL.test(v))) {
    throw new InvalidInputError(`${what} must be an array of ${length} decimal strings`);
  }
  return value as string[];
}

/** Checks the shape of an untrusted proof (not its validity) and returns it typed. */
export function parseGroth16Proof(value: unknown): Groth16Proof {
  if (typeof value !== 'object' || value === null) throw new InvalidInputError('proof must be an object');
  const p = value as Record<string, unknown>;
  if (p.protocol !== 'groth16') throw new InvalidInputError('proof.protocol must be "groth16"');
  if (p.curve !== 'bn128') throw new InvalidInputError('proof.curve must be "bn128"');
  if (!Array.isArray(p.pi_b) || p.pi_b.length !== 3) throw new InvalidInputError('proof.pi_b must be an array of 3 pairs');
  return {
    pi_a: decimals(p.pi_a, 3, 'proof.pi_a'),
    pi_b: p.pi_b.map((pair, i) => decimals(pair, 2, `proof.pi_b[${i}]`)),
    pi_c: decimals(p.pi_c, 3, 'proof.pi_c'),
    protocol: 'groth16',
    curve: 'bn128',
  };
}

export function parsePublicSignals(value: unknown, count: number): string[] {
  return decimals(value, count, 'publicSignals');
}
