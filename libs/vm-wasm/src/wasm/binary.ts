/** Minimal WebAssembly binary reading and writing (LEB128, names, vectors). */

/** Thrown by the reader on malformed input; the runtime turns it into a PluginRejectedError. */
export class WasmFormatError extends Error {}

export class Reader {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  byte(): number {
    if (this.pos >= this.end) throw new WasmFormatError('unexpected end of data');
    return this.bytes[this.pos++];
  }

  peek(): number {
    if (this.pos >= this.end) throw new WasmFormatError('unexpected end of data');
    return this.bytes[this.pos];
  }

  /** Unsigned LEB128 up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new WasmFormatError('u32 out of range');
        return result;
      }
      shift += 7;
    }
    throw new WasmFormatError('u32 too long');
  }

  /** Skips a signed LEB128 of at most `maxBits` bits (values are not needed, only their extent). */
  skipSleb(maxBits: number): void {
    const maxBytes = Math.ceil(maxBits / 7);
    for (let i = 0; i < maxBytes; i++) if ((this.byte() & 0x80) === 0) return;
    throw new WasmFormatError('signed LEB128 too long');
  }

  /** Signed LEB128 up to 33 bits, as a number (block types). */
  s33(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      if (shift > 35) throw new WasmFormatError('s33 too long');
      b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (b & 0x40) result -= 2 ** shift;
    return result;
  }

  skip(n: number): void {
    if (this.pos + n > this.end) throw new WasmFormatError('unexpected end of data');
    this.pos += n;
  }

  slice(n: number): Uint8Array {
    const start = this.pos;
    this.skip(n);
    return this.bytes.subarray(start, start + n);
  }

  name(): string {
    const len = this.u32();
    return new TextDecoder('utf-8', { fatal: true }).decode(this.slice(len));
  }
}

export function u32Leb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

export function sLeb(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const signBit = (b & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export function nameBytes(name: string): number[] {
  const bytes = new TextEncoder().encode(name);
  return [...u32Leb(bytes.length), ...bytes];
}

/** Growable byte buffer. */
export class ByteWriter {
  private buf = new Uint8Array(1024);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  push(...bytes: number[]): this {
    return this.bytes(bytes);
  }

  bytes(bytes: ArrayLike<number>): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  u32(value: number): this {
    return this.bytes(u32Leb(value));
  }

  /** Appends `content` prefixed with its u32 length. */
  sized(content: ArrayLike<number>): this {
    return this.u32(content.length).bytes(content);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
