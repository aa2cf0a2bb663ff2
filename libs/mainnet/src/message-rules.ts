import { messageLeaf, messageResultsHash, messagesRoot, type MessageResult } from '@mesh/core';
import { SettlementRejectedError } from './errors';
import type { ParsedSubmission } from './submission';

/**
 * The message rules a batch must meet before anything is looked up (ARCHITECTURE.md, step 8):
 * the messages it sent are its own, numbered on from the SPN's last settled nonce without a gap,
 * and hash to the header's `messagesRoot`; its results hash to `resultsHash`, one per message.
 * Returns the messages' leaves (their trace ids), in order.
 */
export function checkMessages(spnId: string, lastNonce: number, submission: ParsedSubmission): string[] {
  const { header, messages, results } = submission;
  messages.forEach((m, i) => {
    if (m.srcSpn !== spnId) throw new SettlementRejectedError('messages', `messages[${i}].srcSpn is "${m.srcSpn}", not "${spnId}"`);
    const expected = lastNonce + 1 + i;
    if (m.nonce !== expected) {
      throw new SettlementRejectedError(
        'messages',
        `messages[${i}] has nonce ${m.nonce}, expected ${expected} (SPN "${spnId}" has settled ${lastNonce === 0 ? 'no message yet' : `messages up to nonce ${lastNonce}`})`,
      );
    }
  });
  const leaves = messages.map(messageLeaf);
  const root = messagesRoot(leaves);
  if (root !== header.messagesRoot.toLowerCase()) {
    throw new SettlementRejectedError(
      'messagesRoot',
      `header.messagesRoot ${header.messagesRoot} does not match the posted messages, whose root is ${root}`,
    );
  }
  const resultsHash = messageResultsHash(results);
  if (resultsHash !== header.resultsHash.toLowerCase()) {
    throw new SettlementRejectedError(
      'resultsHash',
      `header.resultsHash ${header.resultsHash} does not match the posted results, which hash to ${resultsHash}`,
    );
  }
  const seen = new Set<string>();
  results.forEach((r, i) => {
    const id = r.traceId.toLowerCase();
    if (seen.has(id)) throw new SettlementRejectedError('results', `results[${i}] repeats the result of message ${r.traceId}`);
    seen.add(id);
  });
  return leaves;
}

/** A settled message a result is about, as stored. */
export interface RelayingMessage {
  traceId: string;
  srcSpn: string;
  nonce: number;
  dstSpn: string;
  status: string;
}

/**
 * Each result must be about a message the mainnet relays to this SPN and that has no result yet
 * (`stored`: the rows of the results' trace ids).
 */
export function checkResultTargets(spnId: string, results: readonly MessageResult[], stored: readonly RelayingMessage[]): void {
  const byId = new Map(stored.map((m) => [m.traceId, m]));
  results.forEach((r, i) => {
    const m = byId.get(r.traceId.toLowerCase());
    if (!m) throw new SettlementRejectedError('results', `results[${i}] is about message ${r.traceId}, which the mainnet never relayed`);
    if (m.dstSpn !== spnId)
      throw new SettlementRejectedError('results', `results[${i}]: message ${r.traceId} goes to SPN "${m.dstSpn}", not "${spnId}"`);
    if (m.srcSpn !== r.srcSpn || m.nonce !== r.nonce) {
      throw new SettlementRejectedError(
        'results',
        `results[${i}] names message ${r.srcSpn}#${r.nonce}, but ${r.traceId} is ${m.srcSpn}#${m.nonce}`,
      );
    }
    if (m.status !== 'relaying')
      throw new SettlementRejectedError('results', `results[${i}]: message ${r.traceId} already has a result (${m.status})`);
  });
}

/** How a settled message starts on the mainnet, given its destination's VM (undefined: not registered). */
export interface MessageArrival {
  status: 'relaying' | 'failed';
  error: string | null;
  retryable: boolean | null;
}

/**
 * A message to a Wasm SPN is relayed; one to an SPN that is not registered fails at once
 * (retryable: it may register), one to an SPN of another VM fails for good (only Wasm SPNs take messages).
 */
export function arrivalOf(dstSpn: string, vmKind: string | undefined): MessageArrival {
  if (vmKind === undefined) return { status: 'failed', error: `SPN "${dstSpn}" is not registered`, retryable: true };
  if (vmKind !== 'wasm') {
    return {
      status: 'failed',
      error: `SPN "${dstSpn}" runs the ${vmKind.toUpperCase()}, which does not take messages (only Wasm SPNs do)`,
      retryable: false,
    };
  }
  return { status: 'relaying', error: null, retryable: null };
}
