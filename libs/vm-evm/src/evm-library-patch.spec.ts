import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * patches/@ethereumjs+evm+*.patch (applied by `npm ci`'s postinstall, patches/README.md): the EVM's
 * per-call objects are built with Object.assign instead of a spread followed by more properties,
 * which on this Node makes a new hidden class per object and keeps every call's objects alive
 * for young-generation GCs. Both builds are patched: Node loads the CommonJS one, vitest the ES one.
 */
const cjsIndex = createRequire(__filename).resolve('@ethereumjs/evm');
const builds = {
  cjs: join(dirname(cjsIndex), 'evm.js'),
  esm: join(dirname(cjsIndex), '..', 'esm', 'evm.js'),
};

describe('@ethereumjs/evm patch', () => {
  for (const [build, file] of Object.entries(builds)) {
    it(`is applied to the ${build} build`, () => {
      const source = readFileSync(file, 'utf8');
      // The library's spreads the patch replaces: the call's and the create's message, the result.
      expect(source).not.toContain('...{ codeAddress: message.codeAddress }');
      expect(source).not.toContain('{ ...message, gasLimit, isCreate: true }');
      expect(source).not.toContain('...interpreterRes.runState');
      expect(source).toContain('Object.assign({}, interpreterRes.runState, result, interpreter._env)');
    });
  }
});
