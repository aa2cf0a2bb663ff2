import { ConfigError } from '@mesh/core';
import type Joi from 'joi';

/** Mark a variable whose value must never be echoed in an error (it may hold a password). */
export const SECRET = { secret: true } as const;

/**
 * Validates and converts environment variables (unknown ones are ignored and dropped). Every
 * bad variable is reported in one ConfigError, e.g.
 * `Invalid configuration: PORT must be a port number (got "abc")`.
 */
export function parseEnv<T>(schema: Joi.ObjectSchema<T>, env: NodeJS.ProcessEnv): T {
  const { value, error } = schema.validate(env, {
    abortEarly: false,
    allowUnknown: true,
    stripUnknown: true,
    errors: { wrap: { label: false } },
  });
  if (!error) return value;
  const problems = error.details.map((detail) => {
    const variable = String(detail.path[0]);
    const got = isSecret(schema, variable) ? 'value hidden' : `got ${JSON.stringify(env[variable])}`;
    return `${detail.message} (${got})`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`, {
    variables: error.details.map((detail) => String(detail.path[0])),
  });
}

function isSecret(schema: Joi.ObjectSchema, variable: string): boolean {
  const metas: unknown[] = schema.extract(variable).describe().metas ?? [];
  return metas.some((meta) => (meta as Partial<typeof SECRET>).secret === true);
}
