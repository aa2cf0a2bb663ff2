// Copies the non-TypeScript files the compiled code loads at run time (worker scripts, protos)
// from the source tree into dist/, keeping their relative paths.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ASSET = /\.(cjs|proto)$/;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (ASSET.test(name)) cpSync(path, join('dist', path));
  }
}
for (const root of ['apps', 'libs']) walk(root);
