import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as snarkjs from 'snarkjs';
import { ArtifactError } from '../errors';
import type { CircuitProfile, CircuitsManifest } from '../profiles';
import { buildDirAtomically, packageDir, packageVersion, sha256 } from './files';
import { timedStep, type BuildLogger } from './progress';

export interface CompiledCircuit {
  dir: string;
  r1csPath: string;
  wasmPath: string;
  /** Content key: hash of the template, its parameters and the compiler and library versions. */
  sourceKey: string;
  constraints: number;
  publicSignals: number;
  /** Smallest ceremony power that fits the circuit (snarkjs' own rule). */
  power: number;
}

interface CompileInfo {
  constraints: number;
  publicSignals: number;
  power: number;
}

const CIRCOM_FLAGS = ['--r1cs', '--wasm', '--O2'];

export function mainSource(manifest: CircuitsManifest, profile: CircuitProfile): string {
  return [
    'pragma circom 2.1.0;',
    `include "${manifest.template}";`,
    `component main {public [oldRoot, newRoot, diffHash, chunkIndex]} = ${manifest.entry}(${profile.depth}, ${profile.chunkSize});`,
    '',
  ].join('\n');
}

/** Content key of a profile's circuit: changes whenever anything that shapes the r1cs changes. */
export function circuitSourceKey(manifest: CircuitsManifest, profile: CircuitProfile): string {
  return sha256(
    readFileSync(join(manifest.dir, manifest.template)),
    mainSource(manifest, profile),
    `circomlib@${packageVersion('circomlib')}`,
    `circom2@${packageVersion('circom2')}`,
    CIRCOM_FLAGS.join(' '),
  );
}

/** Compiles a profile with circom2 (circom in WebAssembly, `--O2`), or returns the cached result. */
export async function compileCircuit(
  manifest: CircuitsManifest,
  profile: CircuitProfile,
  options: { cacheDir: string; logger: BuildLogger },
): Promise<CompiledCircuit> {
  const sourceKey = circuitSourceKey(manifest, profile);
  const dir = join(options.cacheDir, 'compile', `${profile.name}-${sourceKey.slice(0, 16)}`);
  if (!existsSync(join(dir, 'info.json'))) {
    await buildDirAtomically(dir, async (scratch) => {
      writeFileSync(join(scratch, 'circuit.circom'), mainSource(manifest, profile));
      await timedStep(options.logger, `compiling ${profile.name} (depth ${profile.depth}, K ${profile.chunkSize}) with circom2 --O2`, () =>
        runCircom(manifest.dir, scratch),
      );
      const info = await snarkjs.r1cs.info(join(scratch, 'circuit.r1cs'));
      const publicSignals = info.nPubInputs + info.nOutputs;
      const compiled: CompileInfo = {
        constraints: info.nConstraints,
        publicSignals,
        power: Math.floor(Math.log2(info.nConstraints + publicSignals)) + 1,
      };
      writeFileSync(join(scratch, 'info.json'), JSON.stringify(compiled, null, 2));
    });
  }
  const info = JSON.parse(readFileSync(join(dir, 'info.json'), 'utf8')) as CompileInfo;
  return { dir, r1csPath: join(dir, 'circuit.r1cs'), wasmPath: join(dir, 'circuit_js', 'circuit.wasm'), sourceKey, ...info };
}

/**
 * circom2 runs under WASI with the working directory's tree as its file system, so it is started
 * in the folder that holds node_modules and given every path relative to it.
 */
function runCircom(circuitsDir: string, outDir: string): Promise<void> {
  const nodeModules = dirname(packageDir('circomlib'));
  const cwd = dirname(nodeModules);
  const args = [
    join(packageDir('circom2'), 'cli.js'),
    relative(cwd, join(outDir, 'circuit.circom')),
    ...CIRCOM_FLAGS,
    '-l',
    relative(cwd, circuitsDir),
    '-l',
    relative(cwd, nodeModules),
    '-o',
    relative(cwd, outDir),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new ArtifactError(`circom2 failed (exit ${code}):\n${output.replace(/\x1b\[[0-9;]*m/g, '')}`)),
    );
  });
}
