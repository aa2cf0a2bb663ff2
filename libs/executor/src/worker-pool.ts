import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './protocol';

/** Answers a worker engine's `host.request(kind, arg)` on the main thread. */
export type HostHandler = (kind: string, arg: unknown) => Promise<unknown> | unknown;

/**
 * Resolves a module for a worker thread: the compiled `.js` next to the caller, or, when the code
 * runs from TypeScript sources (tests, tsx), the `.ts` file (the worker then loads tsx).
 */
export function workerModulePath(dir: string, baseName: string): string {
  const js = join(dir, `${baseName}.js`);
  if (existsSync(js)) return js;
  const ts = join(dir, `${baseName}.ts`);
  if (existsSync(ts)) return ts;
  throw new Error(`worker module ${baseName} not found in ${dir}`);
}

export interface WorkerEvents {
  message(worker: ExecWorker, msg: FromWorker): void;
  exit(worker: ExecWorker, reason: string): void;
}

const TS_BOOTSTRAP = `require('tsx/cjs/api').register(); require(require('node:worker_threads').workerData.entry);`;

/** One execution worker thread and what the coordinator knows of it. */
export class ExecWorker {
  readonly thread: Worker;
  readonly ready: Promise<void>;
  alive = true;
  /** Version of committed state its replica holds (-1: needs a snapshot). */
  stateVersion = -1;
  /** Tasks (of any block) posted to it and not yet reported done. */
  tasks = 0;
  /** The block whose txs it was told to claim and that it has not said 'drained' for yet. */
  claimingBlock: number | undefined;
  /**
   * Its split pieces' reports come on a port of their own (the worker's `workerData.results`), so
   * that the coordinator can take them while it executes itself (`receiveResults`), without
   * waiting for its event loop; otherwise they arrive as events like every other message.
   */
  private readonly results: MessagePort;
  private readonly onMessage: (msg: FromWorker) => void;
  /**
   * Counts the messages posted to it (`post`): a worker that has just finished a split piece
   * watches it for a moment instead of sleeping in its event loop (see watchDoorbell in
   * worker-main.ts), so that the next block's messages start it without an event loop's wake-up.
   */
  readonly doorbell = new Int32Array(new SharedArrayBuffer(4));

  /** A task or a claim (of any block) is running or queued on it. */
  get busy(): boolean {
    return this.tasks > 0 || this.claimingBlock !== undefined;
  }

  constructor(
    readonly id: number,
    engineModule: string,
    engineOptions: unknown,
    events: WorkerEvents,
    private readonly hostHandler: HostHandler | undefined,
    resourceLimits?: ResourceLimits,
    /** How long the worker watches its doorbell after its part of a split block (ParallelExecutorOptions.workerWatchMs). */
    watchMs = 0,
  ) {
    const entry = workerModulePath(__dirname, 'worker-main');
    const ts = entry.endsWith('.ts') || engineModule.endsWith('.ts');
    const { port1, port2 } = new MessageChannel();
    this.results = port1;
    // From TypeScript sources (tests, tsx scripts) the worker registers tsx's require hook first.
    this.thread = ts
      ? new Worker(TS_BOOTSTRAP, {
          eval: true,
          workerData: { engineModule, engineOptions, entry, results: port2, doorbell: this.doorbell.buffer, watchMs },
          transferList: [port2],
          stdout: false,
          stderr: false,
          resourceLimits,
        })
      : new Worker(entry, {
          workerData: { engineModule, engineOptions, results: port2, doorbell: this.doorbell.buffer, watchMs },
          transferList: [port2],
          stdout: false,
          stderr: false,
          resourceLimits,
        });
    let onReady!: () => void;
    this.onMessage = (msg: FromWorker) => {
      if (msg.type === 'ready') onReady();
      else if (msg.type === 'host-request') void this.answer(msg);
      else events.message(this, msg);
    };
    this.results.on('message', this.onMessage);
    this.results.unref(); // the thread keeps the process alive as long as it should
    this.ready = new Promise((resolve, reject) => {
      onReady = resolve;
      this.thread.on('message', (msg: FromWorker) => {
        if (msg.type === 'init-error') reject(new Error(`execution worker failed to start: ${msg.error}`));
        else this.onMessage(msg);
      });
      this.thread.on('error', (err) => {
        this.alive = false;
        reject(err);
        events.exit(this, `worker ${id} failed: ${err.message}`);
      });
      this.thread.on('exit', (code) => {
        if (!this.alive) return;
        this.alive = false;
        reject(new Error(`execution worker ${id} exited with code ${code} while starting`));
        events.exit(this, `worker ${id} exited with code ${code}`);
      });
    });
    this.ready.catch(() => undefined);
  }

  post(msg: ToWorker): void {
    if (!this.alive) return;
    this.thread.postMessage(msg);
    Atomics.add(this.doorbell, 0, 1); // after the post: a worker that sees it ring finds the message on its port
  }

  /**
   * Handles, now, the split-piece reports that have arrived on its results port (as their events
   * would later); false when none had.
   */
  receiveResults(): boolean {
    let any = false;
    for (let got = receiveMessageOnPort(this.results); got !== undefined; got = receiveMessageOnPort(this.results)) {
      any = true;
      this.onMessage(got.message as FromWorker);
    }
    return any;
  }

  async terminate(): Promise<void> {
    this.alive = false;
    this.results.close();
    await this.thread.terminate();
  }

  private async answer(msg: Extract<FromWorker, { type: 'host-request' }>): Promise<void> {
    try {
      if (!this.hostHandler) throw new Error(`no host handler for request ${msg.kind}`);
      const value = await this.hostHandler(msg.kind, msg.arg);
      this.post({ type: 'host-reply', id: msg.id, value });
    } catch (err) {
      this.post({ type: 'host-reply', id: msg.id, error: (err as Error)?.message ?? String(err) });
    }
  }
}
