/**
 * Typed errors shared by every lib. Each carries a stable machine-readable `code`, so that an app
 * can map it to a transport status (HTTP 4xx for bad input) without parsing messages.
 */
export class MeshError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller passed something malformed or out of range. Maps to HTTP 400. */
export class InvalidInputError extends MeshError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_INPUT', message, details);
  }
}

/** A configuration value is missing or malformed; raised at start-up. */
export class ConfigError extends MeshError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFIG', message, details);
  }
}

/**
 * A server that could not listen on its address (taken, or not allowed) as a ConfigError that
 * names the address and the settings that choose it; other errors as they are.
 */
export function listenError(err: unknown, where: string, settings: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') return new ConfigError(`cannot listen on ${where}: the address is already in use (see ${settings})`);
  if (code === 'EACCES') return new ConfigError(`cannot listen on ${where}: not allowed to use this port (see ${settings})`);
  if (code === 'EADDRNOTAVAIL') return new ConfigError(`cannot listen on ${where}: no such address on this machine (see ${settings})`);
  return err;
}

/** Something the caller referred to does not exist. Maps to HTTP 404. */
export class NotFoundError extends MeshError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('NOT_FOUND', message, details);
  }
}

/** The request lacks the credentials an operation needs (e.g. the mainnet's admin token). HTTP 401, gRPC UNAUTHENTICATED. */
export class UnauthorizedError extends MeshError {
  constructor(message: string) {
    super('UNAUTHORIZED', message);
  }
}
