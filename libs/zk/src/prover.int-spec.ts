import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import * as snarkjs from 'snarkjs';
import { buildBn128 } from 'ffjavascript';
import { FIELD_MODULUS } from '@mesh/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryNodeStore, poseidonHasher, StateTree, type Hasher, type StateUpdate } from '@mesh/state';
import { buildCircuitArtifacts, releaseCurve, type CircuitArtifacts } from './build';
import { chunkSteps, statementSignals, chunkCircuitInput, type Chunk } from './chunk';
import { WitnessError } from './errors';
import { Prover } from './prover';
import { ChunkVerifier } from './verifier';

/**
 * Real Groth16 proofs of the `dev` profile: the roots libs/state computes must be exactly the
 * circuit's public signals, and every proof must verify (and stop verifying when tampered with).
 */
let artifacts: CircuitArtifacts;
let prover: Prover;
let verifier: ChunkVerifier;
let hasher: Hasher;

beforeAll(async () => {
  artifacts = await buildCircuitArtifacts('dev');
  [prover, verifier, hasher] = await Promise.all([
    Prover.start(artifacts),
    ChunkVerifier.fromFile(artifacts.verificationKeyPath),
    poseidonHasher(),
  ]);
});

afterAll(async () => {
  await prover?.close();
  await releaseCurve();
});

async function treeWith(prefill: StateUpdate[]): Promise<StateTree> {
  const tree = await StateTree.open(new MemoryNodeStore(), { depth: artifacts.profile.depth, hasher });
  if (prefill.length > 0) await tree.update(prefill);
  return tree;
}

/** Plans updates on the tree, proves every chunk, checks signals and verification; returns the chunks. */
async function proveAndCheck(tree: StateTree, updates: StateUpdate[]): Promise<Chunk[]> {
  const batch = await tree.plan(updates);
  const chunks = chunkSteps(hasher, batch.steps, artifacts.profile.chunkSize, batch.oldRoot);
  let root = batch.oldRoot;
  for (const chunk of chunks) {
    expect(chunk.statement.oldRoot).toBe(root);
    const { proof, publicSignals } = await prover.proveChunk(chunk);
    expect(publicSignals).toEqual(statementSignals(chunk.statement));
    expect(await verifier.verify(proof, publicSignals)).toBe(true);
    root = chunk.statement.newRoot;
  }
  expect(root).toBe(batch.newRoot);
  await tree.commit(batch);
  return chunks;
}

const key = fc.integer({ min: 1, max: 40 }).map(BigInt);
const nonZero = fc.bigInt({ min: 1n, max: 2n ** 250n });
const value = fc.oneof(fc.constant(0n), nonZero);
const update = fc.record({ key, value });

/** The shapes the issue names, each a generator of (state before, one chunk of updates). */
const scenarios = fc.oneof(
  // insert into an empty tree (a partially filled chunk when there is one update)
  fc
    .tuple(key, nonZero, fc.array(update, { maxLength: 1 }))
    .map(([k, v, more]) => ({ prefill: [] as StateUpdate[], updates: [{ key: k, value: v }, ...more] })),
  // overwrite existing keys
  fc.tuple(key, key, value, value).map(([a, b, v, w]) => ({
    prefill: [
      { key: a, value: 7n },
      { key: b, value: 9n },
    ],
    updates: [
      { key: a, value: v === 0n ? 1n : v },
      { key: b, value: w === 0n ? 2n : w },
    ],
  })),
  // set existing keys to zero
  fc
    .tuple(key, fc.array(update, { maxLength: 3 }))
    .map(([a, others]) => ({ prefill: [...others, { key: a, value: 5n }], updates: [{ key: a, value: 0n }] })),
  // the same key twice in one chunk
  fc.tuple(key, nonZero, value).map(([a, v, w]) => ({
    prefill: [{ key: a + 100n, value: 1n }],
    updates: [
      { key: a, value: v },
      { key: a, value: w },
    ],
  })),
);

describe('Prover and ChunkVerifier (dev profile, real proofs)', () => {
  it('proves random update sequences whose public signals equal the roots of libs/state', async () => {
    let provenSequences = 0;
    await fc.assert(
      fc.asyncProperty(scenarios, async ({ prefill, updates }) => {
        const tree = await treeWith(prefill);
        if ((await proveAndCheck(tree, updates)).length > 0) provenSequences++;
      }),
      { numRuns: 50, endOnFailure: true },
    );
    expect(provenSequences).toBe(50);
  });

  it('chains several chunks of one batch from its old root to its new root', async () => {
    const tree = await treeWith([{ key: 1n, value: 1n }]);
    const chunks = await proveAndCheck(tree, [
      { key: 1n, value: 2n },
      { key: 2n, value: 3n },
      { key: 3n, value: 4n },
      { key: 1n, value: 0n },
      { key: 4n, value: 5n },
    ]);
    expect(chunks.map((c) => c.steps.length)).toEqual([2, 2, 1]);
    expect(chunks.map((c) => c.statement.chunkIndex)).toEqual([0, 1, 2]);
  });

  it('fails verification when any public signal or any proof element is changed', async () => {
    const tree = await treeWith([{ key: 5n, value: 5n }]);
    const batch = await tree.plan([
      { key: 5n, value: 6n },
      { key: 6n, value: 1n },
    ]);
    const [chunk] = chunkSteps(hasher, batch.steps, artifacts.profile.chunkSize, batch.oldRoot);
    const { proof, publicSignals } = await prover.proveChunk(chunk);
    expect(await verifier.verify(proof, publicSignals)).toBe(true);

    // Our cached verifier must agree with snarkjs' own on every case.
    const vk = JSON.parse(readFileSync(artifacts.verificationKeyPath, 'utf8'));
    const bothVerify = async (p: typeof proof, signals: string[]) => {
      const ours = await verifier.verify(p, signals);
      expect(await snarkjs.groth16.verify(vk, signals, p)).toBe(ours);
      return ours;
    };
    expect(await bothVerify(proof, publicSignals)).toBe(true);
    for (let i = 0; i < publicSignals.length; i++) {
      const tampered = publicSignals.map((s, j) => (j === i ? String(BigInt(s) + 1n) : s));
      expect(await bothVerify(proof, tampered), `public signal ${i}`).toBe(false);
    }
    expect(
      await bothVerify(
        proof,
        publicSignals.map((s, j) => (j === 0 ? String(BigInt(s) + FIELD_MODULUS) : s)),
      ),
    ).toBe(false);
    const elements: [keyof typeof proof, number, number?][] = [
      ['pi_a', 0],
      ['pi_a', 1],
      ['pi_a', 2],
      ['pi_b', 0, 0],
      ['pi_b', 0, 1],
      ['pi_b', 1, 0],
      ['pi_b', 1, 1],
      ['pi_b', 2, 0],
      ['pi_b', 2, 1],
      ['pi_c', 0],
      ['pi_c', 1],
      ['pi_c', 2],
    ];
    for (const [field, i, j] of elements) {
      const tampered = structuredClone(proof);
      if (j === undefined) (tampered[field] as string[])[i] = String(BigInt((tampered[field] as string[])[i]) + 1n);
      else (tampered[field] as string[][])[i][j] = String(BigInt((tampered[field] as string[][])[i][j]) + 1n);
      expect(await bothVerify(tampered, publicSignals), `${field}[${i}]${j === undefined ? '' : `[${j}]`}`).toBe(false);
    }
    // A proof of another statement does not verify this one.
    const other = await prover.proveChunk(chunkSteps(hasher, (await tree.plan([{ key: 9n, value: 9n }])).steps, 2, tree.root)[0]);
    expect(await verifier.verify(other.proof, publicSignals)).toBe(false);
  });

  it('uses the BN254 scalar field of the proving curve for state values', async () => {
    const curve = await buildBn128(true);
    expect(FIELD_MODULUS).toBe(curve.r);
  });

  it('rejects malformed proofs with a clear error', async () => {
    await expect(verifier.verify({ pi_a: ['x'] }, ['1', '2', '3', '4'])).rejects.toThrow(/proof.protocol/);
    await expect(
      verifier.verify({ protocol: 'groth16', curve: 'bn128', pi_a: ['1'], pi_b: [[], [], []], pi_c: [] }, ['1']),
    ).rejects.toThrow(/pi_a must be an array of 3/);
  });

  it('refuses an inconsistent witness with a typed error and keeps working', async () => {
    const tree = await treeWith([{ key: 1n, value: 1n }]);
    const [chunk] = chunkSteps(hasher, (await tree.plan([{ key: 1n, value: 2n }])).steps, 2, tree.root);
    const wrongOldRoot = { ...chunk, statement: { ...chunk.statement, oldRoot: chunk.statement.oldRoot + 1n } };
    await expect(prover.proveChunk(wrongOldRoot)).rejects.toThrow(WitnessError);
    await expect(prover.proveChunk(wrongOldRoot)).rejects.toThrow(/do not lead to the running root/);
    // The same bad input sent raw reaches the circuit's own assertions in the worker: still a typed error.
    await expect(prover.prove(chunkCircuitInput(artifacts.profile, wrongOldRoot))).rejects.toThrow(/circuit constraint failed/);
    const good = await prover.proveChunk(chunk);
    expect(await verifier.verify(good.proof, good.publicSignals)).toBe(true);
  });

  it('keeps the caller event loop free while proving', async () => {
    const tree = await treeWith([]);
    const [chunk] = chunkSteps(
      hasher,
      (
        await tree.plan([
          { key: 3n, value: 3n },
          { key: 4n, value: 4n },
        ])
      ).steps,
      2,
      tree.root, // plan does not move the tree: still the batch's pre-state root
    );
    let ticks = 0;
    let longestGap = 0;
    let last = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 10);
    await prover.proveChunk(chunk);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(20);
    expect(longestGap).toBeLessThan(500);
  });
});
