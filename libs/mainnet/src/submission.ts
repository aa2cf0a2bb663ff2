import {
  canonicalJson,
  MESSAGE_LIMITS,
  METHOD_NAME,
  PLUGIN_NAME,
  SPN_ID_PATTERN,
  toField,
  type BatchHeader,
  type CrossMessage,
  type MessageResult,
  type SettlementChunkJson,
} from '@mesh/core';
import type { DiffEntry } from '@mesh/state';
import { SettlementRejectedError } from './errors';

/** One chunk read from a submission: its statement and updates as field elements, the proof as sent. */
export interface ParsedChunk {
  oldRoot: bigint;
  newRoot: bigint;
  diffHash: bigint;
  chunkIndex: number;
  proof: unknown;
  updates: DiffEntry[];
}

/**
 * A submission whose shape has been checked. `header`, `chunks` and `txData` are the objects as
 * sent (they are what the signature and the hashes cover, and what is stored); the other fields
 * are typed views of them.
 */
export interface ParsedSubmission {
  header: BatchHeader;
  chunks: SettlementChunkJson[];
  txData: unknown[];
  messages: CrossMessage[];
  results: MessageResult[];
  signature: string;
  preRoot: bigint;
  postRoot: bigint;
  parsedChunks: ParsedChunk[];
  updateCount: number;
}

/** Most chunks a batch may have; each costs a pairing check. */
export const MAX_CHUNKS_PER_BATCH = 10_000;

/** Most messages (sent, or results of run ones) a batch may carry, each. */
export const MAX_MESSAGES_PER_BATCH = 100_000;

const HASH = /^0x[0-9a-fA-F]{64}$/;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const DECIMAL = /^[0-9]{1,80}$/;

function malformed(reason: string): SettlementRejectedError {
  return new SettlementRejectedError('malformed', reason);
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function exactKeys(value: Record<string, unknown>, keys: readonly string[], what: string): void {
  const unknown = Object.keys(value).filter((k) => !keys.includes(k));
  if (unknown.length > 0) throw malformed(`${what} has unknown field(s): ${unknown.join(', ')}`);
  const missing = keys.filter((k) => value[k] === undefined);
  if (missing.length > 0) throw malformed(`${what} is missing ${missing.join(', ')}`);
}

function integer(value: unknown, min: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw malformed(`${what} must be an integer >= ${min}`);
  return value;
}

function field(value: unknown, what: string): bigint {
  if (typeof value !== 'string' && typeof value !== 'number') throw malformed(`${what} must be a field element as a decimal string`);
  try {
    return toField(value, what);
  } catch (err) {
    throw malformed((err as Error).message);
  }
}

function hash(value: unknown, what: string): string {
  if (typeof value !== 'string' || !HASH.test(value)) throw malformed(`${what} must be a 0x-prefixed 32-byte hex hash`);
  return value;
}

function decimals(value: unknown, length: number, what: string): void {
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => typeof v === 'string' && DECIMAL.test(v))) {
    throw malformed(`${what} must be an array of ${length} decimal strings`);
  }
}

function checkProofShape(value: unknown, what: string): void {
  const proof = object(value, what);
  exactKeys(proof, ['pi_a', 'pi_b', 'pi_c', 'protocol', 'curve'], what);
  if (proof.protocol !== 'groth16') throw malformed(`${what}.protocol must be "groth16"`);
  if (proof.curve !== 'bn128') throw malformed(`${what}.curve must be "bn128"`);
  decimals(proof.pi_a, 3, `${what}.pi_a`);
  if (!Array.isArray(proof.pi_b) || proof.pi_b.length !== 3) throw malformed(`${what}.pi_b must be an array of 3 pairs`);
  proof.pi_b.forEach((pair, i) => decimals(pair, 2, `${what}.pi_b[${i}]`));
  decimals(proof.pi_c, 3, `${what}.pi_c`);
}

/**
 * Postgres jsonb cannot hold U+0000 nor unpaired surrogates (JSON.stringify writes both as
 * \u escapes); a batch holding them could be checked but not stored, so it is refused up front.
 */
const UNSTORABLE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/** Checks the shape of an untrusted submission; every problem is a SettlementRejectedError('malformed'). */
export function parseSubmission(value: unknown): ParsedSubmission {
  const body = object(value, 'submission');
  exactKeys(body, ['header', 'chunks', 'txData', 'messages', 'results', 'signature'], 'submission');
  const header = object(body.header, 'header');
  exactKeys(
    header,
    ['spnId', 'batchNo', 'preRoot', 'postRoot', 'firstBlock', 'lastBlock', 'chunksHash', 'txDataHash', 'messagesRoot', 'resultsHash'],
    'header',
  );
  if (typeof header.spnId !== 'string' || header.spnId.length === 0 || header.spnId.length > 64)
    throw malformed('header.spnId must be an SPN id');
  integer(header.batchNo, 1, 'header.batchNo');
  const preRoot = field(header.preRoot, 'header.preRoot');
  const postRoot = field(header.postRoot, 'header.postRoot');
  integer(header.firstBlock, 0, 'header.firstBlock');
  integer(header.lastBlock, 0, 'header.lastBlock');
  hash(header.chunksHash, 'header.chunksHash');
  hash(header.txDataHash, 'header.txDataHash');
  hash(header.messagesRoot, 'header.messagesRoot');
  hash(header.resultsHash, 'header.resultsHash');
  if (typeof body.signature !== 'string' || !SIGNATURE.test(body.signature))
    throw malformed('signature must be a 0x-prefixed 65-byte hex signature');

  if (!Array.isArray(body.chunks)) throw malformed('chunks must be an array');
  if (body.chunks.length > MAX_CHUNKS_PER_BATCH)
    throw malformed(`a batch may have at most ${MAX_CHUNKS_PER_BATCH} chunks, got ${body.chunks.length}`);
  let updateCount = 0;
  const parsedChunks = body.chunks.map((raw, i): ParsedChunk => {
    const what = `chunks[${i}]`;
    const chunk = object(raw, what);
    exactKeys(chunk, ['statement', 'proof', 'updates'], what);
    const statement = object(chunk.statement, `${what}.statement`);
    exactKeys(statement, ['oldRoot', 'newRoot', 'diffHash', 'chunkIndex'], `${what}.statement`);
    checkProofShape(chunk.proof, `${what}.proof`);
    if (!Array.isArray(chunk.updates)) throw malformed(`${what}.updates must be an array`);
    const updates = chunk.updates.map((rawUpdate, j): DiffEntry => {
      const w = `${what}.updates[${j}]`;
      const u = object(rawUpdate, w);
      exactKeys(u, ['index', 'key', 'oldValue', 'newValue'], w);
      return {
        index: integer(u.index, 0, `${w}.index`),
        key: field(u.key, `${w}.key`),
        oldValue: field(u.oldValue, `${w}.oldValue`),
        newValue: field(u.newValue, `${w}.newValue`),
      };
    });
    updateCount += updates.length;
    return {
      oldRoot: field(statement.oldRoot, `${what}.statement.oldRoot`),
      newRoot: field(statement.newRoot, `${what}.statement.newRoot`),
      diffHash: field(statement.diffHash, `${what}.statement.diffHash`),
      chunkIndex: integer(statement.chunkIndex, 0, `${what}.statement.chunkIndex`),
      proof: chunk.proof,
      updates,
    };
  });
  if (!Array.isArray(body.txData)) throw malformed('txData must be an array');
  if (UNSTORABLE.test(canonicalJson(body.txData))) {
    throw malformed('txData contains a NUL character (\\u0000) or an unpaired surrogate, which cannot be stored');
  }

  const messages = list(body.messages, 'messages').map((m, i) => parseMessage(m, `messages[${i}]`));
  const results = list(body.results, 'results').map((r, i) => parseResult(r, `results[${i}]`));
  if (UNSTORABLE.test(canonicalJson(messages)) || UNSTORABLE.test(canonicalJson(results))) {
    throw malformed('messages or results contain a NUL character (\\u0000) or an unpaired surrogate, which cannot be stored');
  }

  return {
    header: header as unknown as BatchHeader,
    chunks: body.chunks as SettlementChunkJson[],
    txData: body.txData,
    messages,
    results,
    signature: body.signature,
    preRoot,
    postRoot,
    parsedChunks,
    updateCount,
  };
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw malformed(`${what} must be an array`);
  if (value.length > MAX_MESSAGES_PER_BATCH) throw malformed(`${what} may hold at most ${MAX_MESSAGES_PER_BATCH} entries`);
  return value;
}

function matching(value: unknown, pattern: RegExp, what: string, rule: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw malformed(`${what} must be ${rule}`);
  return value;
}

/** A message a batch's txs sent: every field present, each the right kind of value. */
function parseMessage(value: unknown, what: string): CrossMessage {
  const m = object(value, what);
  exactKeys(m, ['srcSpn', 'nonce', 'srcPlugin', 'txHash', 'dstSpn', 'plugin', 'method', 'args'], what);
  if (!Array.isArray(m.args) || m.args.length > MESSAGE_LIMITS.args || !m.args.every((a) => typeof a === 'string'))
    throw malformed(`${what}.args must be an array of at most ${MESSAGE_LIMITS.args} strings`);
  return {
    srcSpn: matching(m.srcSpn, SPN_ID_PATTERN, `${what}.srcSpn`, 'an SPN id'),
    nonce: integer(m.nonce, 1, `${what}.nonce`),
    srcPlugin: matching(m.srcPlugin, PLUGIN_NAME, `${what}.srcPlugin`, 'a plugin name'),
    txHash: hash(m.txHash, `${what}.txHash`),
    dstSpn: matching(m.dstSpn, SPN_ID_PATTERN, `${what}.dstSpn`, 'an SPN id'),
    plugin: matching(m.plugin, PLUGIN_NAME, `${what}.plugin`, 'a plugin name'),
    method: matching(m.method, METHOD_NAME, `${what}.method`, 'a method name'),
    args: m.args as string[],
  };
}

/** The result of a relayed message the batch's blocks ran. */
function parseResult(value: unknown, what: string): MessageResult {
  const r = object(value, what);
  const keys = ['traceId', 'srcSpn', 'nonce', 'status', 'retryable'];
  exactKeys(r, r.error === undefined ? keys : [...keys, 'error'], what);
  if (r.status !== 'executed' && r.status !== 'failed') throw malformed(`${what}.status must be "executed" or "failed"`);
  if (typeof r.retryable !== 'boolean') throw malformed(`${what}.retryable must be a boolean`);
  if (r.error !== undefined && (typeof r.error !== 'string' || r.error.length > 2048))
    throw malformed(`${what}.error must be a string of at most 2048 characters`);
  const result: MessageResult = {
    traceId: hash(r.traceId, `${what}.traceId`),
    srcSpn: matching(r.srcSpn, SPN_ID_PATTERN, `${what}.srcSpn`, 'an SPN id'),
    nonce: integer(r.nonce, 1, `${what}.nonce`),
    status: r.status,
    retryable: r.retryable,
  };
  if (r.error !== undefined) result.error = r.error as string;
  return result;
}
