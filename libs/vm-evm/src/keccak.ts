/**
 * keccak256 for @ethereumjs (`CustomCrypto.keccak256`: the KECCAK256 opcode, log blooms, tx
 * hashes) from hash-wasm's WebAssembly Keccak, instead of @noble/hashes' JavaScript one. Measured
 * on this machine (64-byte inputs, 100,000 hashes): noble ~26 µs a hash, hash-wasm ~2 µs; an
 * ERC-20 transfer hashes some six times (mapping slots, the bloom of its Transfer log), which with
 * noble was ~12 % of its time. Same function, so the same digests (keccak.spec.ts checks them
 * against noble's on random inputs of every length up to a few blocks of the sponge).
 *
 * hash-wasm's hashers are created asynchronously (the WebAssembly module is compiled once per
 * thread), so `loadKeccak256` is awaited where an engine is created, and `spnCommon` uses the
 * loaded function from then on. Every call is synchronous and none is re-entered, so one hasher
 * per thread serves them all.
 */
import { createKeccak } from 'hash-wasm';

export type Keccak256 = (data: Uint8Array) => Uint8Array;

let loaded: Keccak256 | undefined;
let loading: Promise<Keccak256> | undefined;

/** This thread's WebAssembly keccak256 (created once). */
export function loadKeccak256(): Promise<Keccak256> {
  loading ??= createKeccak(256).then((hasher) => {
    const keccak256: Keccak256 = (data) => {
      hasher.init();
      hasher.update(data);
      // A fresh 32-byte array of its own (offset 0): @ethereumjs's Bloom reads `digest.buffer`.
      return hasher.digest('binary');
    };
    loaded = keccak256;
    return keccak256;
  });
  return loading;
}

/** The WebAssembly keccak256 if `loadKeccak256` has finished in this thread, else undefined. */
export function loadedKeccak256(): Keccak256 | undefined {
  return loaded;
}
