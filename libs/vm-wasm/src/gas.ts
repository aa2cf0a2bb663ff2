/**
 * Gas costs. The instruction, memory and stack entries are baked into a plugin's code when it is
 * prepared (see `meteringKey`); the others are charged by the host at call time.
 */
export interface GasSchedule {
  /** Intrinsic cost of every call (instantiation, argument encoding). */
  callBase: bigint;
  /** Per executed wasm instruction, charged once per metered block (see README). */
  instruction: bigint;
  /** Per 64 KiB page added by `memory.grow`. */
  memoryPage: bigint;
  /** Per started 32 bytes moved by `memory.copy` / `memory.fill` / `memory.init`. */
  bulkMemory32: bigint;
  /** Every host (`mesh.*`, `env.abort`) call, on top of the specific costs below. */
  hostCall: bigint;
  /** `storage_get`. */
  storageRead: bigint;
  /** `storage_get`, per key byte and per value byte returned. */
  storageReadByte: bigint;
  /** `storage_set`. */
  storageWrite: bigint;
  /** `storage_set` / `storage_delete`, per key byte and per value byte written. */
  storageWriteByte: bigint;
  /** `storage_delete`. */
  storageDelete: bigint;
  /** `emit`. */
  emit: bigint;
  /** `emit`, per name byte and data byte. */
  emitByte: bigint;
  /** `args_read`, `set_return`, `revert`: per byte copied. */
  copyByte: bigint;
  /** `send_message`: the message's outbox row, its leaf and its relay. */
  message: bigint;
  /** `send_message`, per byte of the encoded message. */
  messageByte: bigint;
}

export const DEFAULT_GAS_SCHEDULE: Readonly<GasSchedule> = Object.freeze({
  callBase: 2_000n,
  instruction: 1n,
  memoryPage: 2_000n,
  bulkMemory32: 1n,
  hostCall: 20n,
  storageRead: 200n,
  storageReadByte: 2n,
  storageWrite: 1_000n,
  storageWriteByte: 10n,
  storageDelete: 500n,
  emit: 300n,
  emitByte: 4n,
  copyByte: 1n,
  message: 5_000n,
  messageByte: 8n,
});
