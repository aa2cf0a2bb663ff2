import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ArtifactError } from './errors';

/** One instantiation of the StateTransition template, as declared in circuits/circuits.json. */
export interface CircuitProfile {
  name: string;
  /** Depth of the state tree the circuit proves updates of. */
  depth: number;
  /** K: update slots per chunk proof. */
  chunkSize: number;
  description: string;
}

export interface CircuitsManifest {
  /** Folder holding circuits.json and the circom templates. */
  dir: string;
  template: string;
  entry: string;
  profiles: Record<string, CircuitProfile>;
}

/** The repository's circuits/ folder (this file sits at libs/zk/src or dist/libs/zk/src). */
export function defaultCircuitsDir(): string {
  const here = resolve(__dirname);
  const up = here.includes(`${join('dist', 'libs')}`) ? '../../../..' : '../../..';
  return resolve(here, up, 'circuits');
}

export function loadCircuitsManifest(dir = defaultCircuitsDir()): CircuitsManifest {
  const raw = JSON.parse(readFileSync(join(dir, 'circuits.json'), 'utf8')) as {
    template: string;
    entry: string;
    profiles: Record<string, Omit<CircuitProfile, 'name'>>;
  };
  const profiles: Record<string, CircuitProfile> = {};
  for (const [name, p] of Object.entries(raw.profiles)) {
    if (!Number.isInteger(p.depth) || p.depth < 1 || p.depth > 48 || !Number.isInteger(p.chunkSize) || p.chunkSize < 1) {
      throw new ArtifactError(`circuits.json profile "${name}" needs an integer depth (1..48) and chunkSize (>= 1)`);
    }
    profiles[name] = { name, depth: p.depth, chunkSize: p.chunkSize, description: p.description ?? '' };
  }
  return { dir, template: raw.template, entry: raw.entry, profiles };
}

export function getProfile(name: string, manifest = loadCircuitsManifest()): CircuitProfile {
  const profile = manifest.profiles[name];
  if (!profile) {
    throw new ArtifactError(`unknown circuit profile "${name}"; circuits.json declares: ${Object.keys(manifest.profiles).join(', ')}`);
  }
  return profile;
}
