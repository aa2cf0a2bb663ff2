/**
 * npm run bench:prove -- --profile <dev|standard> [--runs N]
 *
 * Side by side, on the same chunk input and the same artifacts: our in-process prover (worker
 * with artifacts loaded) against `snarkjs groth16 fullprove`, and our in-process verifier against
 * `snarkjs groth16 verify`. The two sides alternate run by run so that machine noise hits both;
 * figures are medians. The last line is one JSON object.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryNodeStore, poseidonHasher, StateTree } from '@mesh/state';
import {
  buildCircuitArtifacts,
  chunkCircuitInput,
  chunkSteps,
  ChunkVerifier,
  consoleLogger,
  packageDir,
  Prover,
  releaseCurve,
} from '@mesh/zk';
import { argValue } from '../scripts/cli-args';
import { median } from './support/median';

async function timed(run: () => unknown): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function main(): Promise<void> {
  const profileName = argValue(process.argv, 'profile') ?? 'dev';
  const runs = Number(argValue(process.argv, 'runs') ?? 7);
  const verifyRuns = Math.max(runs, 15);
  const artifacts = await buildCircuitArtifacts(profileName, { logger: consoleLogger('bench') });
  const { profile } = artifacts;

  // A full chunk: K updates over a tree that already holds some keys (inserts and overwrites).
  const hasher = await poseidonHasher();
  const tree = await StateTree.open(new MemoryNodeStore(), { depth: profile.depth, hasher });
  await tree.update(Array.from({ length: profile.chunkSize }, (_, i) => ({ key: BigInt(1000 + i), value: BigInt(i + 1) })));
  const updates = Array.from({ length: profile.chunkSize }, (_, i) => ({ key: BigInt(1000 + 2 * i), value: BigInt(77 + i) }));
  const plan = await tree.plan(updates);
  const [chunk] = chunkSteps(hasher, plan.steps, profile.chunkSize, plan.oldRoot);
  if (chunk.steps.length !== profile.chunkSize) throw new Error('benchmark chunk is not full');

  const work = mkdtempSync(join(tmpdir(), 'mesh-bench-'));
  const inputPath = join(work, 'input.json');
  const proofPath = join(work, 'proof.json');
  const publicPath = join(work, 'public.json');
  writeFileSync(inputPath, JSON.stringify(chunkCircuitInput(profile, chunk)));
  const snarkjsCli = join(packageDir('snarkjs'), 'build', 'cli.cjs');
  const cli = (...args: string[]) => execFileSync(process.execPath, [snarkjsCli, ...args], { stdio: 'pipe' });

  const prover = await Prover.start(artifacts);
  const verifier = await ChunkVerifier.fromFile(artifacts.verificationKeyPath);
  const first = await prover.proveChunk(chunk); // warm-up: the worker's first proof builds its thread pool
  if (!(await verifier.verify(first.proof, first.publicSignals))) throw new Error('warm-up proof does not verify');

  const proveMs: number[] = [];
  const cliProveMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    proveMs.push(await timed(() => prover.proveChunk(chunk)));
    cliProveMs.push(
      await timed(() => cli('groth16', 'fullprove', inputPath, artifacts.wasmPath, artifacts.zkeyPath, proofPath, publicPath)),
    );
    process.stderr.write(
      `[bench] prove run ${i + 1}/${runs}: in-process ${proveMs[i].toFixed(0)} ms, CLI ${cliProveMs[i].toFixed(0)} ms\n`,
    );
  }

  writeFileSync(proofPath, JSON.stringify(first.proof));
  writeFileSync(publicPath, JSON.stringify(first.publicSignals));
  const verifyMs: number[] = [];
  const cliVerifyMs: number[] = [];
  for (let i = 0; i < verifyRuns; i++) {
    verifyMs.push(await timed(() => verifier.verify(first.proof, first.publicSignals)));
    cliVerifyMs.push(await timed(() => cli('groth16', 'verify', artifacts.verificationKeyPath, publicPath, proofPath)));
  }

  await prover.close();
  await releaseCurve();
  rmSync(work, { recursive: true, force: true });

  const result = {
    profile: profile.name,
    constraintsPerUpdate: artifacts.constraintsPerUpdate,
    proveMs: Math.round(median(proveMs)),
    cliProveMs: Math.round(median(cliProveMs)),
    proveRatio: Number((median(proveMs) / median(cliProveMs)).toFixed(3)),
    verifyMs: Number(median(verifyMs).toFixed(1)),
    cliVerifyMs: Math.round(median(cliVerifyMs)),
  };
  console.log(`profile ${profile.name}: depth ${profile.depth}, K ${profile.chunkSize}, ${artifacts.constraints} constraints`);
  console.log(`constraints per update     ${result.constraintsPerUpdate}`);
  console.log(
    `prove, median of ${runs}       in-process ${result.proveMs} ms | snarkjs CLI ${result.cliProveMs} ms | ratio ${result.proveRatio}`,
  );
  console.log(
    `verify, median of ${verifyRuns}     in-process ${result.verifyMs} ms | snarkjs CLI ${result.cliVerifyMs} ms | ${(result.cliVerifyMs / result.verifyMs).toFixed(1)}x faster`,
  );
  console.log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:prove failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
