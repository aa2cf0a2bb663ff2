import { Common, Mainnet } from '@ethereumjs/common';
import { createTxFromRLP } from '@ethereumjs/tx';
import { bytesToHex, hexToBytes } from '@ethereumjs/util';
import { Bloom, encodeReceipt as ethjsEncodeReceipt } from '@ethereumjs/vm';
import { genTransactionsTrieRoot } from '@ethereumjs/block';
import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { EMPTY_TRIE_ROOT } from './format';
import { encodeReceipt, orderedTrieRoot } from './roots';

describe('trie roots', () => {
  it('gives the empty trie root for no values', async () => {
    expect(await orderedTrieRoot([])).toBe(EMPTY_TRIE_ROOT);
  });

  it('computes transactionsRoot as @ethereumjs/block does', async () => {
    const wallet = new Wallet('0x' + '22'.repeat(32));
    const raws: string[] = [];
    for (let i = 0; i < 130; i++) {
      raws.push(
        await wallet.signTransaction({
          type: i % 2 ? 2 : 0,
          chainId: 1,
          nonce: i,
          to: wallet.address,
          gasLimit: 21_000,
          maxFeePerGas: i % 2 ? 10n : undefined,
          maxPriorityFeePerGas: i % 2 ? 1n : undefined,
          gasPrice: i % 2 ? undefined : 10n,
        }),
      );
    }
    const common = new Common({ chain: Mainnet, hardfork: 'cancun' });
    const txs = raws.map((r) => createTxFromRLP(hexToBytes(r as `0x${string}`), { common }));
    expect(await orderedTrieRoot(raws.map((r) => hexToBytes(r as `0x${string}`)))).toBe(bytesToHex(await genTransactionsTrieRoot(txs)));
  });

  it('encodes receipts as @ethereumjs/vm does (legacy and typed, success and failure)', () => {
    const bloom = new Bloom();
    const log = { address: '0x' + 'ab'.repeat(20), topics: ['0x' + '01'.repeat(32), '0x' + '02'.repeat(32)], data: '0x1234' };
    for (const [type, success] of [
      [0, true],
      [2, false],
      [1, true],
    ] as const) {
      const ours = encodeReceipt({ success, cumulativeGasUsed: 123_456n, logsBloom: bytesToHex(bloom.bitvector), logs: [log], type });
      const theirs = ethjsEncodeReceipt(
        {
          status: success ? 1 : 0,
          cumulativeBlockGasUsed: 123_456n,
          bitvector: bloom.bitvector,
          logs: [
            [
              hexToBytes(log.address as `0x${string}`),
              log.topics.map((t) => hexToBytes(t as `0x${string}`)),
              hexToBytes(log.data as `0x${string}`),
            ],
          ],
        },
        type,
      );
      expect(bytesToHex(ours)).toBe(bytesToHex(theirs));
    }
  });
});
