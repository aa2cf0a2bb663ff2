import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MAIN_THREAD_NODE_FLAGS } from '@mesh/executor';
import { PARENT_PID_ENV } from './parent-pid';

/** Root of the repository: the nearest folder above this file with a package-lock.json (works from src and dist). */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package-lock.json'))) return dir;
  }
  throw new Error(`no repository root above ${from}`);
}

/** Entry points of the built apps (`npm run build`). */
export const BUILT_APPS = {
  mainnet: 'dist/apps/mainnet/src/main.js',
  spn: 'dist/apps/spn/src/main.js',
  prover: 'dist/apps/prover/src/main.js',
  postgres: 'dist/libs/devnet/src/postgres-process.js',
} as const;

export type AppName = keyof typeof BUILT_APPS;

/** Preloaded into every app: it stops itself once the process that started it is gone (exit-with-parent.ts). */
export const BUILT_EXIT_WITH_PARENT = 'dist/libs/devnet/src/exit-with-parent.js';

/**
 * Node flags per app. An SPN's main thread runs blocks serially when the parallel executor does
 * not take them, with the semi-spaces its execution workers get (libs/executor
 * `MAIN_THREAD_NODE_FLAGS`): engines allocate much per tx that dies young.
 */
export const NODE_FLAGS: Record<AppName, readonly string[]> = {
  mainnet: [],
  spn: MAIN_THREAD_NODE_FLAGS,
  prover: [],
  postgres: [],
};

/** Fails with a clear message when the apps have not been built. */
export function assertAppsBuilt(): void {
  for (const entry of [...Object.values(BUILT_APPS), BUILT_EXIT_WITH_PARENT]) {
    if (!existsSync(resolve(REPO_ROOT, entry))) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  }
}

export interface NodeProcessOptions {
  /** Called with each complete output line (for live display), besides collecting it. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Keep the caller's environment (default: only PATH, so the caller's variables do not leak in). */
  inheritEnv?: boolean;
  /**
   * Run the app in a process group of its own (with what it starts, e.g. the postgres server of
   * postgres-process), so that a terminal's Ctrl-C, which goes to every process of its foreground
   * group, reaches only the caller, which then stops its children in its own order. Default off:
   * the children then share the caller's fate when its group is signalled (test runners).
   */
  ownProcessGroup?: boolean;
}

/** A built app running as a child process, with its output collected. */
export class NodeProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(
    readonly app: AppName,
    env: Record<string, string>,
    options: NodeProcessOptions = {},
    args: string[] = [],
  ) {
    const base = options.inheritEnv ? process.env : { PATH: process.env.PATH ?? '' };
    const preload = ['--require', resolve(REPO_ROOT, BUILT_EXIT_WITH_PARENT)];
    this.child = spawn(process.execPath, [...NODE_FLAGS[app], ...preload, BUILT_APPS[app], ...args], {
      cwd: REPO_ROOT,
      env: { ...base, NO_COLOR: '1', ...env, [PARENT_PID_ENV]: String(process.pid) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.ownProcessGroup === true,
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      this.child[stream]!.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        this[stream] += text;
        if (!options.onLine) return;
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) options.onLine(line, stream);
      });
    }
    this.exited = new Promise((done) => this.child.once('exit', (code, signal) => done({ code, signal })));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until `pattern` appears in stdout; returns its first capture group (or the match). */
  async waitForOutput(pattern: RegExp, timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.stdout);
      if (match) return match[1] ?? match[0];
      if (!this.running) throw new Error(`${this.app} exited before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`${this.app} did not print ${pattern} within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }

  /** The URL from the app's `... listening on <url>` line, once it prints it. */
  listeningUrl(timeoutMs = 120_000): Promise<string> {
    return this.waitForOutput(/listening on (http:\/\/\S+)/, timeoutMs);
  }

  /** Asks the app to shut down (SIGTERM) and waits until it has. */
  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    await this.exited;
  }

  /** Kills the app the hard way (SIGKILL), as a crash or power loss would. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}
