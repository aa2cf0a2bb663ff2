import * as snarkjs from 'snarkjs';

/** A loaded curve; its worker threads keep Node alive until `terminate()` is called. */
export interface Curve {
  terminate(): Promise<void>;
}

/** snarkjs' `curves` export, which its type declarations leave out. */
export function getCurve(name = 'bn128'): Promise<Curve> {
  return (snarkjs as unknown as { curves: { getCurveFromName(name: string): Promise<Curve> } }).curves.getCurveFromName(name);
}

/**
 * Stops the bn128 curve that snarkjs caches on globalThis, so that a process which proved or
 * verified can exit. The next snarkjs call builds a fresh one.
 */
export async function releaseCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: Curve | null };
  const curve = g.curve_bn128;
  if (curve) {
    g.curve_bn128 = null;
    await curve.terminate();
  }
}
