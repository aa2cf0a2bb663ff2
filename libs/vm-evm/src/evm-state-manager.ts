import type { AccountFields, StateManagerInterface } from '@ethereumjs/common';
import { Account, Address, KECCAK256_NULL, KECCAK256_RLP, bigIntToBytes, bytesToBigInt, equalsBytes, hexToBytes } from '@ethereumjs/util';
import { keccak256 } from 'ethers';
import { MeshError } from '@mesh/core';
import { hexDigits, hexOf } from './hex';
import { accountKeys, joinWord, splitWord, storageKeys, type AccountKeys, type StorageKeys } from './evm-state-keys';

/** Committed SPN state (tree key -> value, 0 = absent), read synchronously (the node's StateCache). */
export interface EvmStateReader {
  get(key: bigint): bigint;
}

/** Contract code by its keccak256 hash (0x hex, lowercase). */
export interface CodeSource {
  get(codeHash: string): Promise<Uint8Array | undefined>;
}

/**
 * A failure of the host (state or code the SPN should have and does not), not of a transaction:
 * it propagates out of `runBlock` instead of becoming a failed receipt.
 */
export class EvmHostError extends MeshError {
  constructor(message: string) {
    super('EVM_HOST', message);
  }
}

const EMPTY = new Uint8Array(0);

/** An account as the state manager holds it; immutable (a write replaces the record). */
interface AccountRecord {
  readonly nonce: bigint;
  readonly balance: bigint;
  /** KECCAK256_NULL when the account has no code. */
  readonly codeHash: Uint8Array;
}

interface AccountEntry {
  readonly address: string; // unprefixed lowercase hex
  readonly keys: AccountKeys;
  /** Committed value (undefined: no such account). */
  readonly base: AccountRecord | undefined;
  current: AccountRecord | undefined;
  /** Storage entries of this account loaded or written in this block (what clearStorage can reach). */
  slots: StorageEntry[] | undefined;
}

interface StorageEntry {
  readonly keys: StorageKeys;
  readonly base: bigint;
  current: bigint;
}

/**
 * Tree keys are keccak256 hashes: computing them on every access would cost more than the
 * EVM's own work, so they are remembered across blocks (bounded; cleared wholesale when full).
 */
export class EvmKeyCache {
  private readonly accounts = new Map<string, AccountKeys>();
  private readonly slots = new Map<string, StorageKeys>();

  constructor(private readonly maxEntries = 100_000) {}

  account(addressHex: string, addressBytes: Uint8Array): AccountKeys {
    let keys = this.accounts.get(addressHex);
    if (keys === undefined) {
      if (this.accounts.size >= this.maxEntries) this.accounts.clear();
      keys = accountKeys(addressBytes);
      this.accounts.set(addressHex, keys);
    }
    return keys;
  }

  storage(slotId: string, addressBytes: Uint8Array, slot: Uint8Array): StorageKeys {
    let keys = this.slots.get(slotId);
    if (keys === undefined) {
      if (this.slots.size >= this.maxEntries) this.slots.clear();
      keys = storageKeys(addressBytes, slot);
      this.slots.set(slotId, keys);
    }
    return keys;
  }
}

/** Code by hash, shared by an engine's blocks and calls (content-addressed, so never stale). */
export class EvmCodeCache {
  private readonly code = new Map<string, Uint8Array>();
  constructor(private readonly maxEntries = 10_000) {}
  get(hash: string): Uint8Array | undefined {
    return this.code.get(hash);
  }
  set(hash: string, code: Uint8Array): void {
    if (this.code.size >= this.maxEntries) this.code.clear();
    this.code.set(hash, code);
  }
}

/** Reads an account's committed fields from the tree (undefined when every field is 0). */
export function readAccount(state: EvmStateReader, keys: AccountKeys): AccountRecord | undefined {
  const nonce = state.get(keys.nonce);
  const balance = joinWord(state.get(keys.balanceHi), state.get(keys.balanceLo));
  const hi = state.get(keys.codeHashHi);
  const lo = state.get(keys.codeHashLo);
  if (nonce === 0n && balance === 0n && hi === 0n && lo === 0n) return undefined;
  const codeHash = hi === 0n && lo === 0n ? KECCAK256_NULL : wordBytes(joinWord(hi, lo));
  return { nonce, balance, codeHash };
}

function wordBytes(word: bigint): Uint8Array {
  const out = new Uint8Array(32);
  const bytes = bigIntToBytes(word);
  out.set(bytes, 32 - bytes.length);
  return out;
}

function codeHashWord(codeHash: Uint8Array): bigint {
  return equalsBytes(codeHash, KECCAK256_NULL) ? 0n : bytesToBigInt(codeHash);
}

/** The net result of a block: tree writes (0 = delete) and the code it deployed. */
export interface StateDiff {
  writes: Map<bigint, bigint>;
  newCode: Map<string, Uint8Array>;
  /**
   * The accounts behind `newCode`: the tree keys of each one's code hash halves and the new hash
   * (what block assembly of per-tx diffs needs to tell which deployments survive the block).
   */
  deployments: CodeDeployment[];
}

/** An account whose code hash changed to a non-empty one: its code-hash tree keys and that hash. */
export interface CodeDeployment {
  codeHashHi: bigint;
  codeHashLo: bigint;
  /** keccak256 of the code, 0x lowercase hex (a key of `newCode`). */
  hash: string;
}

/**
 * The EVM's view of the SPN state for one block: reads come from the committed tree (through
 * the key mapping of evm-state-keys.ts), writes stay in memory, journaled for the EVM's
 * checkpoint / commit / revert, and `diff()` gives the block's net writes as tree updates.
 *
 * Limitations (documented in the README):
 * - `clearStorage` cannot enumerate the tree: it zeroes the slots of the account this block has
 *   loaded or written. Since Cancun (EIP-6780) the EVM clears storage only of accounts created
 *   in the same transaction (all their slots were written in this block) and of CREATE targets,
 *   which in this state never have storage (no account without code or nonce can get storage).
 * - State roots are not meaningful here (the SPN tree gives them): `getStateRoot` returns
 *   KECCAK256_RLP as a constant, `setStateRoot` / `hasStateRoot` throw.
 * - Accounts report KECCAK256_RLP as storage root (EIP-7610's non-empty-storage collision check
 *   therefore never fires; see clearStorage above for why no such account exists).
 */
export class SpnStateManager implements StateManagerInterface {
  private accounts = new Map<string, AccountEntry>();
  private storage = new Map<string, StorageEntry>();
  /** Code seen or deployed in this block, by hash. */
  private readonly blockCode = new Map<string, Uint8Array>();
  /** Undo log: [entry, previous value] pairs since the outermost open checkpoint. */
  private readonly undoEntries: (AccountEntry | StorageEntry)[] = [];
  private readonly undoValues: (AccountRecord | undefined | bigint)[] = [];
  private readonly marks: number[] = [];
  private original = new Map<string, Uint8Array>();

  readonly originalStorageCache = {
    get: async (address: Address, key: Uint8Array): Promise<Uint8Array> => {
      const id = slotId(address, key);
      const seen = this.original.get(id);
      if (seen !== undefined) return seen;
      const value = await this.getStorage(address, key);
      this.original.set(id, value);
      return value;
    },
    clear: (): void => {
      if (this.original.size > 0) this.original = new Map();
    },
  };

  constructor(
    private state: EvmStateReader,
    private readonly code: CodeSource,
    private readonly keyCache: EvmKeyCache = new EvmKeyCache(),
    private readonly codeCache: EvmCodeCache = new EvmCodeCache(),
  ) {}

  /**
   * Starts over on another reader: forgets every account, slot and undo entry, keeps the key and
   * code caches and (unless `forgetCode`, e.g. at a new block) the code deployed so far. For
   * running the txs of a block one at a time, each against its own view of the block state, on
   * one manager (and so one VM): `diff()` then gives the net writes of that tx against what it read.
   */
  reset(state: EvmStateReader, forgetCode = false): void {
    this.state = state;
    if (forgetCode) this.blockCode.clear();
    // New maps, not `clear()`: see MVMemory.clear (libs/executor) for why.
    this.accounts = new Map();
    this.storage = new Map();
    this.undoEntries.length = 0;
    this.undoValues.length = 0;
    this.marks.length = 0;
    if (this.original.size > 0) this.original = new Map();
  }

  // --- accounts ---------------------------------------------------------------------------

  private accountEntry(address: Address): AccountEntry {
    const hex = hexDigits(address.bytes);
    let entry = this.accounts.get(hex);
    if (entry === undefined) {
      const keys = this.keyCache.account(hex, address.bytes);
      const base = readAccount(this.state, keys);
      entry = { address: hex, keys, base, current: base, slots: undefined };
      this.accounts.set(hex, entry);
    }
    return entry;
  }

  private setAccount(entry: AccountEntry, value: AccountRecord | undefined): void {
    if (this.marks.length > 0) {
      this.undoEntries.push(entry);
      this.undoValues.push(entry.current);
    }
    entry.current = value;
  }

  async getAccount(address: Address): Promise<Account | undefined> {
    const rec = this.accountEntry(address).current;
    return rec === undefined ? undefined : new Account(rec.nonce, rec.balance, KECCAK256_RLP, rec.codeHash);
  }

  /** Synchronous account read (for the engine's JSON-RPC reads and pre-checks). */
  peekAccount(address: Address): { nonce: bigint; balance: bigint; codeHash: Uint8Array } | undefined {
    return this.accountEntry(address).current;
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    const entry = this.accountEntry(address);
    if (account === undefined) {
      this.setAccount(entry, undefined);
      return;
    }
    this.setAccount(entry, { nonce: account.nonce, balance: account.balance, codeHash: account.codeHash });
  }

  async deleteAccount(address: Address): Promise<void> {
    const entry = this.accountEntry(address);
    this.setAccount(entry, undefined);
    this.clearSlots(entry);
  }

  async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const entry = this.accountEntry(address);
    const rec = entry.current ?? { nonce: 0n, balance: 0n, codeHash: KECCAK256_NULL };
    this.setAccount(entry, {
      nonce: fields.nonce ?? rec.nonce,
      balance: fields.balance ?? rec.balance,
      codeHash: fields.codeHash ?? rec.codeHash,
    });
  }

  // --- code -------------------------------------------------------------------------------

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    const entry = this.accountEntry(address);
    let codeHash = KECCAK256_NULL;
    if (value.length > 0) {
      const hex = keccak256(value);
      codeHash = hexToBytes(hex as `0x${string}`);
      this.blockCode.set(hex, value);
    }
    const rec = entry.current ?? { nonce: 0n, balance: 0n, codeHash: KECCAK256_NULL };
    this.setAccount(entry, { nonce: rec.nonce, balance: rec.balance, codeHash });
  }

  async getCode(address: Address): Promise<Uint8Array> {
    const rec = this.accountEntry(address).current;
    if (rec === undefined || equalsBytes(rec.codeHash, KECCAK256_NULL)) return EMPTY;
    return this.codeByHash(hexOf(rec.codeHash));
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length;
  }

  private async codeByHash(hash: string): Promise<Uint8Array> {
    let code = this.blockCode.get(hash) ?? this.codeCache.get(hash);
    if (code !== undefined) return code;
    code = await this.code.get(hash);
    if (code === undefined) throw new EvmHostError(`contract code ${hash} is referenced by the state but missing from the code store`);
    this.codeCache.set(hash, code);
    return code;
  }

  // --- storage ----------------------------------------------------------------------------

  private storageEntry(address: Address, key: Uint8Array): StorageEntry {
    const slot = key.length === 32 ? key : padSlot(key);
    const account = this.accountEntry(address);
    const id = account.address + hexDigits(slot);
    let entry = this.storage.get(id);
    if (entry === undefined) {
      const keys = this.keyCache.storage(id, address.bytes, slot);
      const base = joinWord(this.state.get(keys.hi), this.state.get(keys.lo));
      entry = { keys, base, current: base };
      this.storage.set(id, entry);
      (account.slots ??= []).push(entry);
    }
    return entry;
  }

  private setSlot(entry: StorageEntry, value: bigint): void {
    if (entry.current === value) return;
    if (this.marks.length > 0) {
      this.undoEntries.push(entry);
      this.undoValues.push(entry.current);
    }
    entry.current = value;
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    const value = this.storageEntry(address, key).current;
    return value === 0n ? EMPTY : bigIntToBytes(value);
  }

  /** Synchronous storage read (JSON-RPC reads). */
  peekStorage(address: Address, key: Uint8Array): bigint {
    return this.storageEntry(address, key).current;
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    this.setSlot(this.storageEntry(address, key), value.length === 0 ? 0n : bytesToBigInt(value));
  }

  async clearStorage(address: Address): Promise<void> {
    this.clearSlots(this.accountEntry(address));
  }

  private clearSlots(entry: AccountEntry): void {
    if (entry.slots === undefined) return;
    for (const slot of entry.slots) this.setSlot(slot, 0n);
  }

  // --- checkpoints ------------------------------------------------------------------------

  async checkpoint(): Promise<void> {
    this.marks.push(this.undoEntries.length);
  }

  async commit(): Promise<void> {
    this.marks.pop();
    if (this.marks.length === 0) {
      this.undoEntries.length = 0;
      this.undoValues.length = 0;
    }
  }

  async revert(): Promise<void> {
    const mark = this.marks.pop() ?? 0;
    for (let i = this.undoEntries.length - 1; i >= mark; i--) {
      (this.undoEntries[i] as { current: unknown }).current = this.undoValues[i];
    }
    this.undoEntries.length = mark;
    this.undoValues.length = mark;
  }

  // --- block result -----------------------------------------------------------------------

  /**
   * The block's net effect on the tree: every key whose value differs from the committed one
   * (0 = delete), and the code of accounts whose code hash changed to a non-empty one.
   */
  diff(): StateDiff {
    if (this.marks.length > 0) throw new EvmHostError('diff() called inside an open checkpoint');
    const writes = new Map<bigint, bigint>();
    const newCode = new Map<string, Uint8Array>();
    const deployments: CodeDeployment[] = [];
    for (const entry of this.accounts.values()) {
      const { base, current, keys } = entry;
      if (base === current) continue;
      put(writes, keys.nonce, base?.nonce ?? 0n, current?.nonce ?? 0n);
      const [bHi, bLo] = splitWord(base?.balance ?? 0n);
      const [cHi, cLo] = splitWord(current?.balance ?? 0n);
      put(writes, keys.balanceHi, bHi, cHi);
      put(writes, keys.balanceLo, bLo, cLo);
      const [hHi, hLo] = splitWord(base ? codeHashWord(base.codeHash) : 0n);
      const codeWord = current ? codeHashWord(current.codeHash) : 0n;
      const [nHi, nLo] = splitWord(codeWord);
      put(writes, keys.codeHashHi, hHi, nHi);
      put(writes, keys.codeHashLo, hLo, nLo);
      if (codeWord !== 0n && (hHi !== nHi || hLo !== nLo)) {
        const hash = hexOf(current!.codeHash);
        const code = this.blockCode.get(hash);
        if (code !== undefined) {
          newCode.set(hash, code);
          deployments.push({ codeHashHi: keys.codeHashHi, codeHashLo: keys.codeHashLo, hash });
        }
      }
    }
    for (const entry of this.storage.values()) {
      if (entry.base === entry.current) continue;
      const [bHi, bLo] = splitWord(entry.base);
      const [cHi, cLo] = splitWord(entry.current);
      put(writes, entry.keys.hi, bHi, cHi);
      put(writes, entry.keys.lo, bLo, cLo);
    }
    return { writes, newCode, deployments };
  }

  /** Adds the block's deployed code to the engine-wide cache (content-addressed: always valid). */
  publishCode(code: ReadonlyMap<string, Uint8Array>): void {
    for (const [hash, bytes] of code) this.codeCache.set(hash, bytes);
  }

  // --- not meaningful over the SPN tree ----------------------------------------------------

  async getStateRoot(): Promise<Uint8Array> {
    return KECCAK256_RLP;
  }

  async setStateRoot(): Promise<void> {
    throw new EvmHostError('setStateRoot is not supported: the SPN state tree gives state roots');
  }

  async hasStateRoot(): Promise<boolean> {
    throw new EvmHostError('hasStateRoot is not supported: the SPN state tree gives state roots');
  }

  clearCaches(): void {}

  /** A manager over the same committed state and caches, without this one's uncommitted writes. */
  shallowCopy(): StateManagerInterface {
    return new SpnStateManager(this.state, this.code, this.keyCache, this.codeCache);
  }
}

/** A diff write: `key` -> `after` when it differs from `before`. */
function put(writes: Map<bigint, bigint>, key: bigint, before: bigint, after: bigint): void {
  if (before !== after) writes.set(key, after);
}

function padSlot(key: Uint8Array): Uint8Array {
  if (key.length > 32) throw new EvmHostError(`storage key of ${key.length} bytes`);
  const out = new Uint8Array(32);
  out.set(key, 32 - key.length);
  return out;
}

function slotId(address: Address, key: Uint8Array): string {
  return hexDigits(address.bytes) + hexDigits(key);
}
