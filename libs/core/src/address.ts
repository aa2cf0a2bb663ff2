import { getAddress, isAddress } from 'ethers';
import { InvalidInputError } from './errors';

/** A checksummed-or-not 0x address, returned lowercase; anything else is an InvalidInputError. */
export function parseAddress(value: unknown, what = 'address'): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value) || !isAddress(value)) {
    throw new InvalidInputError(`${what} must be a 0x-prefixed 20-byte hex address`);
  }
  return getAddress(value).toLowerCase();
}
