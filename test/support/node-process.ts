import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** Entry points of the built apps (`npm run build`). */
export const BUILT_APPS = {
  mainnet: 'dist/apps/mainnet/src/main.js',
  spn: 'dist/apps/spn/src/main.js',
} as const;

export type AppName = keyof typeof BUILT_APPS;

/** Fails with a clear message when the apps have not been built. */
export function assertAppsBuilt(): void {
  for (const entry of Object.values(BUILT_APPS)) {
    if (!existsSync(resolve(ROOT, entry))) throw new Error(`${entry} is missing: run \`npm run build\` before the e2e tests`);
  }
}

/** A built app running as a child process, with its output collected. */
export class NodeProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  /** Starts `app` with only the given environment (plus PATH), so the caller's variables do not leak in. */
  constructor(app: AppName, env: Record<string, string>) {
    this.child = spawn(process.execPath, [BUILT_APPS[app]], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((done) => this.child.once('exit', (code, signal) => done({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The URL from the app's `... listening on <url>` line, once it prints it. */
  async listeningUrl(timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const url = /listening on (http:\/\/\S+)/.exec(this.stdout)?.[1];
      if (url) return url;
      if (!this.running) throw new Error(`exited before listening:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`not listening after ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }

  /** Asks the app to shut down (SIGTERM) and waits until it has. */
  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    await this.exited;
  }
}
