/**
 * A block's first executions are claimed from a shared counter (ToWorker 'claim'): an Int32Array
 * over a SharedArrayBuffer, [0] the lowest tx no thread has claimed, [1] how far claims may go for
 * now (a probe block's first part). Workers and the coordinator claim through `claimTxs`.
 */

/**
 * Claims up to `size(start)` consecutive txs with a compare-and-swap, never past the limit nor
 * past `available` (txs the claimer has received). 'drained': the counter passed the block's
 * `total`; 'wait': the next tx is beyond the limit or not received yet.
 */
export function claimTxs(
  counter: Int32Array,
  total: number,
  available: number,
  size: (start: number) => number,
): { start: number; count: number } | 'wait' | 'drained' {
  let start = Atomics.load(counter, 0);
  for (;;) {
    if (start >= total) return 'drained';
    const end = Math.min(total, available, Atomics.load(counter, 1));
    if (start >= end) return 'wait';
    const count = Math.min(size(start), end - start);
    const seen = Atomics.compareExchange(counter, 0, start, start + count);
    if (seen === start) return { start, count };
    start = seen;
  }
}
