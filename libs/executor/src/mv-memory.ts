import { DependencyAbort, type TxStateView } from './engine';

/** One tx's write of one key, as multi-version memory holds it. */
export interface VersionedWrite {
  tx: number;
  incarnation: number;
  value: bigint;
  /** Block-STM ESTIMATE: the tx is being re-executed and will probably write this key again. */
  estimate: boolean;
}

/**
 * Block-STM multi-version memory: for every state key, the writes of the block's txs ordered by
 * tx index. A read by tx i sees the write of the highest tx below i, or committed state. The
 * coordinator (main thread) holds the authoritative copy; each worker holds a replica that the
 * coordinator keeps up to date, which may lag (validation catches what a lagging read saw).
 */
export class MVMemory {
  private byKey = new Map<bigint, VersionedWrite[]>();
  /** Keys each tx's latest recorded incarnation wrote. */
  private keysOf = new Map<number, bigint[]>();
  private incarnationOf = new Map<number, number>();

  /**
   * Forgets every write. New maps rather than `Map.clear()`: a long-lived map's table is in V8's
   * old generation, and a cleared old table keeps what it held reachable for young-generation
   * GCs until the next full GC (see libs/vm-evm README, "Speed").
   */
  clear(): void {
    this.byKey = new Map();
    this.keysOf = new Map();
    this.incarnationOf = new Map();
  }

  /** The write tx `reader` sees for `key` (highest writer below it), or undefined for committed state. */
  latestBelow(key: bigint, reader: number): VersionedWrite | undefined {
    const list = this.byKey.get(key);
    if (list === undefined) return undefined;
    // Binary search for the last entry with tx < reader.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].tx < reader) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : list[lo - 1];
  }

  /** Incarnation of tx `tx` whose writes are recorded (undefined: none recorded). */
  recordedIncarnation(tx: number): number | undefined {
    return this.incarnationOf.get(tx);
  }

  /**
   * Replaces tx `tx`'s writes by those of `incarnation`: keys it no longer writes are removed,
   * estimates cleared. Returns the keys whose visible entry changed (new, removed, or another
   * value), which is what later readers must be checked against. An update older than the
   * recorded incarnation is ignored (returns undefined).
   */
  record(tx: number, incarnation: number, writes: ReadonlyMap<bigint, bigint>): bigint[] | undefined {
    const known = this.incarnationOf.get(tx);
    if (known !== undefined && incarnation < known) return undefined;
    const changed: bigint[] = [];
    const previous = this.keysOf.get(tx);
    if (previous !== undefined) {
      for (const key of previous) {
        if (writes.has(key)) continue;
        this.remove(key, tx);
        changed.push(key);
      }
    }
    const keys: bigint[] = [];
    for (const [key, value] of writes) {
      keys.push(key);
      if (this.put(key, { tx, incarnation, value, estimate: false })) changed.push(key);
    }
    this.keysOf.set(tx, keys);
    this.incarnationOf.set(tx, incarnation);
    return changed;
  }

  /** Marks every write of tx `tx` as an ESTIMATE (it is about to be re-executed). */
  markEstimate(tx: number): void {
    const keys = this.keysOf.get(tx);
    if (keys === undefined) return;
    for (const key of keys) {
      const entry = this.find(key, tx);
      if (entry) entry.estimate = true;
    }
  }

  /** Keys tx `tx`'s recorded incarnation wrote. */
  writtenBy(tx: number): readonly bigint[] {
    return this.keysOf.get(tx) ?? [];
  }

  /**
   * Whether a read of `key` by tx `reader` that returned `seen` would return the same now
   * (validation by value: an execution is a function of the values it read). A read that would
   * now meet an ESTIMATE is invalid.
   */
  stillValid(key: bigint, reader: number, seen: bigint, committed: (key: bigint) => bigint): boolean {
    const now = this.latestBelow(key, reader);
    if (now === undefined) return committed(key) === seen;
    return !now.estimate && now.value === seen;
  }

  /** Final value of every written key: the highest writer's (for block assembly and tests). */
  finalWrites(): Map<bigint, bigint> {
    const out = new Map<bigint, bigint>();
    for (const [key, list] of this.byKey) if (list.length > 0) out.set(key, list[list.length - 1].value);
    return out;
  }

  private find(key: bigint, tx: number): VersionedWrite | undefined {
    const list = this.byKey.get(key);
    if (!list) return undefined;
    const i = this.indexOf(list, tx);
    return i >= 0 ? list[i] : undefined;
  }

  /** Inserts or replaces; true when what readers see changed (new entry, value, or estimate cleared). */
  private put(key: bigint, entry: VersionedWrite): boolean {
    let list = this.byKey.get(key);
    if (list === undefined) {
      list = [];
      this.byKey.set(key, list);
    }
    // Common case: appended in tx order.
    if (list.length === 0 || list[list.length - 1].tx < entry.tx) {
      list.push(entry);
      return true;
    }
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].tx < entry.tx) lo = mid + 1;
      else hi = mid;
    }
    if (lo < list.length && list[lo].tx === entry.tx) {
      const old = list[lo];
      list[lo] = entry;
      return old.value !== entry.value || old.estimate || old.incarnation !== entry.incarnation;
    }
    list.splice(lo, 0, entry);
    return true;
  }

  private remove(key: bigint, tx: number): void {
    const list = this.byKey.get(key);
    if (!list) return;
    const i = this.indexOf(list, tx);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(key);
  }

  private indexOf(list: VersionedWrite[], tx: number): number {
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = list[mid].tx;
      if (t === tx) return mid;
      if (t < tx) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/**
 * The state tx `tx` sees: the multi-version memory below it, then committed state. Records every
 * read with the value it saw (key, value, key, value, ...); a read that meets an ESTIMATE throws
 * DependencyAbort. Used by the workers (on their replicas) and by the coordinator.
 */
export class RecordingView implements TxStateView {
  readonly reads: bigint[] = [];

  constructor(
    private readonly tx: number,
    private readonly mv: MVMemory,
    private readonly committed: (key: bigint) => bigint,
  ) {}

  get(key: bigint): bigint {
    const entry = this.mv.latestBelow(key, this.tx);
    let value: bigint;
    if (entry === undefined) value = this.committed(key);
    else if (entry.estimate) throw new DependencyAbort(entry.tx);
    else value = entry.value;
    this.reads.push(key, value);
    return value;
  }
}
