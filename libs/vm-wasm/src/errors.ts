import { InvalidInputError } from '@mesh/core';

/**
 * An uploaded (or stored) module cannot be run as a plugin: not WebAssembly, an import outside the
 * host ABI, an unsupported feature, no exported memory... `details.reason` names the cause and,
 * for imports, `details.import` names the offending `module.field`. Code stays `INVALID_INPUT`.
 */
export class PluginRejectedError extends InvalidInputError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(`plugin rejected: ${message}`, details);
  }
}

/** `execute` was asked for a method the plugin does not export (or that is not callable). */
export class UnknownMethodError extends InvalidInputError {
  constructor(method: string, methods: readonly string[]) {
    super(`unknown plugin method '${method}'`, { method, methods: [...methods] });
  }
}
