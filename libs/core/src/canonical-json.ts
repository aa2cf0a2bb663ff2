import { keccak256, toUtf8Bytes } from 'ethers';

/**
 * Deterministic JSON: object keys sorted, bigints as decimal strings, no whitespace. Hashes over
 * protocol data (tx data, settlement chunks) are taken over this form so that every party that
 * holds the same data computes the same hash, whatever order its keys were built in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

function normalise(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(normalise);
  if (value instanceof Uint8Array) return '0x' + Buffer.from(value).toString('hex');
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = normalise(v);
    }
    return out;
  }
  return value;
}

/** keccak256 of the canonical JSON of `value`, as 0x-hex. */
export function hashCanonical(value: unknown): string {
  return keccak256(toUtf8Bytes(canonicalJson(value)));
}
