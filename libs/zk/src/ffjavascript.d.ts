declare module 'ffjavascript' {
  type Point = Uint8Array;
  interface Group {
    fromObject(coordinates: bigint[] | bigint[][]): Point;
    isValid(p: Point): boolean;
    add(a: Point, b: Point): Point;
    neg(p: Point): Point;
    multiExpAffine(bases: Uint8Array, scalars: Uint8Array): Promise<Point>;
    F: { n8: number };
  }
  export interface Bn128 {
    r: bigint;
    q: bigint;
    Fr: { n8: number };
    G1: Group;
    G2: Group;
    pairingEq(...pairs: Point[]): Promise<boolean>;
    terminate(): Promise<void>;
  }
  export function buildBn128(singleThread?: boolean): Promise<Bn128>;
  export const Scalar: {
    toRprLE(buffer: Uint8Array, offset: number, value: bigint, n8: number): void;
  };
}
