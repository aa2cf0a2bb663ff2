import { describe, expect, it } from 'vitest';
import { FIELD_MODULUS } from '@mesh/core';
import { decodePluginValue, encodePluginValue, MAX_PLUGIN_VALUE_BYTES, pluginStateKey } from './plugin-state-keys';

describe('plugin state keys and values', () => {
  it('gives each plugin its own keys, inside the field', () => {
    const key = new TextEncoder().encode('bal:0xabc');
    const a = pluginStateKey('token', key);
    expect(a).toBe(pluginStateKey('token', key));
    expect(a).not.toBe(pluginStateKey('token2', key));
    expect(a < FIELD_MODULUS).toBe(true);
  });

  it('round-trips values of 1 to 31 bytes, leading zeros included', () => {
    for (const bytes of [[0], [0, 0, 1], Array.from({ length: MAX_PLUGIN_VALUE_BYTES }, () => 255)]) {
      const value = new Uint8Array(bytes);
      const encoded = encodePluginValue(value);
      expect(encoded < FIELD_MODULUS).toBe(true);
      expect(decodePluginValue(encoded)).toEqual(value);
    }
    expect(decodePluginValue(0n)).toBeUndefined();
  });

  it('refuses empty and oversized values', () => {
    expect(() => encodePluginValue(new Uint8Array())).toThrow(/1 to 31 bytes, got 0/);
    expect(() => encodePluginValue(new Uint8Array(32))).toThrow(/1 to 31 bytes, got 32/);
  });
});
