import { keccak_256 } from '@noble/hashes/sha3.js';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EvmEngine } from './evm-engine';
import { loadedKeccak256, loadKeccak256 } from './keccak';

describe('keccak256 from WebAssembly', () => {
  it("gives @noble/hashes' digests for every input length across several sponge blocks", async () => {
    const keccak256 = await loadKeccak256();
    for (let length = 0; length <= 600; length++) {
      const data = new Uint8Array(randomBytes(length));
      const digest = keccak256(data);
      if (Buffer.compare(digest, keccak_256(data)) !== 0) throw new Error(`digest of ${length} bytes differs`);
    }
    // The empty input's digest, as every Ethereum client knows it.
    expect(Buffer.from(keccak256(new Uint8Array(0))).toString('hex')).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  });

  it('returns a fresh 32-byte array of its own each time (Bloom reads digest.buffer from offset 0)', async () => {
    const keccak256 = await loadKeccak256();
    const a = keccak256(new Uint8Array([1]));
    const b = keccak256(new Uint8Array([1]));
    expect(a).not.toBe(b);
    expect(a.buffer).not.toBe(b.buffer);
    for (const d of [a, b]) {
      expect(d.byteOffset).toBe(0);
      expect(d.buffer.byteLength).toBe(32);
    }
    a.fill(0);
    expect(Buffer.compare(b, keccak_256(new Uint8Array([1])))).toBe(0);
  });

  it("is the engine's keccak256 unless the caller brings one", async () => {
    const engine = await EvmEngine.create({ chainId: 7n });
    expect(loadedKeccak256()).toBeTypeOf('function');
    expect(engine.common.customCrypto.keccak256).toBe(loadedKeccak256());
    const own = (data: Uint8Array) => keccak_256(data);
    const other = await EvmEngine.create({ chainId: 7n, customCrypto: { keccak256: own } });
    expect(other.common.customCrypto.keccak256).toBe(own);
  });
});
