import { MeshError } from '@mesh/core';

/** The inputs do not satisfy the circuit (e.g. an oldRoot that the siblings do not lead to). */
export class WitnessError extends MeshError {
  constructor(reason: string) {
    super('WITNESS', `proof inputs do not satisfy the circuit: ${reason}`);
  }
}

/** A circuit profile or its artifacts are missing or inconsistent. */
export class ArtifactError extends MeshError {
  constructor(message: string) {
    super('ARTIFACT', message);
  }
}

/** The prover worker died or was closed while a proof was pending. */
export class ProverUnavailableError extends MeshError {
  constructor(message: string) {
    super('PROVER_UNAVAILABLE', message);
  }
}
