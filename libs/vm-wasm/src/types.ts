import type { OutboundMessage } from '@mesh/core';

/** Synchronous reads of committed state (the SPN's view of the state before this call). */
export interface StorageView {
  get(key: Uint8Array): Uint8Array | undefined;
}

export interface CallContext {
  /** 0x + 40 hex digits. */
  caller: string;
  blockHeight: bigint;
  /** Milliseconds. */
  blockTime: bigint;
  gasLimit: bigint;
}

export interface PluginEvent {
  name: string;
  data: string;
}

export type ExecutionStatus = 'success' | 'reverted' | 'out_of_gas' | 'trap' | 'out_of_memory';

export interface ExecutionResult {
  status: ExecutionStatus;
  gasUsed: bigint;
  /** Human-readable reason when the status is not `success`. */
  error?: string;
  /** Key as lowercase hex (no 0x) -> new value, `null` = deleted. Empty unless `success`. */
  writes: Map<string, Uint8Array | null>;
  /** Every key the call read (hex), whatever the status; includes keys it had written itself. */
  reads: Set<string>;
  /** Empty unless `success`. */
  events: PluginEvent[];
  /** Empty unless `success`. */
  returnData: Uint8Array;
  /** Messages to other SPNs (`mesh.send_message`), in the order sent. Empty unless `success`. */
  messages: OutboundMessage[];
}
