// An embedded PostgreSQL as a process of its own: `node postgres-process.js <dataDir> [port]`.
// Prints `postgres ready at <url>`, runs until SIGINT/SIGTERM or until the process that started
// it is gone (it runs in a process group of its own, see Devnet.start), then stops the server cleanly.
import { startEmbeddedPostgres } from '@mesh/persistence';

/** How often it checks that the process that started it is still there (ms). */
const PARENT_CHECK_MS = 500;

async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  if (!dataDir) throw new Error('usage: postgres-process <dataDir> [port]');
  const parent = process.ppid;
  // Its output goes to the parent through pipes: once the parent is gone, a write must not end this process before the server stops.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const server = await startEmbeddedPostgres({ dataDir, port: port ? Number(port) : undefined });
  process.stdout.write(`postgres ready at ${server.url}\n`);
  // Also keeps this process alive. A parent that died leaves this process to another one (init).
  const watchParent = setInterval(() => {
    if (process.ppid !== parent) void stop();
  }, PARENT_CHECK_MS);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    clearInterval(watchParent);
    process.stdout.write('postgres stopped\n');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
