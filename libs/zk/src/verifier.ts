import { readFileSync } from 'node:fs';
import { buildBn128, Scalar, type Bn128 } from 'ffjavascript';
import { statementSignals, type ChunkStatement } from './chunk';
import { parseGroth16Proof, parsePublicSignals } from './proof';

/** A verification key as snarkjs exports it (decimal-string coordinates). */
export interface VerificationKey {
  protocol: string;
  curve: string;
  nPublic: number;
  vk_alpha_1: string[];
  vk_beta_2: string[][];
  vk_gamma_2: string[][];
  vk_delta_2: string[][];
  IC: string[][];
}

/** A verification key file as snarkjs writes it (`verification_key.json`). */
export function readVerificationKey(path: string): VerificationKey {
  return JSON.parse(readFileSync(path, 'utf8')) as VerificationKey;
}

let sharedCurve: Promise<Bn128> | undefined;

/** A private single-threaded bn128 curve: no worker threads, so no thread hops per check. */
function verifierCurve(): Promise<Bn128> {
  sharedCurve ??= buildBn128(true);
  return sharedCurve;
}

const toBig = (coords: string[]) => coords.map((c) => BigInt(c));

/**
 * Groth16 verifier for one verification key, doing snarkjs' `groth16.verify` check (the same
 * pairing equation, well-formedness and range checks, with ffjavascript's curve) but with the
 * curve and the parsed key points kept across calls: a check costs only the multi-exponentiation
 * and the pairing.
 */
export class ChunkVerifier {
  private constructor(
    private readonly curve: Bn128,
    readonly nPublic: number,
    private readonly ic0: Uint8Array,
    private readonly icBases: Uint8Array,
    private readonly alpha: Uint8Array,
    private readonly beta: Uint8Array,
    private readonly gamma: Uint8Array,
    private readonly delta: Uint8Array,
  ) {}

  static async fromKey(vk: VerificationKey): Promise<ChunkVerifier> {
    if (vk.protocol !== 'groth16' || vk.curve !== 'bn128' || vk.IC.length !== vk.nPublic + 1) {
      throw new Error('verification key is not a groth16 / bn128 key with nPublic + 1 IC points');
    }
    const curve = await verifierCurve();
    const { G1, G2 } = curve;
    const pointSize = G1.F.n8 * 2;
    const icBases = new Uint8Array(pointSize * vk.nPublic);
    for (let i = 0; i < vk.nPublic; i++) icBases.set(G1.fromObject(toBig(vk.IC[i + 1])), i * pointSize);
    return new ChunkVerifier(
      curve,
      vk.nPublic,
      G1.fromObject(toBig(vk.IC[0])),
      icBases,
      G1.fromObject(toBig(vk.vk_alpha_1)),
      G2.fromObject(vk.vk_beta_2.map(toBig)),
      G2.fromObject(vk.vk_gamma_2.map(toBig)),
      G2.fromObject(vk.vk_delta_2.map(toBig)),
    );
  }

  static fromFile(path: string): Promise<ChunkVerifier> {
    return ChunkVerifier.fromKey(readVerificationKey(path));
  }

  /**
   * True only for a valid proof of exactly these public signals. Malformed input (wrong shapes,
   * non-numbers) throws InvalidInputError; a well-formed but wrong proof returns false.
   */
  async verify(proof: unknown, publicSignals: unknown): Promise<boolean> {
    const p = parseGroth16Proof(proof);
    const signals = parsePublicSignals(publicSignals, this.nPublic).map((s) => BigInt(s));
    const { curve } = this;
    const { G1, G2 } = curve;
    if (signals.some((s) => s >= curve.r)) return false;
    if ([...p.pi_a, ...p.pi_b.flat(), ...p.pi_c].some((c) => BigInt(c) >= curve.q)) return false;

    const pi_a = G1.fromObject(toBig(p.pi_a));
    const pi_b = G2.fromObject(p.pi_b.map(toBig));
    const pi_c = G1.fromObject(toBig(p.pi_c));
    if (!G1.isValid(pi_a) || !G2.isValid(pi_b) || !G1.isValid(pi_c)) return false;

    const scalars = new Uint8Array(curve.Fr.n8 * this.nPublic);
    signals.forEach((s, i) => Scalar.toRprLE(scalars, curve.Fr.n8 * i, s, curve.Fr.n8));
    const cpub = G1.add(await G1.multiExpAffine(this.icBases, scalars), this.ic0);
    return curve.pairingEq(G1.neg(pi_a), pi_b, cpub, this.gamma, pi_c, this.delta, this.alpha, this.beta);
  }

  verifyStatement(statement: ChunkStatement, proof: unknown): Promise<boolean> {
    return this.verify(proof, statementSignals(statement));
  }
}
