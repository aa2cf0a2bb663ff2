// Rollup Mesh plugin SDK (AssemblyScript). Bindings to the host ABI (`mesh.*`) and helpers.
//
// Plugins are built with `npm run plugin:build -- <dir>` (asc --runtime stub -O3). Import this
// file relatively, or as "mesh-sdk" (the build puts this folder on the compiler's path).
// A call is one fresh instance: memory is never freed and nothing survives the call except
// what goes through Storage.

// ---- host ABI -------------------------------------------------------------------------------

// @ts-ignore: decorator
@external("mesh", "storage_get")
declare function _storage_get(keyPtr: usize, keyLen: i32, outPtr: usize): i32;
// @ts-ignore: decorator
@external("mesh", "storage_set")
declare function _storage_set(keyPtr: usize, keyLen: i32, valPtr: usize, valLen: i32): void;
// @ts-ignore: decorator
@external("mesh", "storage_delete")
declare function _storage_delete(keyPtr: usize, keyLen: i32): void;
// @ts-ignore: decorator
@external("mesh", "caller")
declare function _caller(outPtr: usize): void;
// @ts-ignore: decorator
@external("mesh", "block_height")
declare function _block_height(): i64;
// @ts-ignore: decorator
@external("mesh", "block_time")
declare function _block_time(): i64;
// @ts-ignore: decorator
@external("mesh", "args_len")
declare function _args_len(): i32;
// @ts-ignore: decorator
@external("mesh", "args_read")
declare function _args_read(outPtr: usize): void;
// @ts-ignore: decorator
@external("mesh", "emit")
declare function _emit(namePtr: usize, nameLen: i32, dataPtr: usize, dataLen: i32): void;
// @ts-ignore: decorator
@external("mesh", "revert")
declare function _revert(msgPtr: usize, msgLen: i32): void;
// @ts-ignore: decorator
@external("mesh", "set_return")
declare function _set_return(ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("mesh", "send_message")
declare function _send_message(ptr: usize, len: i32): void;

/** Largest value a storage slot holds (a BN254 field element). */
export const MAX_VALUE_BYTES: i32 = 31;
/** Largest storage key. */
export const MAX_KEY_BYTES: i32 = 64;

// Scratch buffer for storage_get (values are at most 31 bytes).
const VALUE_BUF: usize = memory.data(32);
// Scratch buffer for caller (20 bytes).
const ADDRESS_BUF: usize = memory.data(20);

// ---- helpers --------------------------------------------------------------------------------

/** Aborts the call: every write and event of the call is discarded; the receipt carries `message`. Never returns. */
export function revert(message: string): void {
  const bytes = String.UTF8.encode(message);
  _revert(changetype<usize>(bytes), bytes.byteLength);
  unreachable();
}

/** Emits an event (name and data are UTF-8 strings; data is often JSON). */
export function emit(name: string, data: string): void {
  const n = String.UTF8.encode(name);
  const d = String.UTF8.encode(data);
  _emit(changetype<usize>(n), n.byteLength, changetype<usize>(d), d.byteLength);
}

/** Sets the call's return data to `value` as its decimal string (UTF-8). */
export function setReturnU64(value: u64): void {
  setReturnString(value.toString());
}

/** Sets the call's return data to the UTF-8 bytes of `value`. */
export function setReturnString(value: string): void {
  const bytes = String.UTF8.encode(value);
  _set_return(changetype<usize>(bytes), bytes.byteLength);
}

/** Sets the call's return data to raw bytes. */
export function setReturnBytes(value: Uint8Array): void {
  _set_return(value.dataStart, value.length);
}

const HEX: string = "0123456789abcdef";

function hexDigit(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** "0x" + lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  const codes = new Array<i32>(2 + bytes.length * 2);
  codes[0] = 48; // 0
  codes[1] = 120; // x
  for (let i = 0; i < bytes.length; i++) {
    const b = <i32>bytes[i];
    codes[2 + 2 * i] = HEX.charCodeAt(b >> 4);
    codes[3 + 2 * i] = HEX.charCodeAt(b & 15);
  }
  return String.fromCharCodes(codes);
}

/** True when `s` is "0x" followed by exactly 40 hex digits (either case). */
export function isAddress(s: string): bool {
  if (s.length != 42 || s.charCodeAt(0) != 48 || (s.charCodeAt(1) != 120 && s.charCodeAt(1) != 88)) return false;
  for (let i = 2; i < 42; i++) if (hexDigit(s.charCodeAt(i)) < 0) return false;
  return true;
}

/** The 20 bytes of an address string; reverts when it is not one. */
export function addressBytes(s: string): Uint8Array {
  if (!isAddress(s)) revert("invalid address: " + s);
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = <u8>((hexDigit(s.charCodeAt(2 + 2 * i)) << 4) | hexDigit(s.charCodeAt(3 + 2 * i)));
  return out;
}

/** Parses a decimal u64 (digits only, no sign, no overflow); reverts with `what` in the message otherwise. */
export function parseU64(s: string, what: string = "number"): u64 {
  const len = s.length;
  if (len == 0 || len > 20) revert("invalid " + what + ": '" + s + "'");
  let value: u64 = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) revert("invalid " + what + ": '" + s + "'");
    const digit = <u64>(c - 48);
    if (value > (u64.MAX_VALUE - digit) / 10) revert(what + " out of range: '" + s + "'");
    value = value * 10 + digit;
  }
  return value;
}

// ---- storage --------------------------------------------------------------------------------

/**
 * The plugin's key-value storage. Keys are strings (1..64 UTF-8 bytes); values are 1..31 bytes.
 * Reads see the call's own earlier writes. Writes take effect only if the call succeeds.
 */
export class Storage {
  /** The raw value, or null when absent. */
  static getBytes(key: string): Uint8Array | null {
    const k = String.UTF8.encode(key);
    const len = _storage_get(changetype<usize>(k), k.byteLength, VALUE_BUF);
    if (len < 0) return null;
    const out = new Uint8Array(len);
    memory.copy(out.dataStart, VALUE_BUF, <usize>len);
    return out;
  }

  /** Stores 1..31 raw bytes (the host reverts the call otherwise). */
  static setBytes(key: string, value: Uint8Array): void {
    const k = String.UTF8.encode(key);
    _storage_set(changetype<usize>(k), k.byteLength, value.dataStart, value.length);
  }

  static has(key: string): bool {
    const k = String.UTF8.encode(key);
    return _storage_get(changetype<usize>(k), k.byteLength, VALUE_BUF) >= 0;
  }

  static delete(key: string): void {
    const k = String.UTF8.encode(key);
    _storage_delete(changetype<usize>(k), k.byteLength);
  }

  /** A u64 stored as 8 bytes big-endian; `defaultValue` when absent. */
  static getU64(key: string, defaultValue: u64 = 0): u64 {
    const k = String.UTF8.encode(key);
    const len = _storage_get(changetype<usize>(k), k.byteLength, VALUE_BUF);
    if (len < 0) return defaultValue;
    if (len > 8) revert("storage value at '" + key + "' is not a u64");
    let value: u64 = 0;
    for (let i = 0; i < len; i++) value = (value << 8) | <u64>load<u8>(VALUE_BUF + <usize>i);
    return value;
  }

  /** Stores a u64 as 8 bytes big-endian (0 too: call `delete` to remove a key). */
  static setU64(key: string, value: u64): void {
    const k = String.UTF8.encode(key);
    store<u64>(VALUE_BUF, bswap<u64>(value));
    _storage_set(changetype<usize>(k), k.byteLength, VALUE_BUF, 8);
  }

  /** A UTF-8 string value; `defaultValue` when absent. */
  static getString(key: string, defaultValue: string = ""): string {
    const k = String.UTF8.encode(key);
    const len = _storage_get(changetype<usize>(k), k.byteLength, VALUE_BUF);
    if (len < 0) return defaultValue;
    return String.UTF8.decodeUnsafe(VALUE_BUF, <usize>len);
  }

  /** Stores a string of 1..31 UTF-8 bytes (the host reverts the call otherwise). */
  static setString(key: string, value: string): void {
    const k = String.UTF8.encode(key);
    const v = String.UTF8.encode(value);
    _storage_set(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength);
  }

  /** An address stored as its 20 bytes, as "0x" + lowercase hex; `null` when absent. */
  static getAddress(key: string): string | null {
    const bytes = Storage.getBytes(key);
    if (bytes == null) return null;
    if (bytes.length != 20) revert("storage value at '" + key + "' is not an address");
    return toHex(bytes);
  }

  /** Stores an address ("0x" + 40 hex digits) as its 20 bytes. */
  static setAddress(key: string, address: string): void {
    Storage.setBytes(key, addressBytes(address));
  }
}

// ---- call context ---------------------------------------------------------------------------

export class Context {
  /** The caller's address, "0x" + 40 lowercase hex digits (the deployer during `init`). */
  static caller(): string {
    _caller(ADDRESS_BUF);
    const bytes = new Uint8Array(20);
    memory.copy(bytes.dataStart, ADDRESS_BUF, 20);
    return toHex(bytes);
  }

  static blockHeight(): u64 {
    return <u64>_block_height();
  }

  /** Block timestamp in milliseconds (the only clock a plugin has). */
  static blockTime(): u64 {
    return <u64>_block_time();
  }
}

// ---- messages to other SPNs ------------------------------------------------------------------

/**
 * The caller a relayed message's call sees (the zero address: no key signs for it, so no user tx
 * has it as caller).
 */
export const MESSAGE_CALLER: string = "0x0000000000000000000000000000000000000000";

/**
 * Sends a message: once this call's batch settles on the mainnet, the mainnet relays it to SPN
 * `spn`, which calls `plugin.method` with the args `[sourceSpn, sourcePlugin, ...args]` and caller
 * `MESSAGE_CALLER`, exactly once. Nothing is sent if this call fails. At most 16 messages per call,
 * 4096 bytes each (encoded); more reverts the call.
 */
export function sendMessage(spn: string, plugin: string, method: string, args: string[]): void {
  const parts = new Array<ArrayBuffer>(3 + args.length);
  parts[0] = String.UTF8.encode(spn);
  parts[1] = String.UTF8.encode(plugin);
  parts[2] = String.UTF8.encode(method);
  for (let i = 0; i < args.length; i++) parts[3 + i] = String.UTF8.encode(args[i]);
  let size = 0;
  for (let i = 0; i < parts.length; i++) size += 4 + parts[i].byteLength;
  const buf = new Uint8Array(size);
  let at: usize = buf.dataStart;
  for (let i = 0; i < parts.length; i++) {
    const n = parts[i].byteLength;
    store<u32>(at, <u32>n);
    memory.copy(at + 4, changetype<usize>(parts[i]), <usize>n);
    at += 4 + <usize>n;
  }
  _send_message(buf.dataStart, size);
}

/** True when this call is a relayed message (its caller is `MESSAGE_CALLER`). */
export function isRelayedMessage(): bool {
  return Context.caller() == MESSAGE_CALLER;
}

// ---- arguments ------------------------------------------------------------------------------

/**
 * The call's arguments (strings), read in order. Every `next*` reverts with a clear message when
 * the argument is missing or malformed.
 */
export class Args {
  private static loaded: bool = false;
  private static buf: usize = 0;
  private static len: i32 = 0;
  private static pos: i32 = 0;
  private static index: i32 = 0;

  private static load(): void {
    if (Args.loaded) return;
    Args.loaded = true;
    Args.len = _args_len();
    if (Args.len > 0) {
      const bytes = new Uint8Array(Args.len);
      _args_read(bytes.dataStart);
      Args.buf = bytes.dataStart;
    }
  }

  /** True when another argument is left. */
  static hasNext(): bool {
    Args.load();
    return Args.pos < Args.len;
  }

  static nextString(): string {
    Args.load();
    if (Args.pos + 4 > Args.len) revert("missing argument " + (Args.index + 1).toString());
    const n = <i32>load<u32>(Args.buf + <usize>Args.pos);
    if (n < 0 || Args.pos + 4 + n > Args.len) revert("malformed arguments");
    const s = String.UTF8.decodeUnsafe(Args.buf + <usize>Args.pos + 4, <usize>n);
    Args.pos += 4 + n;
    Args.index++;
    return s;
  }

  /** The next argument as a decimal u64. */
  static nextU64(): u64 {
    const position = Args.index + 1;
    return parseU64(Args.nextString(), "u64 argument " + position.toString());
  }

  /** The next argument as an address: "0x" + 40 hex digits, returned lowercased. */
  static nextAddress(): string {
    const position = Args.index + 1;
    const s = Args.nextString();
    if (!isAddress(s)) revert("invalid address argument " + position.toString() + ": '" + s + "'");
    return toHex(addressBytes(s));
  }
}
