import { invalidParams } from './errors';

/** Ethereum QUANTITY: 0x + the shortest hex digits (0 is 0x0). */
export function toQuantity(value: bigint | number): string {
  const n = BigInt(value);
  if (n < 0n) throw new RangeError(`a quantity cannot be negative (${n})`);
  return '0x' + n.toString(16);
}

/** Ethereum DATA: 0x + two hex digits per byte; a string is checked and lowercased. */
export function toData(value: Uint8Array | string): string {
  if (typeof value === 'string') {
    if (!/^0x([0-9a-fA-F]{2})*$/.test(value)) throw new RangeError(`not hex data: ${value.slice(0, 20)}`);
    return value.toLowerCase();
  }
  return '0x' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
}

/** DATA of exactly `bytes` bytes, left-padded with zeros. */
export function toFixedData(value: bigint, bytes: number): string {
  return '0x' + value.toString(16).padStart(bytes * 2, '0');
}

export function dataToBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.slice(2), 'hex'));
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? text.slice(0, 77) + '...' : text;
};

/**
 * A QUANTITY parameter: 0x-prefixed hex without leading zeros (as the spec and geth require).
 * `name` names the parameter in the -32602 message.
 */
export function parseQuantity(value: unknown, name: string, max: bigint = 2n ** 256n - 1n): bigint {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]+$/.test(value))
    throw invalidParams(`invalid argument: ${name} must be a hex quantity such as "0x1a" (got ${show(value)})`);
  if (value.length > 3 && value[2] === '0') throw invalidParams(`invalid argument: ${name} has leading zero digits (got ${show(value)})`);
  if (value.length > 66) throw invalidParams(`invalid argument: ${name} is larger than 256 bits`);
  const n = BigInt(value);
  if (n > max) throw invalidParams(`invalid argument: ${name} must be at most ${toQuantity(max)} (got ${show(value)})`);
  return n;
}

/** DATA: 0x + an even number of hex digits; `bytes` fixes the length. Returned lowercase. */
export function parseData(value: unknown, name: string, bytes?: number): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]*$/.test(value))
    throw invalidParams(`invalid argument: ${name} must be 0x-prefixed hex data (got ${show(value)})`);
  if (value.length % 2 !== 0) throw invalidParams(`invalid argument: ${name} has an odd number of hex digits (got ${show(value)})`);
  if (bytes !== undefined && value.length !== 2 + bytes * 2)
    throw invalidParams(`invalid argument: ${name} must be ${bytes} bytes (got ${(value.length - 2) / 2})`);
  return value.toLowerCase();
}

export function parseAddress(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value))
    throw invalidParams(`invalid argument: ${name} must be a 0x-prefixed 20-byte hex address (got ${show(value)})`);
  return value.toLowerCase();
}

export function parseHash(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value))
    throw invalidParams(`invalid argument: ${name} must be a 0x-prefixed 32-byte hex hash (got ${show(value)})`);
  return value.toLowerCase();
}

/** A storage slot: a quantity or up to 32 bytes of hex (leading zeros allowed, as clients send both). */
export function parseSlot(value: unknown, name: string): bigint {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(value))
    throw invalidParams(`invalid argument: ${name} must be a hex storage slot of at most 32 bytes (got ${show(value)})`);
  return BigInt(value);
}

/** An integer given as a hex quantity or a JSON number (geth accepts both for feeHistory's block count). */
export function parseHexOrDecimal(value: unknown, name: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^[0-9]{1,16}$/.test(value)) return BigInt(value);
  if (typeof value === 'string' && value.startsWith('0x')) return parseQuantity(value, name);
  throw invalidParams(`invalid argument: ${name} must be a hex quantity or a non-negative integer (got ${show(value)})`);
}

export function parseBool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidParams(`invalid argument: ${name} must be true or false (got ${show(value)})`);
  return value;
}

export { show as showValue };
