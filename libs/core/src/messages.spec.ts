import { ZeroHash } from 'ethers';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors';
import { messageLeaf, messageProof, messageResultsHash, messagesRoot, verifyMessageProof, type CrossMessage } from './messages';

const message = (nonce: number, over: Partial<CrossMessage> = {}): CrossMessage => ({
  srcSpn: 'spn-a',
  nonce,
  srcPlugin: 'bridge',
  txHash: '0x' + nonce.toString(16).padStart(64, '0'),
  dstSpn: 'spn-b',
  plugin: 'bridge',
  method: 'receive',
  args: ['0x' + '11'.repeat(20), String(nonce * 10)],
  ...over,
});

describe('cross-SPN message hashing', () => {
  it('a leaf is the hash of every field, whatever order the object has them in', () => {
    const m = message(1);
    const reordered = Object.fromEntries(Object.entries(m).reverse()) as unknown as CrossMessage;
    expect(messageLeaf(reordered)).toBe(messageLeaf(m));
    expect(messageLeaf(m)).toMatch(/^0x[0-9a-f]{64}$/);
    for (const change of [
      { nonce: 2 },
      { srcSpn: 'spn-c' },
      { dstSpn: 'spn-c' },
      { args: ['x'] },
      { method: 'other' },
      { srcPlugin: 'x' },
    ]) {
      expect(messageLeaf({ ...m, ...change })).not.toBe(messageLeaf(m));
    }
    // Fields beyond the message's own do not change its trace id.
    expect(messageLeaf({ ...m, extra: 1 } as CrossMessage)).toBe(messageLeaf(m));
  });

  it('the root of no messages is the zero hash', () => {
    expect(messagesRoot([])).toBe(ZeroHash);
  });

  it('every message of batches of 1 to 9 has a proof that verifies against the root, and only there', () => {
    for (let n = 1; n <= 9; n++) {
      const leaves = Array.from({ length: n }, (_, i) => messageLeaf(message(i + 1)));
      const root = messagesRoot(leaves);
      leaves.forEach((leaf, i) => {
        const proof = messageProof(leaves, i);
        expect(verifyMessageProof(root, leaf, proof)).toBe(true);
        expect(verifyMessageProof(root, messageLeaf(message(100 + i)), proof)).toBe(false);
        expect(verifyMessageProof(messagesRoot([...leaves, messageLeaf(message(99))]), leaf, proof)).toBe(false);
      });
    }
  });

  it('changing, adding or dropping a message changes the root (each leaf holds its nonce, so the order is fixed by it)', () => {
    const leaves = [1, 2, 3].map((i) => messageLeaf(message(i)));
    const root = messagesRoot(leaves);
    expect(messagesRoot([leaves[0], leaves[1], messageLeaf(message(3, { args: ['x'] }))])).not.toBe(root);
    expect(messagesRoot([...leaves, messageLeaf(message(4))])).not.toBe(root);
    expect(messagesRoot(leaves.slice(0, 2))).not.toBe(root);
  });

  it('malformed proofs do not verify, and a proof of a missing index is refused', () => {
    const leaves = [1, 2].map((i) => messageLeaf(message(i)));
    const root = messagesRoot(leaves);
    expect(verifyMessageProof(root, leaves[0], ['nonsense'])).toBe(false);
    expect(verifyMessageProof('0x12', leaves[0], messageProof(leaves, 0))).toBe(false);
    expect(() => messageProof(leaves, 2)).toThrow(InvalidInputError);
  });

  it('results hash over their content', () => {
    const r = { traceId: messageLeaf(message(1)), srcSpn: 'spn-a', nonce: 1, status: 'executed' as const, retryable: false };
    expect(messageResultsHash([r])).not.toBe(messageResultsHash([]));
    expect(messageResultsHash([{ ...r, status: 'failed', error: 'x', retryable: true }])).not.toBe(messageResultsHash([r]));
  });
});
