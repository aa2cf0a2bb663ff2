/**
 * Watches `counter[0]` move away from `seen` for up to `ms`, without sleeping: a thread that
 * sleeps (`Atomics.wait`, its event loop) took ~40-90 µs to wake on this kind of machine, its core
 * idling meanwhile. Looks at the clock every 64 loads. True when the counter moved.
 */
export function watchCounter(counter: Int32Array, seen: number, ms: number): boolean {
  const until = performance.now() + ms;
  for (let spins = 1; Atomics.load(counter, 0) === seen; spins++) if ((spins & 63) === 0 && performance.now() > until) return false;
  return true;
}
