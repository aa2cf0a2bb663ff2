import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256(...parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/**
 * Builds into a fresh scratch folder next to `target` and renames it into place only when
 * `build` succeeded, so an interrupted build never leaves a half-written cache entry. If another
 * process finished the same entry first, its result is kept.
 */
export async function buildDirAtomically(target: string, build: (scratch: string) => Promise<void>): Promise<void> {
  mkdirSync(dirname(target), { recursive: true });
  const scratch = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(scratch, { recursive: true });
  try {
    await build(scratch);
    try {
      renameSync(scratch, target);
    } catch (err) {
      if (!existsSync(target)) throw err; // another process finished first: keep its entry
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function randomEntropy(): string {
  return randomBytes(32).toString('hex');
}

/** Installed folder of a package, also for packages whose `exports` hide their package.json. */
export function packageDir(name: string): string {
  const { resolve } = createRequire(__filename); // not the global `require`: assemblyscript's typings redeclare it
  try {
    return dirname(resolve(`${name}/package.json`));
  } catch {
    let dir = dirname(resolve(name));
    while (!isPackageRoot(dir, name)) {
      const parent = dirname(dir);
      if (parent === dir) throw new Error(`cannot find the folder of package ${name}`);
      dir = parent;
    }
    return dir;
  }
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

function isPackageRoot(dir: string, name: string): boolean {
  const manifest = join(dir, 'package.json');
  return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name;
}
