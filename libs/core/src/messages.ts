import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { ZeroHash } from 'ethers';
import { hashCanonical } from './canonical-json';
import { InvalidInputError } from './errors';

/**
 * Cross-SPN messages (ARCHITECTURE.md, data flow step 8). A plugin call sends a message to a
 * method of a plugin on another SPN; the source SPN numbers it (`nonce`, per source SPN, in block
 * and tx order), commits to its batch's messages in the signed header (`messagesRoot`), and the
 * mainnet relays each settled message with a Merkle inclusion proof against that root. The
 * destination runs it once, as a call from `MESSAGE_CALLER` with args `[srcSpn, srcPlugin,
 * ...args]`, and its result settles back with the destination's own batch (`resultsHash`).
 */

/** An SPN id: 1 to 32 characters a-z, 0-9 or -. */
export const SPN_ID_PATTERN = /^[a-z0-9-]{1,32}$/;

/**
 * The caller a delivered message's call sees: the zero address, for which no key signs, so a
 * plugin that reads it knows the call is a relayed message and not a user's tx.
 */
export const MESSAGE_CALLER = '0x0000000000000000000000000000000000000000';

/** What a plugin call asks to send (the runtime's view, before the SPN numbers it). */
export interface OutboundMessage {
  dstSpn: string;
  plugin: string;
  method: string;
  args: string[];
}

/** Limits on a message (checked by the Wasm runtime when a plugin sends one). */
export const MESSAGE_LIMITS = Object.freeze({
  /** Messages one call may send. */
  perCall: 16,
  /** Bytes of one encoded message (destination, plugin, method and args, each with its 4-byte length). */
  bytes: 4096,
  /** Args of one message. */
  args: 32,
});

/** A message as it settles: numbered by its source SPN, traced by the hash of this object. */
export interface CrossMessage extends OutboundMessage {
  srcSpn: string;
  /** 1, 2, 3, ... per source SPN. */
  nonce: number;
  /** The plugin whose call sent it. */
  srcPlugin: string;
  /** The tx that sent it. */
  txHash: string;
}

/** What became of a message on its destination, settled with the destination's batch. */
export interface MessageResult {
  traceId: string;
  srcSpn: string;
  nonce: number;
  status: 'executed' | 'failed';
  error?: string;
  /** A failure another attempt could get past (out of gas, a plugin or method not deployed there). */
  retryable: boolean;
}

/** Gas a relayed message's call may use on its destination. */
export const MESSAGE_GAS_LIMIT = 5_000_000n;

/** A settled message as the mainnet hands it to its destination. */
export interface RelayedMessage {
  message: CrossMessage;
  traceId: string;
  /** The mainnet's order of settled messages: a destination asks for those after the last it took. */
  seq: number;
  /** The source batch that settled it, and the root its header signed. */
  srcBatchNo: number;
  messagesRoot: string;
  /** Sibling hashes from the leaf (`traceId`) up to `messagesRoot` (OpenZeppelin SimpleMerkleTree). */
  proof: string[];
}

/**
 * The message's leaf in its batch's tree and its trace id: keccak256 of its canonical JSON.
 * Unique per message (it holds the source SPN and nonce).
 */
export function messageLeaf(message: CrossMessage): string {
  return hashCanonical({
    srcSpn: message.srcSpn,
    nonce: message.nonce,
    srcPlugin: message.srcPlugin,
    txHash: message.txHash,
    dstSpn: message.dstSpn,
    plugin: message.plugin,
    method: message.method,
    args: message.args,
  });
}

/** The root over a batch's message leaves in nonce order; the zero hash when it has none. */
export function messagesRoot(leaves: readonly string[]): string {
  return messageTree(leaves).root;
}

/** A batch's message tree, built once: its root and the inclusion proof of each leaf. */
export interface MessageTree {
  root: string;
  proof(index: number): string[];
}

export function messageTree(leaves: readonly string[]): MessageTree {
  const built = leaves.length === 0 ? undefined : tree(leaves);
  return {
    root: built?.root ?? ZeroHash,
    proof(index: number): string[] {
      if (!built || !Number.isInteger(index) || index < 0 || index >= leaves.length)
        throw new InvalidInputError(`no message ${index} in a batch of ${leaves.length}`);
      return built.getProof(index);
    },
  };
}

/** The inclusion proof of `leaves[index]` (`messageTree` builds the tree once for many proofs). */
export function messageProof(leaves: readonly string[], index: number): string[] {
  return messageTree(leaves).proof(index);
}

/** Whether `proof` shows `leaf` under `root`; false (never a throw) for malformed input. */
export function verifyMessageProof(root: string, leaf: string, proof: readonly string[]): boolean {
  try {
    return SimpleMerkleTree.verify(root, leaf, [...proof]);
  } catch {
    return false;
  }
}

/** The hash a batch header signs over its message results. */
export function messageResultsHash(results: readonly MessageResult[]): string {
  return hashCanonical(results);
}

function tree(leaves: readonly string[]): SimpleMerkleTree {
  return SimpleMerkleTree.of([...leaves], { sortLeaves: false });
}
