/**
 * How much faster two threads of plain JavaScript run than one on this machine: the ceiling for
 * any 2-worker speed-up here. Cores of a shared VM do not give 2x (the host's turbo for one busy
 * core, other tenants): measured between 1.7x and 1.95x.
 */
import { Worker } from 'node:worker_threads';
import { median } from './median';

const SPIN = `
  const spin = (ms) => {
    const end = Date.now() + ms;
    let n = 0, acc = 0;
    while (Date.now() < end) {
      for (let i = 0; i < 1000; i++) { const o = { a: i, b: [i, i * 2] }; acc += o.b[1] % 7; }
      n++;
    }
    return acc >= 0 ? n : -1;
  };`;

const spinHere = new Function(`${SPIN} return spin;`)() as (ms: number) => number;

function spinInWorker(ms: number): Promise<number> {
  const w = new Worker(`${SPIN} require('node:worker_threads').parentPort.postMessage(spin(${ms}));`, { eval: true });
  return new Promise<number>((resolve, reject) => {
    w.once('message', (n: number) => resolve(n));
    w.once('error', reject);
  }).finally(() => void w.terminate());
}

/** Median over `reps` of (work done by 2 threads at once) / (work done by 1 thread), each for `ms`. */
export async function cpuScaling(reps = 3, ms = 1000): Promise<number> {
  const ratios: number[] = [];
  for (let r = 0; r < reps; r++) {
    const one = spinHere(ms);
    const [a, b] = await Promise.all([spinInWorker(ms), spinInWorker(ms)]);
    ratios.push((a + b) / one);
  }
  return Number(median(ratios).toFixed(2));
}
