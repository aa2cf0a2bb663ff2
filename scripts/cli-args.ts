/** Reads `--name value` / `--name=value` from argv; the scripts here need nothing richer. */
export function argValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

/** `--name N` as an integer >= `min` (`fallback` when absent); anything else throws, naming the option. */
export function intArg(argv: readonly string[], name: string, fallback: number, min = 0): number {
  const raw = argValue(argv, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return value;
}
