import { describe, expect, it } from 'vitest';
import { ConfigError, listenError } from './errors';

const errno = (code: string) => Object.assign(new Error(`listen ${code}: something 127.0.0.1:8080`), { code });

describe('listenError', () => {
  it.each([
    ['EADDRINUSE', 'cannot listen on 127.0.0.1:8080: the address is already in use (see PORT, HOST)'],
    ['EACCES', 'cannot listen on 127.0.0.1:8080: not allowed to use this port (see PORT, HOST)'],
    ['EADDRNOTAVAIL', 'cannot listen on 127.0.0.1:8080: no such address on this machine (see PORT, HOST)'],
  ])('turns %s into a ConfigError naming the address and the settings', (code, message) => {
    const err = listenError(errno(code), '127.0.0.1:8080', 'PORT, HOST');
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(message);
  });

  it('leaves any other error as it is', () => {
    const other = errno('ECONNRESET');
    expect(listenError(other, '127.0.0.1:8080', 'PORT, HOST')).toBe(other);
    expect(listenError('text', 'x', 'y')).toBe('text');
    expect(listenError(null, 'x', 'y')).toBe(null);
  });
});
