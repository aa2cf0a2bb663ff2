/**
 * Entry of an execution worker thread. Loads the VM's TxEngine module (workerData.engineModule),
 * keeps committed state and the current block's multi-version memory as replicas, and executes
 * the tasks the coordinator sends, strictly in message order (a task sees the replica as of the
 * moment it starts; updates arriving meanwhile apply after it).
 */
import { deserialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { isDependencyAbort, type EngineHost, type TxEngine, type TxEngineFactory } from './engine';
import { MVMemory, RecordingView } from './mv-memory';
import { encodeExecuted, executedTx, type ExecutedTx, type FromWorker, type ToWorker } from './protocol';

interface WorkerInit {
  engineModule: string;
  engineOptions: unknown;
}

const port = parentPort!;
const init = workerData as WorkerInit;
const send = (msg: FromWorker) => port.postMessage(msg);

const committed = new Map<bigint, bigint>();
const mv = new MVMemory();
let blockId = -1;
let crashAt = -1;
let engine: TxEngine;

const pendingReplies = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextRequest = 0;
const host: EngineHost = {
  request(kind, arg) {
    const id = nextRequest++;
    return new Promise((resolve, reject) => {
      pendingReplies.set(id, { resolve, reject });
      send({ type: 'host-request', id, kind, arg });
    });
  },
};

const committedValue = (key: bigint): bigint => committed.get(key) ?? 0n;

async function execTask(msg: Extract<ToWorker, { type: 'exec' }>): Promise<void> {
  const executed: ExecutedTx[] = [];
  const done = (extra: Partial<Extract<FromWorker, { type: 'done' }>> = {}) =>
    send({ type: 'done', blockId: msg.blockId, taskId: msg.taskId, executed: encodeExecuted(executed), ...extra });
  if (msg.blockId !== blockId) return done({ failed: `task for block ${msg.blockId}, worker is on ${blockId}` });
  for (let j = 0; j < msg.incarnations.length; j++) {
    const tx = msg.start + j;
    const incarnation = msg.incarnations[j];
    if (tx === crashAt) process.exit(70); // test hook: a worker dying mid-block
    const view = new RecordingView(tx, mv, committedValue);
    try {
      const r = await engine.executeTx(tx, view);
      executed.push(executedTx(tx, incarnation, view.reads, r));
      // Later txs of this task see this one's writes.
      mv.record(tx, incarnation, r.writes);
      if (r.shared !== undefined) engine.receive?.(r.shared);
      if (r.serialOnly !== undefined) break;
    } catch (err) {
      if (isDependencyAbort(err)) return done({ aborted: { tx, incarnation, blocking: err.blocking } });
      return done({ failed: (err as Error)?.stack ?? String(err) });
    }
  }
  done();
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'snapshot':
      committed.clear();
      for (const [k, v] of msg.entries) committed.set(k, v);
      return;
    case 'commit':
      for (const [k, v] of msg.writes) {
        if (v === 0n) committed.delete(k);
        else committed.set(k, v);
      }
      if (msg.payload !== undefined) engine.committed?.(msg.payload);
      return;
    case 'begin':
      blockId = msg.blockId;
      crashAt = -1; // a crash plan holds for one block
      mv.clear();
      await engine.beginBlock(msg.block, msg.txs);
      return;
    case 'mv':
      if (msg.blockId !== blockId) return;
      for (const w of msg.writes) {
        mv.record(w.tx, w.incarnation, w.writes);
        if (w.shared !== undefined) engine.receive?.(w.shared);
      }
      for (const tx of msg.estimates) mv.markEstimate(tx);
      return;
    case 'exec':
      return execTask(msg);
    case 'crash-at':
      crashAt = msg.atTx;
      return;
    default:
      return;
  }
}

// Messages run one after another; host replies bypass the queue (a task may be waiting for one).
const queue: ToWorker[] = [];
let draining = false;
async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  try {
    while (queue.length > 0) await handle(queue.shift()!);
  } finally {
    draining = false;
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'host-reply') {
    const waiter = pendingReplies.get(msg.id);
    pendingReplies.delete(msg.id);
    if (msg.error !== undefined) waiter?.reject(new Error(msg.error));
    else waiter?.resolve(msg.value);
    return;
  }
  queue.push(msg.type === 'encoded' ? (deserialize(msg.bytes) as ToWorker) : msg);
  void drain().catch((err: unknown) => {
    // A failure outside a task (beginBlock, committed) is fatal for this worker: the coordinator sees it exit.
    process.stderr.write(`execution worker: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(71);
  });
});

(async () => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(init.engineModule) as { createTxEngine?: TxEngineFactory };
    if (typeof mod.createTxEngine !== 'function') throw new Error(`${init.engineModule} does not export createTxEngine`);
    engine = await mod.createTxEngine(init.engineOptions, host);
    send({ type: 'ready' });
  } catch (err) {
    send({ type: 'init-error', error: (err as Error)?.stack ?? String(err) });
  }
})();
