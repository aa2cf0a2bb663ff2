import { describe, expect, it } from 'vitest';
import { blockHash, GENESIS_PARENT_HASH } from './ledger';

const event = { id: 1, kind: 'spn_registered' as const, spnId: 'a', batchNo: null, data: { b: 1, a: 'x' } };

describe('blockHash', () => {
  it('is keccak256 over canonical JSON: key order does not matter, content does', () => {
    const block = { number: 0, parentHash: GENESIS_PARENT_HASH, timestamp: 1000, events: [event] };
    const hash = blockHash(block);
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(blockHash({ events: [{ ...event, data: { a: 'x', b: 1 } }], timestamp: 1000, parentHash: GENESIS_PARENT_HASH, number: 0 })).toBe(
      hash,
    );
    expect(blockHash({ ...block, timestamp: 1001 })).not.toBe(hash);
    expect(blockHash({ ...block, events: [{ ...event, data: { a: 'y', b: 1 } }] })).not.toBe(hash);
    expect(blockHash({ ...block, number: 1 })).not.toBe(hash);
  });
});
