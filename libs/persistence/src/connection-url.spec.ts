import { describe, expect, it } from 'vitest';
import { redactPassword, withDatabaseName } from './connection-url';

describe('withDatabaseName', () => {
  it('replaces the database and keeps credentials, host, port and query', () => {
    expect(withDatabaseName('postgres://u:p@db.local:6543/postgres?sslmode=disable', 'mesh_test_1')).toBe(
      'postgres://u:p@db.local:6543/mesh_test_1?sslmode=disable',
    );
  });

  it('adds a database to a URL without one', () => {
    expect(withDatabaseName('postgres://postgres@127.0.0.1:5432', 'mesh')).toBe('postgres://postgres@127.0.0.1:5432/mesh');
  });
});

describe('redactPassword', () => {
  it('masks the password', () => {
    expect(redactPassword('postgres://postgres:s3cret@127.0.0.1:5432/mesh')).toBe('postgres://postgres:***@127.0.0.1:5432/mesh');
  });

  it('leaves a URL without password unchanged', () => {
    expect(redactPassword('postgres://postgres@127.0.0.1:5432/mesh')).toBe('postgres://postgres@127.0.0.1:5432/mesh');
  });

  it('never echoes an unparseable URL, which may hold a password', () => {
    expect(redactPassword('postgres://user:pw@host:notaport/db')).toBe('<unparseable database url>');
  });
});
