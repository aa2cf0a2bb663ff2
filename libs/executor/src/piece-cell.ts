/**
 * A split piece shared between its worker and the coordinator (see split-block.ts): one Uint32
 * cell over a SharedArrayBuffer holding (the next tx the worker will run << 16) | the piece's end.
 * The worker takes its txs one at a time (`take`); the coordinator, once its own piece is done,
 * takes the piece's tail (`stealTail`) by lowering the end. Both move the cell with a
 * compare-and-swap, so every tx of the piece is run by exactly one of them, and the worker's part
 * stays contiguous: [start, where it stopped).
 */

/** Highest tx index a cell holds: blocks with more txs are split without stealing. */
export const MAX_PIECE_TX = 0xffff;

/** Each tail taken is this share of what the piece has not started (its next txs are under way meanwhile). */
export const STEAL_FRACTION = 0.5;

/** The cell with the most txs not taken yet (undefined: none has any left): where a thread takes its next tail. */
export function mostLeft(cells: readonly PieceCell[]): PieceCell | undefined {
  let best: PieceCell | undefined;
  for (const cell of cells) if (cell.remaining() > (best?.remaining() ?? 0)) best = cell;
  return best;
}

export class PieceCell {
  private readonly cell: Uint32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.cell = new Uint32Array(buffer);
  }

  static create(start: number, end: number): PieceCell {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= MAX_PIECE_TX))
      throw new RangeError(`a piece cell holds txs 0..${MAX_PIECE_TX}, got ${start}..${end}`);
    const cell = new PieceCell(new SharedArrayBuffer(4));
    Atomics.store(cell.cell, 0, pack(start, end));
    return cell;
  }

  /** Worker side: the next tx to run, or -1 when the piece (as far as it is still the worker's) is done. */
  take(): number {
    let seen = Atomics.load(this.cell, 0);
    for (;;) {
      const next = seen >>> 16;
      const end = seen & 0xffff;
      if (next >= end) return -1;
      const was = Atomics.compareExchange(this.cell, 0, seen, pack(next + 1, end));
      if (was === seen) return next;
      seen = was;
    }
  }

  /** Txs not taken yet. */
  remaining(): number {
    const seen = Atomics.load(this.cell, 0);
    return Math.max(0, (seen & 0xffff) - (seen >>> 16));
  }

  /**
   * Coordinator side: takes the last ceil(remaining * fraction) txs not taken yet (at least one),
   * or undefined when none is left. The worker stops before them.
   */
  stealTail(fraction: number): { start: number; end: number } | undefined {
    let seen = Atomics.load(this.cell, 0);
    for (;;) {
      const next = seen >>> 16;
      const end = seen & 0xffff;
      if (next >= end) return undefined;
      const start = end - Math.max(1, Math.ceil((end - next) * fraction));
      const was = Atomics.compareExchange(this.cell, 0, seen, pack(next, start));
      if (was === seen) return { start, end };
      seen = was;
    }
  }
}

function pack(next: number, end: number): number {
  return ((next << 16) | end) >>> 0;
}
