import type { EthCallRequest } from './backend';
import { invalidParams } from './errors';
import { parseAddress, parseBool, parseData, parseHash, parseQuantity, showValue } from './hex';

export type BlockTag = 'latest' | 'pending' | 'earliest' | 'safe' | 'finalized';
const TAGS: readonly string[] = ['latest', 'pending', 'earliest', 'safe', 'finalized'];

/** A block parameter: a tag, a number, or (EIP-1898) a block hash. */
export type BlockRef = { tag: BlockTag } | { number: bigint } | { hash: string; requireCanonical: boolean };

export const LATEST: BlockRef = { tag: 'latest' };

/**
 * A block parameter: "latest" | "pending" | "earliest" | "safe" | "finalized" | QUANTITY, or with
 * `allowObject` an EIP-1898 object `{ blockNumber }` / `{ blockHash, requireCanonical? }`.
 * Undefined (and null) give `fallback` when one is given.
 */
export function parseBlockRef(value: unknown, name: string, options: { allowObject?: boolean; fallback?: BlockRef } = {}): BlockRef {
  if ((value === undefined || value === null) && options.fallback) return options.fallback;
  if (typeof value === 'string') {
    if (TAGS.includes(value)) return { tag: value as BlockTag };
    if (value.startsWith('0x')) return { number: parseQuantity(value, name, 2n ** 63n - 1n) };
  }
  if (options.allowObject && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !['blockNumber', 'blockHash', 'requireCanonical'].includes(k));
    if (unknown.length) throw invalidParams(`invalid argument: ${name} has unknown field(s) ${unknown.join(', ')}`);
    if (o.blockHash !== undefined && o.blockNumber !== undefined)
      throw invalidParams(`invalid argument: ${name} cannot have both blockHash and blockNumber`);
    if (o.blockHash !== undefined) {
      const requireCanonical = o.requireCanonical === undefined ? false : parseBool(o.requireCanonical, `${name}.requireCanonical`);
      return { hash: parseHash(o.blockHash, `${name}.blockHash`), requireCanonical };
    }
    if (o.blockNumber !== undefined) return parseBlockRef(o.blockNumber, `${name}.blockNumber`);
    throw invalidParams(`invalid argument: ${name} must have blockHash or blockNumber`);
  }
  const forms = options.allowObject ? 'a block tag, a hex block number or {blockHash}/{blockNumber}' : 'a block tag or a hex block number';
  throw invalidParams(`invalid argument: ${name} must be ${forms} (got ${showValue(value)})`);
}

/** The transaction object of eth_call / eth_estimateGas. Unknown fields are ignored, as nodes do. */
export function parseCallRequest(value: unknown, name: string): EthCallRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidParams(`invalid argument: ${name} must be a transaction object (got ${showValue(value)})`);
  const o = value as Record<string, unknown>;
  const field = <T>(key: string, parse: (v: unknown, n: string) => T): T | undefined =>
    o[key] === undefined || o[key] === null ? undefined : parse(o[key], `${name}.${key}`);
  const data = field('data', parseData);
  const input = field('input', parseData);
  if (data !== undefined && input !== undefined && data !== input)
    throw invalidParams(`invalid argument: ${name} has both "data" and "input" set and they differ`);
  const request: EthCallRequest = {
    from: field('from', parseAddress),
    to: field('to', parseAddress),
    data: input ?? data,
    value: field('value', parseQuantity),
    gas: field('gas', (v, n) => parseQuantity(v, n, 2n ** 64n - 1n)),
    gasPrice: field('gasPrice', parseQuantity),
    maxFeePerGas: field('maxFeePerGas', parseQuantity),
    maxPriorityFeePerGas: field('maxPriorityFeePerGas', parseQuantity),
    nonce: field('nonce', (v, n) => parseQuantity(v, n, 2n ** 64n - 1n)),
    accessList: field('accessList', parseAccessList),
  };
  if (request.gasPrice !== undefined && (request.maxFeePerGas !== undefined || request.maxPriorityFeePerGas !== undefined))
    throw invalidParams(`invalid argument: ${name} cannot have both gasPrice and maxFeePerGas/maxPriorityFeePerGas`);
  if (
    request.maxFeePerGas !== undefined &&
    request.maxPriorityFeePerGas !== undefined &&
    request.maxPriorityFeePerGas > request.maxFeePerGas
  )
    throw invalidParams(`invalid argument: ${name}.maxPriorityFeePerGas is higher than maxFeePerGas`);
  for (const key of Object.keys(request) as (keyof EthCallRequest)[]) if (request[key] === undefined) delete request[key];
  return request;
}

export interface LogFilterParams {
  fromBlock: BlockRef;
  toBlock: BlockRef;
  blockHash?: string;
  addresses: string[] | null;
  topics: (string[] | null)[];
}

/** The filter object of eth_getLogs. */
export function parseLogFilter(value: unknown, name: string): LogFilterParams {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidParams(`invalid argument: ${name} must be a filter object (got ${showValue(value)})`);
  const o = value as Record<string, unknown>;
  const known = ['fromBlock', 'toBlock', 'blockHash', 'address', 'topics'];
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length)
    throw invalidParams(`invalid argument: ${name} has unknown field(s) ${unknown.join(', ')} (known: ${known.join(', ')})`);
  const present = (key: string) => o[key] !== undefined && o[key] !== null;
  if (present('blockHash') && (present('fromBlock') || present('toBlock')))
    throw invalidParams(`invalid argument: ${name} cannot have blockHash together with fromBlock/toBlock`);
  let addresses: string[] | null = null;
  if (present('address')) {
    const a = o.address;
    addresses = Array.isArray(a) ? a.map((x, i) => parseAddress(x, `${name}.address[${i}]`)) : [parseAddress(a, `${name}.address`)];
    if (addresses.length === 0) addresses = null;
  }
  let topics: (string[] | null)[] = [];
  if (present('topics')) {
    if (!Array.isArray(o.topics)) throw invalidParams(`invalid argument: ${name}.topics must be an array`);
    if (o.topics.length > 4) throw invalidParams(`invalid argument: ${name}.topics has ${o.topics.length} positions, at most 4`);
    topics = o.topics.map((t, i) => {
      if (t === null) return null;
      if (Array.isArray(t)) return t.length === 0 ? null : t.map((x, j) => parseHash(x, `${name}.topics[${i}][${j}]`));
      return [parseHash(t, `${name}.topics[${i}]`)];
    });
    while (topics.length && topics[topics.length - 1] === null) topics.pop();
  }
  return {
    fromBlock: parseBlockRef(o.fromBlock, `${name}.fromBlock`, { fallback: LATEST }),
    toBlock: parseBlockRef(o.toBlock, `${name}.toBlock`, { fallback: LATEST }),
    blockHash: present('blockHash') ? parseHash(o.blockHash, `${name}.blockHash`) : undefined,
    addresses,
    topics,
  };
}

/**
 * Checks a method's positional parameters: an array (or absent when nothing is required) of at
 * most `max` entries with the first `required` present. Returns the array.
 */
export function positional(params: unknown, required: number, max: number): unknown[] {
  if (params === undefined || params === null) {
    if (required > 0) throw invalidParams(`missing value for required argument 0`);
    return [];
  }
  if (!Array.isArray(params)) throw invalidParams('params must be an array of positional arguments');
  if (params.length > max) throw invalidParams(`too many arguments, want at most ${max}`);
  for (let i = 0; i < required; i++) {
    if (params[i] === undefined || params[i] === null) throw invalidParams(`missing value for required argument ${i}`);
  }
  return params;
}

/** An EIP-2930 access list: `[{ address, storageKeys: [32-byte hex, ...] }, ...]`. */
export function parseAccessList(value: unknown, name: string): { address: string; storageKeys: string[] }[] {
  if (!Array.isArray(value)) throw invalidParams(`invalid argument: ${name} must be an array of { address, storageKeys }`);
  return value.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw invalidParams(`invalid argument: ${name}[${i}] must be an object { address, storageKeys }`);
    const e = entry as Record<string, unknown>;
    const keys = e.storageKeys ?? [];
    if (!Array.isArray(keys)) throw invalidParams(`invalid argument: ${name}[${i}].storageKeys must be an array`);
    return {
      address: parseAddress(e.address, `${name}[${i}].address`),
      storageKeys: keys.map((k, j) => parseHash(k, `${name}[${i}].storageKeys[${j}]`)),
    };
  });
}
