import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const libs = ['core', 'state', 'zk', 'persistence'];
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
        test: { name: 'unit', include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts'], testTimeout: 60_000 },
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
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
