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

/** Something the caller referred to does not exist. Maps to HTTP 404. */
export class NotFoundError extends MeshError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('NOT_FOUND', message, details);
  }
}
