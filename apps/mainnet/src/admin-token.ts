import { timingSafeEqual, createHash } from 'node:crypto';
import { UnauthorizedError } from '@mesh/core';

/**
 * Checks an `Authorization` value against the mainnet's admin token (MAINNET_ADMIN_TOKEN): with no
 * token configured every request passes; otherwise it must be `Bearer <token>`. The comparison
 * takes the same time whatever the value (both sides hashed first, so their lengths match).
 */
export function checkAdminToken(expected: string | undefined, authorization: string | undefined): void {
  if (expected === undefined) return;
  if (authorization === undefined || authorization === '')
    throw new UnauthorizedError('this operation needs the admin token: send "Authorization: Bearer <MAINNET_ADMIN_TOKEN>"');
  const match = /^Bearer (.+)$/.exec(authorization);
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (!match || !timingSafeEqual(digest(match[1]), digest(expected))) throw new UnauthorizedError('the admin token is not valid');
}
