/**
 * npm run plugin:build -- <dir> [<dir> ...] [--text]
 *
 * Compiles each plugin's `<dir>/assembly/index.ts` to `<dir>/build/plugin.wasm` with the
 * AssemblyScript compiler (asc --runtime stub -O3). `--text` also writes `plugin.wat`.
 * `npm run plugins:build` builds the two examples under libs/sdk-as/examples.
 */
import { buildPlugin, PluginBuildError } from '@mesh/sdk-as';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const text = args.includes('--text');
  const dirs = args.filter((a) => !a.startsWith('--'));
  if (dirs.length === 0) {
    process.stderr.write('usage: npm run plugin:build -- <plugin dir> [<plugin dir> ...] [--text]\n');
    process.exit(2);
  }
  for (const dir of dirs) {
    const built = await buildPlugin(dir, { text });
    console.log(`${built.wasmPath}: ${built.bytes} bytes (${Math.round(built.ms)} ms)`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    err instanceof PluginBuildError ? `${err.message}\n` : `plugin build failed: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
