/** Where build steps report. snarkjs calls the same four methods on the logger it is given. */
export interface BuildLogger {
  info(message: string): void;
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: BuildLogger = { info() {}, debug() {}, warn() {}, error() {} };

/** Logger that prints info and above to stderr, each line prefixed with the elapsed time. */
export function consoleLogger(prefix = 'circuits'): BuildLogger {
  const started = Date.now();
  const line = (level: string, message: string) =>
    process.stderr.write(`[${prefix} +${((Date.now() - started) / 1000).toFixed(1)}s]${level} ${message}\n`);
  return { info: (m) => line('', m), debug() {}, warn: (m) => line(' warn:', m), error: (m) => line(' error:', m) };
}

/**
 * Runs a long step, logging its start, a heartbeat every `everyMs` (the slow snarkjs steps print
 * nothing for minutes) and its duration.
 */
export async function timedStep<T>(logger: BuildLogger, title: string, run: () => Promise<T>, everyMs = 15_000): Promise<T> {
  const started = Date.now();
  logger.info(`${title} ...`);
  const heartbeat = setInterval(() => logger.info(`${title}: still running (${Math.round((Date.now() - started) / 1000)}s)`), everyMs);
  heartbeat.unref();
  try {
    const result = await run();
    logger.info(`${title}: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return result;
  } finally {
    clearInterval(heartbeat);
  }
}
