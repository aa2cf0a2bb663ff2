import { join } from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { poseidonHasher, type Hasher } from '@mesh/state';
import type { CircuitArtifacts } from './build';
import { chunkCircuitInput, explainInvalidChunk, type Chunk, type CircuitInput } from './chunk';
import { ProverUnavailableError, WitnessError } from './errors';
import type { Groth16Proof, ProofWithSignals } from './proof';

type WorkerReply =
  | { ready: true }
  | { ready: false; error: string }
  | { id: number; ok: true; proof: Groth16Proof; publicSignals: string[] }
  | { id: number; ok: false; witness: boolean; error: string };

interface Pending {
  resolve(result: ProofWithSignals): void;
  reject(err: Error): void;
}

const WORKER_SCRIPT = join(__dirname, 'prove-worker.cjs');

/**
 * Groth16 prover for one circuit profile. Proving runs in a worker process that keeps the witness
 * calculator and the zkey loaded, so the caller's event loop stays free and no proof pays for
 * loading artifacts. (A process, not a worker thread: snarkjs can only start the thread pool that
 * spreads one proof over the cores from a main thread.) Proofs are made one at a time per Prover;
 * run more Provers to prove more chunks at once.
 * A worker that dies fails its pending proofs with ProverUnavailableError and is replaced on the
 * next request.
 */
export class Prover {
  private worker: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  private constructor(
    readonly artifacts: CircuitArtifacts,
    private readonly hasher: Hasher,
  ) {}

  /** Starts the worker and waits until it has loaded the artifacts. */
  static async start(artifacts: CircuitArtifacts): Promise<Prover> {
    const prover = new Prover(artifacts, await poseidonHasher());
    await prover.ensureWorker();
    return prover;
  }

  /** Proves one chunk; a chunk the circuit would reject fails with a WitnessError saying why. */
  async proveChunk(chunk: Chunk): Promise<ProofWithSignals> {
    const reason = explainInvalidChunk(this.hasher, this.artifacts.profile, chunk);
    if (reason) throw new WitnessError(reason);
    return this.prove(chunkCircuitInput(this.artifacts.profile, chunk));
  }

  /** Proves raw circuit input (no pre-checks: the witness calculator's assertions decide). */
  async prove(input: CircuitInput): Promise<ProofWithSignals> {
    if (this.closed) throw new ProverUnavailableError('prover is closed');
    await this.ensureWorker();
    const id = this.nextId++;
    return new Promise<ProofWithSignals>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.send({ id, input });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failPending(new ProverUnavailableError('prover was closed with proofs pending'));
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGKILL');
      await exited;
    }
  }

  private ensureWorker(): Promise<void> {
    if (this.worker && this.ready) return this.ready;
    const worker = fork(WORKER_SCRIPT, [], {
      env: { ...process.env, MESH_PROVER_WASM: this.artifacts.wasmPath, MESH_PROVER_ZKEY: this.artifacts.zkeyPath },
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (reply: WorkerReply) => {
        if ('ready' in reply) {
          if (reply.ready) resolve();
          else reject(new ProverUnavailableError(`prover worker could not load the circuit: ${reply.error}`));
          return;
        }
        const pending = this.pending.get(reply.id);
        if (!pending) return;
        this.pending.delete(reply.id);
        if (reply.ok) pending.resolve({ proof: reply.proof, publicSignals: reply.publicSignals });
        else if (reply.witness) pending.reject(new WitnessError(describeWitnessFailure(reply.error)));
        else pending.reject(new ProverUnavailableError(`proving failed: ${reply.error}`));
      });
      const onGone = (err: Error) => {
        if (this.worker === worker) {
          this.worker = undefined;
          this.ready = undefined;
        }
        reject(err);
        this.failPending(err);
      };
      worker.on('error', (err) => onGone(new ProverUnavailableError(`prover worker crashed: ${err.message}`)));
      worker.on('exit', (code, signal) => onGone(new ProverUnavailableError(`prover worker exited (${signal ?? `code ${code}`})`)));
    });
    return this.ready;
  }

  private failPending(err: Error): void {
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
  }
}

/** Turns circom's "Assert Failed ... Error in template X line: N" into one readable sentence. */
function describeWitnessFailure(raw: string): string {
  const template = /Error in template (\w+)/.exec(raw)?.[1];
  const line = /line: (\d+)/.exec(raw)?.[1];
  const where = template ? ` in ${template.replace(/_\d+$/, '')}${line ? ` (state_transition.circom line ${line})` : ''}` : '';
  return `a circuit constraint failed${where}; check oldRoot, siblings, newRoot and diffHash against the tree (${raw.split('\n')[0]})`;
}
