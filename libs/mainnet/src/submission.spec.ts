import { describe, expect, it } from 'vitest';
import { SettlementRejectedError } from './errors';
import { parseSubmission } from './submission';
import { DUMMY_PROOF } from './testing/batch-fixtures';

const HASH = '0x' + 'ab'.repeat(32);
const valid = () => ({
  header: {
    spnId: 'spn-a',
    batchNo: 1,
    preRoot: '5',
    postRoot: '6',
    firstBlock: 0,
    lastBlock: 2,
    chunksHash: HASH,
    txDataHash: HASH,
    messagesRoot: HASH,
    resultsHash: HASH,
  },
  chunks: [
    {
      statement: { oldRoot: '5', newRoot: '6', diffHash: '7', chunkIndex: 0 },
      proof: DUMMY_PROOF,
      updates: [{ index: 0, key: '1', oldValue: '0', newValue: '9' }],
    },
  ],
  txData: [{ any: 'thing' }],
  messages: [message()],
  results: [result()],
  signature: '0x' + '11'.repeat(65),
});

function message(): Record<string, unknown> {
  return {
    srcSpn: 'spn-a',
    nonce: 1,
    srcPlugin: 'bridge',
    txHash: HASH,
    dstSpn: 'spn-b',
    plugin: 'bridge',
    method: 'receive',
    args: ['1'],
  };
}

function result(): Record<string, unknown> {
  return { traceId: HASH, srcSpn: 'spn-b', nonce: 3, status: 'failed', error: 'no', retryable: true };
}

function reason(value: unknown): string {
  try {
    parseSubmission(value);
  } catch (err) {
    expect(err).toBeInstanceOf(SettlementRejectedError);
    expect((err as SettlementRejectedError).rule).toBe('malformed');
    return (err as Error).message;
  }
  throw new Error('expected a rejection');
}

describe('parseSubmission', () => {
  it('keeps the posted objects and gives typed views of them', () => {
    const body = valid();
    const parsed = parseSubmission(body);
    expect(parsed.header).toBe(body.header);
    expect(parsed.chunks).toBe(body.chunks);
    expect(parsed.preRoot).toBe(5n);
    expect(parsed.parsedChunks[0]).toMatchObject({
      oldRoot: 5n,
      newRoot: 6n,
      diffHash: 7n,
      chunkIndex: 0,
      updates: [{ index: 0, key: 1n, oldValue: 0n, newValue: 9n }],
    });
    expect(parsed.updateCount).toBe(1);
    expect(parsed.messages).toEqual([message()]);
    expect(parsed.results).toEqual([result()]);
  });

  it('names what is malformed', () => {
    expect(reason(null)).toBe('settlement rejected: submission must be an object');
    expect(reason({ ...valid(), extra: 1 })).toBe('settlement rejected: submission has unknown field(s): extra');
    const { signature: _s, ...unsigned } = valid();
    expect(reason(unsigned)).toBe('settlement rejected: submission is missing signature');
    expect(reason({ ...valid(), header: { ...valid().header, batchNo: 0 } })).toMatch(/header.batchNo must be an integer >= 1/);
    expect(reason({ ...valid(), header: { ...valid().header, preRoot: 'x' } })).toMatch(
      /header.preRoot must be a decimal or 0x-hex integer/,
    );
    expect(reason({ ...valid(), header: { ...valid().header, chunksHash: '0x12' } })).toMatch(
      /header.chunksHash must be a 0x-prefixed 32-byte hex hash/,
    );
    expect(reason({ ...valid(), signature: '0x12' })).toMatch(/signature must be a 0x-prefixed 65-byte hex signature/);
    const badProof = valid();
    (badProof.chunks[0].proof as { pi_a: string[] }) = { ...DUMMY_PROOF, pi_a: ['1'] };
    expect(reason(badProof)).toMatch(/chunks\[0\]\.proof\.pi_a must be an array of 3 decimal strings/);
    const badUpdate = valid();
    (badUpdate.chunks[0].updates[0] as { index: unknown }).index = -1;
    expect(reason(badUpdate)).toMatch(/chunks\[0\]\.updates\[0\]\.index must be an integer >= 0/);
    const tooBig = valid();
    tooBig.chunks[0].updates[0].key = (1n << 254n).toString();
    expect(reason(tooBig)).toMatch(/chunks\[0\]\.updates\[0\]\.key must be below the BN254 field modulus/);
    expect(reason({ ...valid(), header: { ...valid().header, messagesRoot: undefined } })).toMatch(/header is missing messagesRoot/);
    expect(reason({ ...valid(), messages: {} })).toMatch(/messages must be an array/);
    expect(reason({ ...valid(), messages: [{ ...message(), nonce: 0 }] })).toMatch(/messages\[0\]\.nonce must be an integer >= 1/);
    expect(reason({ ...valid(), messages: [{ ...message(), plugin: 'Bad!' }] })).toMatch(/messages\[0\]\.plugin must be a plugin name/);
    expect(reason({ ...valid(), messages: [{ ...message(), args: [1] }] })).toMatch(
      /messages\[0\]\.args must be an array of at most 32 strings/,
    );
    expect(reason({ ...valid(), messages: [{ ...message(), extra: 1 }] })).toMatch(/messages\[0\] has unknown field\(s\): extra/);
    expect(reason({ ...valid(), results: [{ ...result(), status: 'done' }] })).toMatch(
      /results\[0\]\.status must be "executed" or "failed"/,
    );
    expect(reason({ ...valid(), results: [{ ...result(), retryable: 'yes' }] })).toMatch(/results\[0\]\.retryable must be a boolean/);
    expect(reason({ ...valid(), results: [{ ...result(), traceId: '0x1' }] })).toMatch(
      /results\[0\]\.traceId must be a 0x-prefixed 32-byte hex hash/,
    );
  });

  it('refuses tx data Postgres cannot store, but not an escaped backslash', () => {
    expect(reason({ ...valid(), txData: ['a\u0000b'] })).toMatch(/txData contains a NUL character/);
    expect(reason({ ...valid(), txData: ['\ud800'] })).toMatch(/unpaired surrogate/);
    expect(() => parseSubmission({ ...valid(), txData: ['\\u0000', '😀'] })).not.toThrow();
  });
});
