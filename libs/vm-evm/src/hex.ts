/**
 * `0x` + lowercase hex of `bytes`, as a flat string. @ethereumjs/util's `bytesToHex` gives the
 * same text but builds it a byte at a time: a rope of one ~32-byte node per byte, kept as long as
 * the string is (a receipt's 256-byte logsBloom ~8 KB, a hash ~1 KB). Receipts live until their
 * block is done, so in a worker every scavenge copied those ropes again.
 */
export function hexOf(bytes: Uint8Array): string {
  return '0x' + hexDigits(bytes);
}

/** The same without the `0x` (Node's native encoder: faster than a JS loop even for 20 bytes). */
export function hexDigits(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
