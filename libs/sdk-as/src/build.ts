import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MeshError } from '@mesh/core';

/** A plugin did not compile; `message` holds the compiler's diagnostics. */
export class PluginBuildError extends MeshError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('PLUGIN_BUILD', message, details);
  }
}

/**
 * Compiler flags of every plugin build: the stub runtime (no GC: a call is one short-lived
 * instance) and full optimisation. The features asc enables by default (sign extension,
 * mutable globals, non-trapping float-to-int, bulk memory) are all supported by the runtime's
 * metering, so nothing needs disabling; SIMD, threads and reference types stay off (asc's default).
 */
export const PLUGIN_ASC_FLAGS: readonly string[] = ['--runtime', 'stub', '-O3', '--noColors'];

/** libs/sdk-as (this file sits at libs/sdk-as/src or dist/libs/sdk-as/src). */
export function sdkDir(): string {
  const here = resolve(__dirname);
  return resolve(here, here.includes(join('dist', 'libs')) ? '../../../../libs/sdk-as' : '..');
}

/** The SDK's AssemblyScript entry (libs/sdk-as/assembly/index.ts). */
export function sdkAssemblyDir(): string {
  return join(sdkDir(), 'assembly');
}

/** The part of `assemblyscript/asc` used here. */
interface AscOutput {
  write(chunk: Uint8Array | string): unknown;
}
interface Asc {
  main(
    argv: string[],
    options: { stdout: AscOutput; stderr: AscOutput; readFile: (filename: string, baseDir: string) => Promise<string | null> },
  ): Promise<{ error: Error | null }>;
}

/**
 * Loads the compiler (an ES module with top-level await, so `import()`, never `require`). The
 * specifier is not a literal on purpose: assemblyscript's own typings declare a global
 * `require(name): unknown` that would break every other file's `require.resolve`.
 */
async function loadAsc(): Promise<Asc> {
  const specifier: string = 'assemblyscript/asc';
  return (await import(specifier)) as Asc;
}

export interface BuildPluginOptions {
  /** Default `<dir>/build/plugin.wasm`. */
  outFile?: string;
  /** Also write the text format next to the binary (`plugin.wat`). */
  text?: boolean;
}

export interface BuiltPlugin {
  wasmPath: string;
  bytes: number;
  ms: number;
}

/**
 * Compiles `<dir>/assembly/index.ts` to `<dir>/build/plugin.wasm` with the AssemblyScript
 * compiler. The SDK can be imported relatively or as "mesh-sdk" (resolved to libs/sdk-as/assembly).
 * The output is written to a temporary name and renamed, so concurrent builds of the same plugin
 * never leave a half-written file.
 */
export async function buildPlugin(dir: string, options: BuildPluginOptions = {}): Promise<BuiltPlugin> {
  const root = resolve(dir);
  const entry = join(root, 'assembly', 'index.ts');
  try {
    statSync(entry);
  } catch {
    throw new PluginBuildError(`no plugin entry at ${entry}`, { entry });
  }
  const outFile = resolve(options.outFile ?? join(root, 'build', 'plugin.wasm'));
  const outDir = resolve(outFile, '..');
  mkdirSync(outDir, { recursive: true });
  const tmp = `${outFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const started = performance.now();
  const asc = await loadAsc();
  const sdkEntry = join(sdkAssemblyDir(), 'index.ts');
  let stderr = '';
  const sink = (append: (text: string) => void) => ({
    write(chunk: Uint8Array | string) {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    },
  });
  const argv = [entry, '--outFile', tmp, ...PLUGIN_ASC_FLAGS];
  if (options.text) argv.push('--textFile', outFile.replace(/\.wasm$/, '') + '.wat');
  const result = await asc.main(argv, {
    stdout: sink(() => undefined),
    stderr: sink((t) => (stderr += t)),
    // `import ... from "mesh-sdk"`: asc looks for node_modules/mesh-sdk/index.ts; serve the SDK.
    readFile: async (filename: string, baseDir: string) => {
      const path = resolve(baseDir, filename);
      const file = /[\\/]node_modules[\\/]mesh-sdk[\\/]index\.ts$/.test(path) ? sdkEntry : path;
      try {
        return await readFile(file, 'utf8');
      } catch {
        return null;
      }
    },
  });
  if (result.error) {
    rmSync(tmp, { force: true });
    throw new PluginBuildError(`plugin ${root} does not compile: ${result.error.message}\n${stderr}`.trim(), { dir: root });
  }
  renameSync(tmp, outFile);
  return { wasmPath: outFile, bytes: statSync(outFile).size, ms: performance.now() - started };
}
