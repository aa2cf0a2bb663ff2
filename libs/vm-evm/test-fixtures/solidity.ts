import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import solc from 'solc';

/** A compiled contract: ABI and creation bytecode (0x hex). */
export interface CompiledContract {
  abi: unknown[];
  bytecode: string;
}

export type FixtureName = 'Token' | 'Playground' | 'Child' | 'Work';

let compiled: Record<FixtureName, CompiledContract> | undefined;

/**
 * Compiles the Solidity fixtures of this folder (Token.sol, Playground.sol, Work.sol) with solc's standard
 * JSON (optimizer on, 200 runs, solc's default EVM version). Synchronous, ~1-3 s; cached per process.
 */
export function compileFixtures(): Record<FixtureName, CompiledContract> {
  if (compiled) return compiled;
  const sources: Record<string, { content: string }> = {};
  for (const file of ['Token.sol', 'Playground.sol', 'Work.sol']) sources[file] = { content: readFileSync(join(__dirname, file), 'utf8') };
  const input = {
    language: 'Solidity',
    sources,
    settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const pick = (file: string, name: string): CompiledContract => {
    const c = output.contracts[file][name];
    return { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
  };
  compiled = {
    Token: pick('Token.sol', 'Token'),
    Playground: pick('Playground.sol', 'Playground'),
    Child: pick('Playground.sol', 'Child'),
    Work: pick('Work.sol', 'Work'),
  };
  return compiled;
}
