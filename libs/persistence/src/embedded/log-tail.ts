/** The last lines a child process logged, kept to explain a failure. */
export class LogTail {
  private lines: string[] = [];

  constructor(private readonly keep = 30) {}

  readonly append = (message: unknown): void => {
    const text = message instanceof Error ? message.message : String(message);
    this.lines.push(...text.split('\n').filter((line) => line.trim() !== ''));
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
  };

  includes(fragment: string): boolean {
    return this.lines.some((line) => line.includes(fragment));
  }

  toString(): string {
    return this.lines.join('\n');
  }
}
