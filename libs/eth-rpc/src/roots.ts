import { createMPT } from '@ethereumjs/mpt';
import { concat, encodeRlp, getBytes, hexlify } from 'ethers';
import { EMPTY_TRIE_ROOT } from './format';

/** A non-negative integer as RLP wants it: minimal big-endian bytes, 0 = empty. */
function rlpInt(n: bigint | number): string {
  const v = BigInt(n);
  if (v === 0n) return '0x';
  const hex = v.toString(16);
  return '0x' + (hex.length % 2 ? '0' + hex : hex);
}

/**
 * Root of the Merkle-Patricia trie of `values` keyed by rlp(index): an Ethereum block's
 * transactionsRoot (values = the raw signed txs) or receiptsRoot (values = encoded receipts).
 */
export async function orderedTrieRoot(values: readonly Uint8Array[]): Promise<string> {
  if (values.length === 0) return EMPTY_TRIE_ROOT;
  const trie = await createMPT();
  for (let i = 0; i < values.length; i++) await trie.put(getBytes(encodeRlp(rlpInt(i))), values[i]);
  return hexlify(trie.root());
}

export interface ReceiptForRoot {
  success: boolean;
  cumulativeGasUsed: bigint;
  logsBloom: string;
  logs: readonly { address: string; topics: readonly string[]; data: string }[];
  type: number;
}

/** A receipt's consensus encoding (EIP-2718: type byte + rlp for typed txs). */
export function encodeReceipt(r: ReceiptForRoot): Uint8Array {
  const payload = encodeRlp([
    r.success ? '0x01' : '0x',
    rlpInt(r.cumulativeGasUsed),
    r.logsBloom,
    r.logs.map((l) => [l.address, [...l.topics], l.data]),
  ]);
  return getBytes(r.type === 0 ? payload : concat([new Uint8Array([r.type]), payload]));
}
