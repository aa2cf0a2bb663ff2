/** A background loop: runs `step` again and again, sleeping between runs; stops cleanly. */
export class Loop {
  private running = false;
  private current: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param step one unit of work; resolves true when there may be more to do at once
   * @param idleMs pause after a step that found nothing to do
   * @param onError reports a failed step; the loop backs off (doubling up to maxBackoffMs) and goes on
   */
  constructor(
    readonly name: string,
    private readonly step: () => Promise<boolean>,
    private readonly idleMs: number,
    private readonly onError: (name: string, err: unknown) => void,
    private readonly maxBackoffMs = 30_000,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.current = this.run();
  }

  /** Wakes the loop now instead of at the end of its pause. */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.poke();
    await this.current;
  }

  private async run(): Promise<void> {
    let backoff = this.idleMs;
    while (this.running) {
      let more = false;
      try {
        more = await this.step();
        backoff = this.idleMs;
      } catch (err) {
        this.onError(this.name, err);
        backoff = Math.min(Math.max(backoff * 2, 250), this.maxBackoffMs);
        await this.sleep(backoff);
        continue;
      }
      if (!more) await this.sleep(this.idleMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        clearTimeout(this.timer);
        this.wake = undefined;
        resolve();
      };
      this.timer = setTimeout(() => this.wake?.(), ms);
    });
  }
}
