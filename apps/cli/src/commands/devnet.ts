import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@mesh/devnet';
import { UsageError, type CliIo } from '../cli-io';
import { COMMON_OPTIONS, parseCommand } from '../options';

export const DEVNET_USAGE = `mesh devnet up
  What \`npm start\` runs, from the built project: the dev circuit artifacts (built once, then
  cached) and the example plugins if missing, then the devnet until Ctrl-C. Its environment
  (MESH_DATA_DIR, DATABASE_URL, ports, DEVNET_PROVERS): README.md.`;

export async function devnetCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'up') throw new UsageError(sub ? `unknown command: devnet ${sub}` : 'devnet needs a command: up', 'devnet');
  parseCommand('devnet', rest, COMMON_OPTIONS, false);
  const script = (name: string) => join(REPO_ROOT, 'dist/scripts', `${name}.js`);
  if (!existsSync(script('devnet'))) throw new UsageError('the project is not built: run `npm run build` first');
  const steps: string[][] = [[script('circuits-build'), '--profile', 'dev']];
  const examples = ['token', 'counter'].map((name) => join(REPO_ROOT, 'libs/sdk-as/examples', name));
  if (examples.some((dir) => !existsSync(join(dir, 'build/plugin.wasm')))) steps.push([script('plugin-build'), ...examples]);
  for (const args of steps) {
    const code = await run(args, io);
    if (code !== 0) return code;
  }
  return run([script('devnet')], io);
}

/**
 * Runs a script in this terminal. Ctrl-C reaches it too (the terminal signals its whole
 * foreground group): the devnet stops its nodes in order; this process waits for it meanwhile.
 */
function run(args: string[], io: CliIo): Promise<number> {
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: io.env, stdio: 'inherit' });
  const forwardTerm = () => child.kill('SIGTERM');
  process.on('SIGTERM', forwardTerm);
  return new Promise((done) =>
    child.once('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', ignore);
      process.off('SIGTERM', forwardTerm);
      done(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1));
    }),
  );
}
