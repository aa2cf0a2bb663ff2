// An embedded PostgreSQL as a process of its own: `node postgres-process.js <dataDir> [port]`.
// Prints `postgres ready at <url>`, runs until SIGINT/SIGTERM, then stops the server cleanly. It
// runs in a process group of its own (see Devnet.start); NodeProcess's preload
// (exit-with-parent.ts) sends it SIGTERM once the process that started it is gone.
import { startEmbeddedPostgres } from '@mesh/persistence';

async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  if (!dataDir) throw new Error('usage: postgres-process <dataDir> [port]');
  // Its output goes to the parent through pipes: should the parent be gone, a write must not end this process before the server stops.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  // The handlers come first: a stop asked for while the server starts waits for it, then stops it.
  const keepAlive = setInterval(() => undefined, 60_000);
  const starting = startEmbeddedPostgres({ dataDir, port: port ? Number(port) : undefined });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await (await starting).stop();
    clearInterval(keepAlive);
    process.stdout.write('postgres stopped\n');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const server = await starting;
  if (!stopping) process.stdout.write(`postgres ready at ${server.url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
