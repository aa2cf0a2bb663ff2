import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { ArtifactError } from '../errors';
import { getProfile, loadCircuitsManifest, type CircuitProfile, type CircuitsManifest } from '../profiles';
import { cacheRoot } from './cache-dir';
import { compileCircuit, type CompiledCircuit } from './compile';
import { buildDirAtomically, packageDir, packageVersion, randomEntropy, sha256 } from './files';
import { silentLogger, timedStep, type BuildLogger } from './progress';
import { ensurePtau, type PtauFile } from './ptau';

/** Everything needed to prove and verify one profile's chunks; all paths are in the cache. */
export interface CircuitArtifacts {
  profile: CircuitProfile;
  dir: string;
  wasmPath: string;
  zkeyPath: string;
  verificationKeyPath: string;
  solidityVerifierPath: string;
  r1csPath: string;
  constraints: number;
  constraintsPerUpdate: number;
  power: number;
  /** Content key: circuit sources and parameters, ceremony file and snarkjs version. */
  key: string;
  ptauSha256: string;
  ptauSource: PtauFile['source'];
}

export interface BuildOptions {
  cacheDir?: string;
  logger?: BuildLogger;
  /** An operator's prepared ceremony file; default $MESH_PTAU. */
  operatorPtau?: string;
  /** When false, a cache miss is an ArtifactError instead of a (possibly long) build. */
  buildIfMissing?: boolean;
  manifest?: CircuitsManifest;
}

type Manifest = Omit<
  CircuitArtifacts,
  'profile' | 'dir' | 'wasmPath' | 'zkeyPath' | 'verificationKeyPath' | 'solidityVerifierPath' | 'r1csPath'
>;

const SNARKJS_VERSION = packageVersion('snarkjs');

/**
 * Compiles a profile, finds or runs its ceremony, and runs the Groth16 setup with one
 * contribution, exporting the verification key and a Solidity verifier. Every stage is cached by
 * content, so a second call with unchanged inputs only re-hashes and returns.
 */
export async function buildCircuitArtifacts(profileName: string, options: BuildOptions = {}): Promise<CircuitArtifacts> {
  const manifest = options.manifest ?? loadCircuitsManifest();
  const profile = getProfile(profileName, manifest);
  const cacheDir = options.cacheDir ?? cacheRoot();
  const logger = options.logger ?? silentLogger;
  const operatorPtau = options.operatorPtau ?? process.env.MESH_PTAU;

  const compiled = await compileCircuit(manifest, profile, { cacheDir, logger });
  if (options.buildIfMissing === false && !operatorPtau && !hasAnySetup(cacheDir, profile, compiled)) {
    throw new ArtifactError(
      `circuit artifacts for profile "${profile.name}" are not built; run: npm run circuits:build -- --profile ${profile.name}`,
    );
  }
  const ptau = await ensurePtau(compiled.power, { cacheDir, logger, operatorPtau });
  const key = sha256(compiled.sourceKey, ptau.sha256, `snarkjs@${SNARKJS_VERSION}`);
  const dir = join(cacheDir, 'setup', `${profile.name}-${key.slice(0, 16)}`);
  if (!existsSync(join(dir, 'manifest.json'))) {
    if (options.buildIfMissing === false) {
      throw new ArtifactError(
        `circuit artifacts for profile "${profile.name}" are not built; run: npm run circuits:build -- --profile ${profile.name}`,
      );
    }
    await buildDirAtomically(dir, (scratch) => runSetup(scratch, profile, compiled, ptau, key, logger));
    recordSetup(cacheDir, profile, compiled, dir);
  }
  return artifactsIn(dir, profile);
}

/** Reads an already built artifact folder. */
export function artifactsIn(dir: string, profile: CircuitProfile): CircuitArtifacts {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  return {
    ...manifest,
    profile,
    dir,
    wasmPath: join(dir, 'circuit.wasm'),
    zkeyPath: join(dir, 'circuit_final.zkey'),
    verificationKeyPath: join(dir, 'verification_key.json'),
    solidityVerifierPath: join(dir, 'Verifier.sol'),
    r1csPath: join(dir, 'circuit.r1cs'),
  };
}

async function runSetup(
  dir: string,
  profile: CircuitProfile,
  compiled: CompiledCircuit,
  ptau: PtauFile,
  key: string,
  logger: BuildLogger,
): Promise<void> {
  const initial = join(dir, 'circuit_0000.zkey');
  const final = join(dir, 'circuit_final.zkey');
  const created = await timedStep(
    logger,
    `groth16 setup of ${profile.name} (${compiled.constraints} constraints, 2^${compiled.power})`,
    () => snarkjs.zKey.newZKey(compiled.r1csPath, ptau.path, initial),
  );
  if (created === -1) throw new ArtifactError(`the ceremony file ${ptau.path} is too small for ${compiled.constraints} constraints`);
  await timedStep(logger, 'phase-2 contribution', () =>
    snarkjs.zKey.contribute(initial, final, 'rollup-mesh dev contribution', randomEntropy()),
  );
  rmSync(initial);

  const verificationKey = await snarkjs.zKey.exportVerificationKey(final);
  writeFileSync(join(dir, 'verification_key.json'), JSON.stringify(verificationKey, null, 2));
  const template = readFileSync(join(packageDir('snarkjs'), 'templates', 'verifier_groth16.sol.ejs'), 'utf8');
  writeFileSync(join(dir, 'Verifier.sol'), await snarkjs.zKey.exportSolidityVerifier(final, { groth16: template }));
  copyFileSync(compiled.wasmPath, join(dir, 'circuit.wasm'));
  copyFileSync(compiled.r1csPath, join(dir, 'circuit.r1cs'));

  const manifest: Manifest = {
    constraints: compiled.constraints,
    constraintsPerUpdate: Math.round(compiled.constraints / profile.chunkSize),
    power: compiled.power,
    key,
    ptauSha256: ptau.sha256,
    ptauSource: ptau.source,
  };
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ ...manifest, profile: profile.name, snarkjs: SNARKJS_VERSION, builtAt: new Date().toISOString() }, null, 2),
  );
}

/** Index of setups per compiled circuit, so that "is anything built" needs no ceremony hashing. */
function recordSetup(cacheDir: string, profile: CircuitProfile, compiled: CompiledCircuit, dir: string): void {
  const index = join(cacheDir, 'setup', `${profile.name}-${compiled.sourceKey.slice(0, 16)}.latest`);
  mkdirSync(dirname(index), { recursive: true });
  writeFileSync(index, dir);
}

function hasAnySetup(cacheDir: string, profile: CircuitProfile, compiled: CompiledCircuit): boolean {
  const index = join(cacheDir, 'setup', `${profile.name}-${compiled.sourceKey.slice(0, 16)}.latest`);
  return existsSync(index) && existsSync(join(readFileSync(index, 'utf8'), 'manifest.json'));
}
