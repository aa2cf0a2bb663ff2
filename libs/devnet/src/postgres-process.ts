// An embedded PostgreSQL as a process of its own: `node postgres-process.js <dataDir> [port]`.
// Prints `postgres ready at <url>`, runs until SIGINT/SIGTERM, then stops the server cleanly.
import { startEmbeddedPostgres } from '@mesh/persistence';

async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  if (!dataDir) throw new Error('usage: postgres-process <dataDir> [port]');
  const server = await startEmbeddedPostgres({ dataDir, port: port ? Number(port) : undefined });
  process.stdout.write(`postgres ready at ${server.url}\n`);
  const keepAlive = setInterval(() => undefined, 60_000);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    clearInterval(keepAlive);
    process.stdout.write('postgres stopped\n');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
