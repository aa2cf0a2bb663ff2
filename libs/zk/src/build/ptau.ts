import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { ArtifactError } from '../errors';
import { buildDirAtomically, randomEntropy, sha256File } from './files';
import { timedStep, type BuildLogger } from './progress';
import { getCurve } from './snarkjs-curves';

export interface PtauFile {
  path: string;
  sha256: string;
  /** Where it came from: the operator's own ceremony file, or the local development ceremony. */
  source: 'operator' | 'dev-ceremony';
}

const DEV_DIR = /^dev-pot(\d+)$/;

/**
 * A prepared powers-of-tau file for circuits of up to 2^power constraints. The operator's file
 * ($MESH_PTAU) wins; otherwise the smallest cached development ceremony of at least that power,
 * otherwise a new development ceremony is run (new accumulator, one random contribution, phase-2
 * preparation: minutes, shown by a heartbeat) and cached. Nothing is downloaded.
 */
export async function ensurePtau(
  power: number,
  options: { cacheDir: string; logger: BuildLogger; operatorPtau?: string },
): Promise<PtauFile> {
  const { cacheDir, logger, operatorPtau } = options;
  if (operatorPtau) {
    if (!existsSync(operatorPtau)) throw new ArtifactError(`MESH_PTAU names ${operatorPtau}, which does not exist`);
    return { path: operatorPtau, sha256: await sha256File(operatorPtau), source: 'operator' };
  }
  const ptauDir = join(cacheDir, 'ptau');
  const cached = existsSync(ptauDir)
    ? readdirSync(ptauDir)
        .map((name) => Number(DEV_DIR.exec(name)?.[1]))
        .filter((p) => p >= power)
        .sort((a, b) => a - b)
    : [];
  const chosen = cached[0] ?? power;
  const path = join(ptauDir, `dev-pot${chosen}`, 'final.ptau');
  if (!existsSync(path)) {
    logger.info(`no cached ceremony of power >= ${power}: running a local development ceremony of power ${power}`);
    await buildDirAtomically(join(ptauDir, `dev-pot${power}`), (scratch) => runDevCeremony(power, scratch, logger));
  }
  return { path, sha256: await sha256File(path), source: 'dev-ceremony' };
}

async function runDevCeremony(power: number, dir: string, logger: BuildLogger): Promise<void> {
  const curve = await getCurve('bn128');
  try {
    await timedStep(logger, `powers of tau 2^${power}: new accumulator`, () =>
      snarkjs.powersOfTau.newAccumulator(curve, power, join(dir, 'pot_0.ptau')),
    );
    await timedStep(logger, `powers of tau 2^${power}: contribution`, () =>
      snarkjs.powersOfTau.contribute(join(dir, 'pot_0.ptau'), join(dir, 'pot_1.ptau'), 'rollup-mesh dev ceremony', randomEntropy()),
    );
    await timedStep(logger, `powers of tau 2^${power}: prepare phase 2 (the slow step)`, () =>
      snarkjs.powersOfTau.preparePhase2(join(dir, 'pot_1.ptau'), join(dir, 'final.ptau')),
    );
    for (const step of ['pot_0.ptau', 'pot_1.ptau']) rmSync(join(dir, step));
  } finally {
    await curve.terminate();
  }
}
