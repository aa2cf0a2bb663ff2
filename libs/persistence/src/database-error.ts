import { MeshError } from '@mesh/core';

/** The database could not be reached, started or migrated. */
export class DatabaseError extends MeshError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('DATABASE', message, details);
  }
}

/** A readable reason for a driver error (a refused connection can carry an empty message). */
export function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.message || (err as NodeJS.ErrnoException).code || err.name;
}
