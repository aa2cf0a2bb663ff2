/** Where a command writes; a test passes its own to read what was written. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** The process's own stdout, stderr and environment. */
export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

/** Bad command-line use (unknown command or option, missing or malformed value): exit code 2, with the usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show (`tx send`); the general usage when unset. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
