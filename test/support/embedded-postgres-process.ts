// Starts an embedded Postgres on the data dir given as argument, prints its URL and keeps
// running until killed: lets a test kill the owner process the hard way (SIGKILL).
import { startEmbeddedPostgres } from '../../libs/persistence/src/embedded/start-embedded-postgres';

startEmbeddedPostgres({ dataDir: process.argv[2] }).then(
  (server) => {
    process.stdout.write(`${server.url}\n`);
    setInterval(() => undefined, 60_000);
  },
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
