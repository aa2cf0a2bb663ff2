import { keccak256, concat, toUtf8Bytes } from 'ethers';
import { FIELD_MODULUS, InvalidInputError } from '@mesh/core';

/** Longest value a plugin may store under one key: it must fit a BN254 field element with its marker byte. */
export const MAX_PLUGIN_VALUE_BYTES = 31;

/**
 * The state-tree key of a plugin's storage key: keccak256(pluginName, 0x00, keyBytes) reduced into
 * the BN254 field. Plugins cannot see or touch each other's keys.
 */
export function pluginStateKey(plugin: string, key: Uint8Array): bigint {
  return BigInt(keccak256(concat([toUtf8Bytes(plugin), new Uint8Array([0]), key]))) % FIELD_MODULUS;
}

/**
 * pluginStateKey with a bounded memory: a keccak costs about as much as the rest of a token
 * transfer's host work (four per transfer), and the same keys come back block after block.
 * Keys are remembered by (plugin, key hex); past `maxEntries` the oldest go first. 0 disables it.
 */
export class PluginKeyCache {
  private readonly keys = new Map<string, bigint>();

  constructor(private readonly maxEntries = 65_536) {}

  /** The tree key of `plugin`'s storage key given as lowercase hex (as the runtime reports writes). */
  get(plugin: string, keyHex: string): bigint {
    const id = plugin + '\u0000' + keyHex;
    let key = this.keys.get(id);
    if (key === undefined) {
      key = pluginStateKey(plugin, Buffer.from(keyHex, 'hex'));
      if (this.maxEntries > 0) {
        if (this.keys.size >= this.maxEntries) this.keys.delete(this.keys.keys().next().value!);
        this.keys.set(id, key);
      }
    }
    return key;
  }

  /** The same for key bytes (as the runtime passes reads). */
  getBytes(plugin: string, key: Uint8Array): bigint {
    return this.get(plugin, Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex'));
  }
}

/** Stored bytes as a tree value: 0x01 marker, then the bytes (so leading zero bytes survive). 0 = absent. */
export function encodePluginValue(value: Uint8Array): bigint {
  if (value.length === 0 || value.length > MAX_PLUGIN_VALUE_BYTES) {
    throw new InvalidInputError(`a plugin value must be 1 to ${MAX_PLUGIN_VALUE_BYTES} bytes, got ${value.length}`);
  }
  return BigInt('0x01' + Buffer.from(value).toString('hex'));
}

export function decodePluginValue(value: bigint): Uint8Array | undefined {
  if (value === 0n) return undefined;
  const digits = value.toString(16);
  const hex = digits.length % 2 === 0 ? digits : '0' + digits; // the 0x01 marker byte prints as "1"
  if (!hex.startsWith('01')) throw new InvalidInputError(`state value ${value} is not a plugin value`);
  return new Uint8Array(Buffer.from(hex.slice(2), 'hex'));
}
