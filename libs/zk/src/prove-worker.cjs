'use strict';
// Proving worker process (plain CommonJS, so the same file runs under vitest and from dist/).
// A child process rather than a worker thread: snarkjs spreads one proof over its own thread
// pool, which it can only create from a process's main thread.
// It loads the witness wasm (compiled once) and the zkey bytes once, then answers
// { id, input } messages with { id, ok, proof, publicSignals } or { id, ok: false, witness, error }.
const { readFileSync } = require('node:fs');
const { WitnessCalculatorBuilder } = require('circom_runtime');
const snarkjs = require('snarkjs');

const { MESH_PROVER_WASM: wasmPath, MESH_PROVER_ZKEY: zkeyPath } = process.env;
const message = (err) => String(err && err.message ? err.message : err);

// The parent is gone (even killed with -9): nothing is left to prove for.
process.on('disconnect', () => process.exit(0));

let zkey;
let calculatorReady;
try {
  zkey = { type: 'mem', data: new Uint8Array(readFileSync(zkeyPath)) };
  calculatorReady = WitnessCalculatorBuilder(readFileSync(wasmPath));
} catch (err) {
  calculatorReady = Promise.reject(err);
}
calculatorReady.then(
  () => process.send({ ready: true }),
  (err) => process.send({ ready: false, error: message(err) }),
);

let queue = Promise.resolve();
process.on('message', (job) => {
  queue = queue.then(() => prove(job));
});

async function prove({ id, input }) {
  const calculator = await calculatorReady;
  let witness;
  try {
    witness = await calculator.calculateWTNSBin(input, 0);
  } catch (err) {
    process.send({ id, ok: false, witness: true, error: message(err) });
    return;
  }
  try {
    const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, { type: 'mem', data: witness });
    process.send({ id, ok: true, proof, publicSignals });
  } catch (err) {
    process.send({ id, ok: false, witness: false, error: message(err) });
  }
}
