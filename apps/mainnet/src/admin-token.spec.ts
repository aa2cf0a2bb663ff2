import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '@mesh/core';
import { checkAdminToken } from './admin-token';

describe('checkAdminToken', () => {
  it('lets everything through when no token is configured', () => {
    expect(() => checkAdminToken(undefined, undefined)).not.toThrow();
    expect(() => checkAdminToken(undefined, 'Bearer anything')).not.toThrow();
  });

  it('needs "Bearer <token>" with exactly the token when one is configured', () => {
    const token = 'admin-token-0123456789';
    expect(() => checkAdminToken(token, `Bearer ${token}`)).not.toThrow();
    expect(() => checkAdminToken(token, undefined)).toThrow(
      new UnauthorizedError('this operation needs the admin token: send "Authorization: Bearer <MAINNET_ADMIN_TOKEN>"'),
    );
    expect(() => checkAdminToken(token, '')).toThrow(UnauthorizedError);
    for (const wrong of [token, `bearer ${token}`, `Bearer ${token} `, `Bearer ${token.slice(1)}`, 'Bearer ']) {
      expect(() => checkAdminToken(token, wrong)).toThrow(new UnauthorizedError('the admin token is not valid'));
    }
  });
});
