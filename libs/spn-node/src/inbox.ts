import { MESSAGE_GAS_LIMIT, messageLeaf, verifyMessageProof, type MessageResult, type RelayedMessage } from '@mesh/core';
import type { DataSource } from 'typeorm';
import type { TxReceipt } from './executor';
import type { MainnetPort } from './mainnet-port';

/** What an inbox row's body holds about its message (beside the call it runs). */
export interface InboxMessage {
  traceId: string;
  srcSpn: string;
  nonce: number;
  srcBatchNo: number;
}

/**
 * Why a relayed message must not run here, or undefined when it may: it is for this SPN, its
 * trace id is its leaf, and the proof puts that leaf under the source batch's signed root.
 */
export function relayedMessageProblem(spnId: string, relayed: RelayedMessage): string | undefined {
  const { message } = relayed;
  if (message.dstSpn !== spnId) return `it is for SPN "${message.dstSpn}"`;
  const leaf = messageLeaf(message);
  if (leaf !== relayed.traceId.toLowerCase()) return `its trace id ${relayed.traceId} is not its hash ${leaf}`;
  if (!verifyMessageProof(relayed.messagesRoot, leaf, relayed.proof))
    return `its proof does not put it under messagesRoot ${relayed.messagesRoot} of batch ${relayed.srcBatchNo} of SPN "${message.srcSpn}"`;
  return undefined;
}

/**
 * The SPN's inbox: takes the messages the mainnet relays to this SPN, checks each one's inclusion
 * proof, and adds it to the mempool as a tx of kind `message` (a call of its plugin's method from
 * `MESSAGE_CALLER`, with args `[srcSpn, srcPlugin, ...args]`). The row's hash is the trace id and
 * its (sender, nonce) is (`spn:<source>`, nonce), so a message is taken once however often it is
 * relayed, also across restarts.
 */
export class Inbox {
  /** The mainnet's seq of the last message taken (0 after a start: messages taken before are skipped by their key). */
  private afterSeq = 0;

  constructor(
    private readonly db: DataSource,
    private readonly spnId: string,
    private readonly mainnet: MainnetPort,
    private readonly warn: (message: string) => void,
  ) {}

  /** Takes what the mainnet relays now; resolves to the number of messages new to the mempool. */
  async pull(): Promise<number> {
    const relayed = await this.mainnet.pendingMessages(this.spnId, this.afterSeq);
    const accepted: RelayedMessage[] = [];
    for (const r of relayed) {
      const problem = relayedMessageProblem(this.spnId, r);
      if (problem) this.warn(`relayed message ${r.traceId} refused: ${problem}`);
      else accepted.push(r);
    }
    let added = 0;
    if (accepted.length > 0) {
      const rows: unknown[] = await this.db.query(
        `INSERT INTO spn_tx (spn_id, hash, kind, sender, nonce, body)
         SELECT $1, u.hash, 'message', u.sender, u.nonce, u.body FROM unnest($2::text[], $3::text[], $4::bigint[], $5::jsonb[]) AS u(hash, sender, nonce, body)
         ON CONFLICT DO NOTHING RETURNING hash`,
        [
          this.spnId,
          accepted.map((r) => r.traceId.toLowerCase()),
          accepted.map((r) => `spn:${r.message.srcSpn}`),
          accepted.map((r) => r.message.nonce),
          accepted.map((r) => JSON.stringify(inboxBody(r))),
        ],
      );
      added = rows.length;
    }
    if (relayed.length > 0) this.afterSeq = Math.max(this.afterSeq, ...relayed.map((r) => r.seq));
    return added;
  }
}

/** The mempool body of a relayed message: the call it runs, and where it came from. */
export function inboxBody(r: RelayedMessage): { call: Record<string, unknown>; message: InboxMessage } {
  const m = r.message;
  return {
    call: { plugin: m.plugin, method: m.method, args: [m.srcSpn, m.srcPlugin, ...m.args], gasLimit: String(MESSAGE_GAS_LIMIT) },
    message: { traceId: r.traceId.toLowerCase(), srcSpn: m.srcSpn, nonce: m.nonce, srcBatchNo: r.srcBatchNo },
  };
}

/**
 * A run message's result, from its receipt. A failure is retryable when another attempt could get
 * past it: gas or memory ran out, or the plugin or method is not deployed here (yet).
 */
export function messageResult(message: InboxMessage, receipt: TxReceipt): MessageResult {
  const base = { traceId: message.traceId, srcSpn: message.srcSpn, nonce: message.nonce };
  if (receipt.status === 'success') return { ...base, status: 'executed', retryable: false };
  const error = receipt.error ?? receipt.status;
  const retryable = receipt.status === 'out_of_gas' || receipt.status === 'out_of_memory' || /^unknown plugin |has no method /.test(error);
  return { ...base, status: 'failed', error, retryable };
}
