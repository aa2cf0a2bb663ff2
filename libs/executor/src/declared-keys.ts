/**
 * The optional fast path for txs that declare their keys (EIP-2930 access lists, ...): a
 * dependency graph built before the block runs, so that a tx starts only once the earlier txs it
 * depends on have executed, instead of speculating and being re-executed.
 */

/**
 * The state keys a tx declares it will touch. `writes`: keys it may write (and read); `reads`:
 * keys it only reads. A declaration is a scheduling hint, never trusted for results: a tx that
 * touches an undeclared key is caught by validation and re-executed (the optimistic path).
 */
export interface DeclaredKeys {
  reads: readonly bigint[];
  writes: readonly bigint[];
}

export interface DependencyGraph {
  /** Per tx, the earlier txs it waits for (undefined: none). */
  deps: (number[] | undefined)[];
  edges: number;
  /** The most txs on one chain of dependencies (the block cannot take fewer steps than that; 0 without declarations). */
  longestChain: number;
}

/**
 * Per tx, the earlier txs it must wait for: tx i depends on tx j < i when j declared a write of a
 * key i declared (as a read or a write), and only on the last such j per key (that one waits for
 * the earlier writers of the key in turn). A tx without a declaration (undefined) neither waits nor
 * is waited for: it takes the optimistic path. `edges` counts the dependencies in all.
 */
export function declaredDependencies(declared: readonly (DeclaredKeys | undefined)[]): DependencyGraph {
  const lastWriter = new Map<bigint, number>();
  const deps: (number[] | undefined)[] = new Array(declared.length);
  const depth = new Int32Array(declared.length);
  let edges = 0;
  let longestChain = 0;
  for (let i = 0; i < declared.length; i++) {
    const d = declared[i];
    if (d === undefined) continue;
    let mine: number[] | undefined;
    const note = (key: bigint) => {
      const j = lastWriter.get(key);
      if (j === undefined || mine?.includes(j)) return;
      (mine ??= []).push(j);
    };
    for (const key of d.reads) note(key);
    for (const key of d.writes) note(key);
    for (const key of d.writes) lastWriter.set(key, i);
    depth[i] = 1;
    if (mine !== undefined) {
      deps[i] = mine;
      edges += mine.length;
      for (const j of mine) depth[i] = Math.max(depth[i], depth[j] + 1);
    }
    longestChain = Math.max(longestChain, depth[i]);
  }
  return { deps, edges, longestChain };
}
