// Preloaded (`node --require`) into every process NodeProcess starts. Once the process that
// started it is gone (killed with `kill -9`, say: its children are then left to init), it stops
// itself as on SIGTERM, through the app's own graceful shutdown, instead of running on with
// nobody to stop it (holding its ports, the database, the data dir).
import { PARENT_PID_ENV } from './parent-pid';

/** How often it checks that the process that started it is still there (ms). */
const PARENT_CHECK_MS = 500;

const parent = Number(process.env[PARENT_PID_ENV]);
// Not passed on: a process this one starts with the same preload (a fork inherits execArgv) then does nothing.
delete process.env[PARENT_PID_ENV];
if (Number.isInteger(parent) && parent > 0) {
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    // Its output went to the parent through pipes that no longer have a reader: a failed write must not end it before it has stopped.
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    process.kill(process.pid, 'SIGTERM');
  }, PARENT_CHECK_MS);
  watch.unref(); // never what keeps the process alive
}
