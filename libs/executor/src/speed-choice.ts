/**
 * See ParallelExecutorOptions.warmupTxs. Measured on a 2-core machine (Wasm token transfers, 200-tx
 * blocks, 2 workers): after 20 blocks in a row in the workers (4,000 txs, the first setting) they
 * ran a block in 3.7-4.1 ms against 3.5-3.6 ms serially, and stayed that slow through 120 more
 * blocks run a few at a time between serial ones (as probes run), so a judgement then chose
 * serial execution for good; after 200 blocks in a row, 2.7-3.1 ms, probes included.
 */
export const DEFAULT_WARMUP_TXS = 40_000;

/**
 * Chooses between the workers and serial execution from measured time per tx (medians of the
 * last 5 whole blocks of each kind). Until the workers have run FIRST_JUDGEMENT_TXS txs (or
 * `warmupTxs`, when fewer), blocks go to them and are not judged; then one block runs serially,
 * and from there the faster way runs, the other being measured again (a probe) every
 * `probeEvery` blocks or more rarely, the more so the slower it measured (see probeInterval),
 * and sooner when the medians say it is faster now or, for serial execution, when the workers'
 * time shows the load changed. The probe's own time, against the median of the way in use,
 * decides which way runs from there (see serialInUse). While the workers are still
 * warming up (fewer than `warmupTxs` txs), serial execution is only preferred when the workers
 * are more than WARMING_MARGIN times slower: cold workers are some 1.3x slower, a load they lose
 * on by far more than that is not a matter of warm-up. Once warm, their cold times are dropped.
 */
export class SpeedChoice {
  /** The last few measurements (ms per tx) of each way; each is judged by their median. */
  private readonly workerTimes: number[] = [];
  private readonly serialTimes: number[] = [];
  private workerTxs = 0;
  private blocks = 0;
  private lastProbe = 0;
  /**
   * The way in use. It changes only on a probe (a block of the other way), by comparing that
   * block's time, measured now, with the median of the way in use, which runs all the time and
   * so is just as recent. Comparing the two medians instead set a serial median measured up to a
   * few hundred blocks earlier (serial execution is probed rarely) against the workers' last 5
   * blocks: in a slow phase of the machine the workers then looked slower than serial execution
   * had been in a faster one, and the choice ran serially until the next probe of the workers.
   */
  private serialInUse = false;
  /** The workers' time per tx (their median) when serial execution was last measured (see loadChanged). */
  private workersAtSerialProbe: number | undefined;
  /**
   * Serial execution has just taken over: the workers are probed again SAMPLES blocks on, once,
   * before the usual interval. A serial probe that beat their median may have met the tail of a
   * slow phase that had lifted that median (seen in bench:parallel: the workers' median of Wasm
   * transfers went from 9 to 19 µs per tx in a few slow blocks, a serial probe measured 12, and
   * the next 16 blocks ran serially at ~1.0x once the workers were back at 9).
   */
  private recheckWorkers = false;
  /**
   * A probe of the workers has just measured them slower than serial execution, by less than
   * CONFIRM_RATIO: the next block runs in the workers too, and its time decides (see CONFIRM_RATIO).
   */
  private confirmWorkers = false;

  constructor(
    private readonly enabled: boolean,
    private readonly probeEvery: number,
    private readonly warmupTxs: number,
  ) {
    if (!Number.isInteger(probeEvery) || probeEvery < 2) throw new Error(`probeEvery must be an integer >= 2, got ${probeEvery}`);
    if (!Number.isInteger(warmupTxs) || warmupTxs < 0) throw new Error(`warmupTxs must be a non-negative integer, got ${warmupTxs}`);
  }

  /**
   * A way's time per tx: the median of its last SAMPLES blocks (undefined before the first). A
   * moving average was tried first: on this noisy machine one block measured 3x slower (a
   * descheduled thread) sent the next 16 blocks the wrong way.
   */
  private get workers(): number | undefined {
    return medianOf(this.workerTimes);
  }

  private get serial(): number | undefined {
    return medianOf(this.serialTimes);
  }

  /**
   * Serial execution at `serialMs` per tx beats the workers at `workersMs`: faster by
   * SERIAL_MARGIN, by WARMING_MARGIN while the workers warm up.
   */
  private prefersSerial(serialMs: number, workersMs: number): boolean {
    return serialMs * (this.workerTxs < this.warmupTxs ? WARMING_MARGIN : SERIAL_MARGIN) < workersMs;
  }

  /** Whether the next block should run serially. */
  chooseSerial(): boolean {
    if (!this.enabled || this.workers === undefined) return false; // warming up, or not judged yet
    this.blocks++;
    if (this.confirmWorkers) return false; // the probe's second block
    if (this.serial === undefined) {
      this.lastProbe = this.blocks;
      return true; // judged: serial execution is measured once
    }
    const since = this.blocks - this.lastProbe;
    // Probe the other way when its interval is up, or sooner (SAMPLES blocks after the last
    // probe) when the medians say it is the faster way now, or, for serial execution, when the
    // load changed.
    // While the workers warm up, serial execution must beat them by WARMING_MARGIN: a serial probe
    // on the interval cannot change anything while they are the faster way, so only the medians or
    // a load change call for one then.
    const intervalProbes = this.serialInUse || this.workerTxs >= this.warmupTxs || this.prefersSerial(this.serial, this.workers);
    const due =
      (intervalProbes && since >= this.probeInterval()) ||
      (since >= SAMPLES &&
        (this.prefersSerial(this.serial, this.workers) !== this.serialInUse || (!this.serialInUse && this.loadChanged())));
    if (!due) return this.serialInUse;
    this.lastProbe = this.blocks;
    return !this.serialInUse;
  }

  /**
   * The workers' time per tx moved by more than LOAD_CHANGE either way since serial execution was
   * last measured: the load changed (other txs, other contention), and the serial time measured
   * for the old one says little about the new one. Serial execution's own speed does not drift
   * while the load stays the same, so this, not a short probe interval, is what a long interval
   * between serial probes relies on.
   */
  private loadChanged(): boolean {
    if (this.workersAtSerialProbe === undefined) return false;
    const moved = this.workers! / this.workersAtSerialProbe;
    return moved > LOAD_CHANGE || moved < 1 / LOAD_CHANGE;
  }

  /**
   * Blocks between two probes of the way not in use, which measured r times slower:
   * - serial execution (the workers in use): `probeEvery` times r⁴, at most 16x (256 blocks at
   *   the default 16), and sooner when the load changes (loadChanged). A probe costs r - 1
   *   blocks' worth of the workers' time, so the probes cost under 0.7 % of the time for any r up
   *   to 2.5 (the most, 0.66 %, at r = 4/3). With r² and at most 4x (the first setting), EVM
   *   blocks (workers 1.7x faster) had a serial probe every 46 blocks, 1.5 % of the time, and
   *   one of bench:parallel's 7 EVM runs of 6 blocks in most full runs held one (that run
   *   measured ~1.4x against ~1.7x).
   * - the workers (serial in use): `probeEvery` times whole r, at most 4x. Their speed does drift
   *   (warm-up, JIT), and a probe that finds them faster is what undoes a bad judgement. The
   *   first probe after serial execution took over comes after SAMPLES blocks (recheckWorkers).
   */
  private probeInterval(): number {
    const r = Math.max(this.serial!, this.workers!) / Math.min(this.serial!, this.workers!);
    if (this.serialInUse) {
      const interval = Math.round(this.probeEvery * Math.min(4, Math.max(1, Math.floor(r))));
      return this.recheckWorkers ? Math.min(SAMPLES, interval) : interval;
    }
    return Math.round(this.probeEvery * Math.min(16, Math.max(1, r ** 4)));
  }

  /** Time per tx (ms) of a whole block of `txs` txs, run in the workers or serially. */
  note(how: 'workers' | 'serial', msPerTx: number, txs: number): void {
    if (!this.enabled) return;
    const record = (list: number[]) => {
      list.push(msPerTx);
      if (list.length > SAMPLES) list.shift();
    };
    if (how === 'serial') {
      if (this.workers === undefined) return; // serial blocks before judging (small, backoff) do not count
      record(this.serialTimes);
      this.workersAtSerialProbe = this.workers;
      // A serial block measured now against the workers' recent median (in use, or probed).
      if (!this.serialInUse) this.serialInUse = this.recheckWorkers = this.prefersSerial(msPerTx, this.workers);
      return;
    }
    const before = this.workerTxs;
    this.workerTxs += txs;
    if (before < this.warmupTxs && this.workerTxs >= this.warmupTxs) {
      this.workerTimes.length = 0; // warm now: cold times do not count, and the workers run until measured anew
      this.serialInUse = false;
      return;
    }
    if (before < Math.min(FIRST_JUDGEMENT_TXS, this.warmupTxs)) return;
    record(this.workerTimes);
    this.recheckWorkers = false;
    // A probe of the workers measured now against serial execution's recent median; a first
    // probe block that lost by less than CONFIRM_RATIO is confirmed by a second one.
    if (this.serialInUse && this.serial !== undefined) {
      const slower = this.prefersSerial(this.serial, msPerTx);
      this.confirmWorkers = slower && !this.confirmWorkers && msPerTx < this.serial * CONFIRM_RATIO;
      if (!this.confirmWorkers) this.serialInUse = slower;
    }
  }

  describe(): string {
    const us = (ms: number | undefined) => (ms === undefined ? '?' : `${Math.round(ms * 1000)} µs`);
    const probing = !this.serialInUse;
    return `serial execution ${probing ? 'measured again' : 'is faster for this load'}: ${us(this.serial)} per tx, ${us(this.workers)} in the workers`;
  }
}

/**
 * Txs the workers run before SpeedChoice first judges them (or `warmupTxs`, when fewer): each
 * worker compiles the VM anew, and its first blocks are several times slower.
 */
export const FIRST_JUDGEMENT_TXS = 4_000;

/**
 * How much slower the workers must be, while still warming up, for serial execution to be
 * preferred. Measured: Wasm transfer blocks in cold workers ~1.3x-1.4x slower than serially
 * (bench:parallel, 23 against 16-18 µs per tx); in bench:e2e, sharing the cores with ingress,
 * 6x-8x slower (serial 30 µs per tx, the workers 170-240).
 */
export const WARMING_MARGIN = 1.5;

/**
 * How much slower than serial execution the warm workers must measure for serial execution to
 * run instead (a probe of one way against the median of the other's last blocks). Without a
 * margin, noise decided: in bench:parallel on a 2-core machine whose speed swung by 1.5x within a
 * run, one-block serial probes beat the workers' 5-block median by 1.04x-1.33x (Wasm transfers:
 * serial 26 against 27 µs per tx, 24 against 27, 21 against 28) in runs whose blocks otherwise
 * ran ~1.4x faster in the workers, and the node then ran blocks serially until the next probe of
 * the workers: the Wasm low ratio measured 1.12x and 1.29x with the choice on against 1.46x and
 * 1.47x with it off. With the margin, flips within 1.2x no longer happen; a load the workers
 * lose on by less than that keeps them (losing up to 1.2x); the loads the choice is for lose by
 * far more (bench:e2e sharing the cores with ingress: 6x-8x).
 */
export const SERIAL_MARGIN = 1.2;

/**
 * A probe of the workers (serial execution in use) that measures them slower than serial
 * execution, by less than this factor, runs a second block in the workers, and that block's time
 * decides. The first block after a stretch of serial ones is the slow one: measured on a 2-core
 * machine (Wasm transfers, 200-tx blocks, 2 workers, adaptive choice off, 36 rounds of 16 serial
 * blocks then 4 in the workers, against 20 blocks in a row in the workers in between), the first
 * block took 12.3 µs per tx (median), the next ones 10.2-10.3, blocks in a row 9.9 and serial
 * ones 16.2; 3 of the 36 first blocks took over 19.4 µs (SERIAL_MARGIN times serial: serial
 * execution would have stayed in use) against 1 of the 36 second ones. In bench:parallel, serial
 * execution then ran 16-32 blocks at a time in Wasm low runs measuring 0.8x-1.0x. A load the
 * workers lose on by this factor or more (bench:e2e, ingress sharing the cores: 6x-8x) pays no
 * second block.
 */
export const CONFIRM_RATIO = 2;

/**
 * How far (a factor, either way) the workers' time per tx must move from what it was when serial
 * execution was last measured for SpeedChoice to measure serial execution again before its
 * interval (the load changed). Noise alone moved the median of the workers' last 5 Wasm blocks
 * from 23 to 36 µs per tx in one bench:parallel run on this 2-core machine (1.5x, the first
 * setting, then probed serial execution every few blocks).
 */
export const LOAD_CHANGE = 2;

/** Blocks of each way SpeedChoice judges by (their median). */
const SAMPLES = 5;

function medianOf(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
