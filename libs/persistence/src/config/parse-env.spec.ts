import { ConfigError } from '@mesh/core';
import Joi from 'joi';
import { describe, expect, it } from 'vitest';
import { parseEnv, SECRET } from './parse-env';

const schema = Joi.object<{ COUNT: number; TOKEN?: string }>({
  COUNT: Joi.number().integer().empty('').default(1).messages({ '*': '{#label} must be an integer' }),
  TOKEN: Joi.string().alphanum().meta(SECRET).messages({ '*': '{#label} must be alphanumeric' }),
});

function failure(env: NodeJS.ProcessEnv): ConfigError {
  try {
    parseEnv(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('converts values, applies defaults and drops unrelated variables', () => {
    expect(parseEnv(schema, { COUNT: '7', PATH: '/usr/bin' })).toEqual({ COUNT: 7 });
    expect(parseEnv(schema, {})).toEqual({ COUNT: 1 });
  });

  it('treats an empty variable as unset', () => {
    expect(parseEnv(schema, { COUNT: '' })).toEqual({ COUNT: 1 });
  });

  it('names the variable and echoes the bad value', () => {
    const error = failure({ COUNT: 'many' });

    expect(error.message).toBe('Invalid configuration: COUNT must be an integer (got "many")');
    expect(error.code).toBe('CONFIG');
  });

  it('reports every bad variable at once, without echoing secrets', () => {
    const error = failure({ COUNT: '1.5', TOKEN: 'pass word!' });

    expect(error.message).toBe('Invalid configuration: COUNT must be an integer (got "1.5"); TOKEN must be alphanumeric (value hidden)');
    expect(error.details).toEqual({ variables: ['COUNT', 'TOKEN'] });
  });
});
