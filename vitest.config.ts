import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { configDefaults, defineConfig } from 'vitest/config';

// Every folder under libs/ is importable as @mesh/<folder> (as tsconfig.json's paths say).
const libs = readdirSync(resolve(__dirname, 'libs'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const alias = Object.fromEntries(libs.map((name) => [`@mesh/${name}`, resolve(__dirname, `libs/${name}/src/index.ts`)]));

// SWC instead of esbuild so that NestJS decorator metadata (emitDecoratorMetadata) is emitted.
const plugins = [swc.vite({ module: { type: 'es6' } })];

export default defineConfig({
  plugins,
  resolve: { alias },
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts'],
          // AssemblyScript sources (plugins, the SDK) are not TypeScript tests.
          exclude: [...configDefaults.exclude, '**/assembly/**'],
          testTimeout: 60_000,
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['libs/**/*.int-spec.ts', 'apps/**/*.int-spec.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e-spec.ts'],
          testTimeout: 1_500_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
