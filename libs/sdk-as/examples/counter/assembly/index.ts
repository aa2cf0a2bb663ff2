// Example plugin: a counter, plus two methods that misbehave on purpose (runtime tests).
//   increment()   count += 1
//   add(n)        count += n
//   get()         returns count (decimal string)
//   spin()        loops forever: must end out of gas
//   grow()        allocates until memory runs out: must fail at the memory cap
//   fail()        traps through an AssemblyScript assertion (env.abort with a message)
//   crash()       traps through a plain wasm trap (unreachable)
import { Args, emit, revert, setReturnU64, Storage } from "../../../assembly";

const COUNT = "count";

function addToCount(n: u64): void {
  const count = Storage.getU64(COUNT);
  if (count > u64.MAX_VALUE - n) revert("counter overflow");
  Storage.setU64(COUNT, count + n);
  emit("Counted", '{"count":"' + (count + n).toString() + '"}');
}

export function increment(): void {
  addToCount(1);
}

export function add(): void {
  addToCount(Args.nextU64());
}

export function get(): void {
  setReturnU64(Storage.getU64(COUNT));
}

let spins: u64 = 0;

export function spin(): void {
  while (true) {
    spins++;
    if (spins == 0) break; // never: keeps the loop from being optimised away
  }
  Storage.setU64(COUNT, spins);
}

export function grow(): void {
  const chunks = new Array<Uint8Array>();
  while (true) {
    const chunk = new Uint8Array(64 * 1024);
    chunk[0] = 1;
    chunks.push(chunk);
  }
}

export function fail(): void {
  const count = Storage.getU64(COUNT);
  assert(count > 1_000_000, "count is too small");
  Storage.setU64(COUNT, 0);
}

export function crash(): void {
  Storage.setU64(COUNT, 7);
  unreachable();
}
