import { MeshError } from '@mesh/core';

/**
 * One line saying why a command failed: a node's refusal (HttpError: URL, status and the node's
 * reason), a node that cannot be reached (fetch's cause: `connect ECONNREFUSED 127.0.0.1:8080`),
 * a typed error of the libs, or else the error's message.
 */
export function describeFailure(err: unknown): string {
  if (err instanceof MeshError) return err.message;
  if (err instanceof TypeError && err.message === 'fetch failed') {
    const cause = (err as TypeError & { cause?: { message?: string; code?: string } }).cause;
    return `cannot reach the node: ${cause?.message ?? cause?.code ?? 'no answer'}`;
  }
  return err instanceof Error ? err.message : String(err);
}
