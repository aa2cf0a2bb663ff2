import { InvalidInputError } from './errors';

/** Order of the BN254 scalar field: every circuit signal, state key and state value lives below it. */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** A value that can be read as a field element: a bigint, a safe integer, or a decimal / 0x-hex string. */
export type FieldLike = bigint | number | string;

/**
 * Parses and range-checks a field element. Rejects negatives, non-integers, malformed strings and
 * values >= FIELD_MODULUS with an InvalidInputError naming `what`.
 */
export function toField(value: FieldLike, what = 'value'): bigint {
  let n: bigint;
  if (typeof value === 'bigint') {
    n = value;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new InvalidInputError(`${what} must be a safe integer, got ${value}`);
    n = BigInt(value);
  } else if (typeof value === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value)) {
    n = BigInt(value);
  } else {
    throw new InvalidInputError(`${what} must be a decimal or 0x-hex integer, got ${JSON.stringify(value)}`);
  }
  if (n < 0n) throw new InvalidInputError(`${what} must not be negative`);
  if (n >= FIELD_MODULUS) throw new InvalidInputError(`${what} must be below the BN254 field modulus`);
  return n;
}

/** Field element as a 0x-prefixed, 64-digit hex string (the wire and storage form). */
export function fieldToHex(n: bigint): string {
  return '0x' + n.toString(16).padStart(64, '0');
}
