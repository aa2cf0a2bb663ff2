import { InvalidInputError } from '@mesh/core';

/** A path or query number: a non-negative integer within bounds, else a 400 naming it. */
export function intParam(value: string | undefined, name: string, options: { min?: number; max?: number; fallback?: number } = {}): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER, fallback } = options;
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined || !/^[0-9]{1,16}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidInputError(
      `${name} must be an integer from ${min} to ${max}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`,
    );
  }
  return Number(value);
}

/** Rejects query parameters the endpoint does not know. */
export function onlyQuery(query: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(query).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new InvalidInputError(`unknown query parameter(s): ${unknown.join(', ')}`);
}

export function hashParam(value: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value))
    throw new InvalidInputError(`transaction hash must be 0x and 64 hex digits (got ${JSON.stringify(value)})`);
  return value.toLowerCase();
}
