import { describe, expect, it } from 'vitest';
import { MESSAGE_GAS_LIMIT, messageLeaf, messageProof, messagesRoot, type RelayedMessage } from '@mesh/core';
import type { TxReceipt } from './executor';
import { inboxBody, messageResult, relayedMessageProblem } from './inbox';
import { outboxEntries } from './outbox';

const ok = (messages?: TxReceipt['messages']): TxReceipt => ({ status: 'success', gasUsed: '1', ...(messages ? { messages } : {}) });
const out = (dstSpn: string, n: number) => ({ srcPlugin: 'bridge', dstSpn, plugin: 'bridge', method: 'receive', args: [String(n)] });

describe('outboxEntries', () => {
  it("numbers a block's messages on from the next nonce, in tx order and send order, with the tx that sent each", () => {
    const receipts = [
      ok([out('spn-b', 1), out('spn-c', 2)]),
      ok(),
      { status: 'reverted', gasUsed: '1', error: 'x' },
      ok([out('spn-b', 3)]),
    ];
    const entries = outboxEntries('spn-a', ['0x01', '0x02', '0x03', '0x04'], receipts, 8);
    expect(entries.map((e) => [e.nonce, e.txHash, e.dstSpn, e.args[0]])).toEqual([
      [8, '0x01', 'spn-b', '1'],
      [9, '0x01', 'spn-c', '2'],
      [10, '0x04', 'spn-b', '3'],
    ]);
    expect(entries.every((e) => e.srcSpn === 'spn-a' && e.srcPlugin === 'bridge')).toBe(true);
    expect(outboxEntries('spn-a', ['0x01'], [ok()], 1)).toEqual([]);
  });
});

describe('relayed messages on their destination', () => {
  const messages = outboxEntries('spn-a', ['0x' + '01'.repeat(32)], [ok([out('spn-b', 1), out('spn-b', 2), out('spn-c', 3)])], 1);
  const leaves = messages.map(messageLeaf);
  const root = messagesRoot(leaves);
  const relayed = (i: number): RelayedMessage => ({
    message: messages[i],
    traceId: leaves[i],
    seq: i + 1,
    srcBatchNo: 4,
    messagesRoot: root,
    proof: messageProof(leaves, i),
  });

  it('takes a message for itself whose proof puts it under the signed root', () => {
    expect(relayedMessageProblem('spn-b', relayed(0))).toBeUndefined();
    expect(relayedMessageProblem('spn-b', relayed(1))).toBeUndefined();
  });

  it('refuses one for another SPN, a changed message, and a proof against another root', () => {
    expect(relayedMessageProblem('spn-b', relayed(2))).toBe('it is for SPN "spn-c"');
    const changed = relayed(0);
    changed.message = { ...changed.message, args: ['1000000'] };
    expect(relayedMessageProblem('spn-b', changed)).toMatch(/^its trace id 0x[0-9a-f]{64} is not its hash 0x[0-9a-f]{64}$/);
    expect(relayedMessageProblem('spn-b', { ...relayed(0), messagesRoot: messagesRoot(leaves.slice(0, 2)) })).toMatch(
      /^its proof does not put it under messagesRoot 0x[0-9a-f]{64} of batch 4 of SPN "spn-a"$/,
    );
    expect(relayedMessageProblem('spn-b', { ...relayed(0), proof: relayed(1).proof })).toMatch(/^its proof does not/);
  });

  it('runs as a call with the source first in its args, and reports its result', () => {
    const body = inboxBody(relayed(0));
    expect(body).toEqual({
      call: { plugin: 'bridge', method: 'receive', args: ['spn-a', 'bridge', '1'], gasLimit: String(MESSAGE_GAS_LIMIT) },
      message: { traceId: leaves[0], srcSpn: 'spn-a', nonce: 1, srcBatchNo: 4 },
    });
    const base = { traceId: leaves[0], srcSpn: 'spn-a', nonce: 1 };
    expect(messageResult(body.message, ok())).toEqual({ ...base, status: 'executed', retryable: false });
    const failed = (status: string, error?: string) => messageResult(body.message, { status, gasUsed: '1', ...(error ? { error } : {}) });
    expect(failed('reverted', 'insufficient balance')).toEqual({
      ...base,
      status: 'failed',
      error: 'insufficient balance',
      retryable: false,
    });
    expect(failed('out_of_gas', 'out of gas (limit 5)')).toMatchObject({ status: 'failed', retryable: true });
    expect(failed('reverted', 'unknown plugin "bridge"')).toMatchObject({ retryable: true });
    expect(failed('reverted', 'plugin "bridge" has no method "receive"')).toMatchObject({ retryable: true });
    expect(failed('trap')).toEqual({ ...base, status: 'failed', error: 'trap', retryable: false });
  });
});
