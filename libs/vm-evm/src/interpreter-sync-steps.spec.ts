/**
 * The opcode loop that runs opcodes inline (interpreter-sync-steps.ts) against the library's own
 * `Interpreter.run`: the same random blocks through one engine with each, block after block on
 * its own state; every receipt, the block's writes, new code and gas must be equal. And the
 * inline path really is taken: the library's `runStep` is called for few opcodes only.
 */
import type { TypedTransaction } from '@ethereumjs/tx';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MapCode, MapState, testKey } from '../test-fixtures/harness';
import { learn, prng, randomBlockInput, randomTx, type ParentGas, type World } from '../test-fixtures/random-txs';
import { compileFixtures } from '../test-fixtures/solidity';
import { EvmEngine, type EvmBlockInput, type EvmBlockResult } from './evm-engine';
import { genesisWrites } from './genesis';
import { installInterpreterCaches, liveInterpreterPrototype, WRAPPED } from './interpreter-caches';
import type { InterpreterRun } from './interpreter-sync-steps';

const CHAIN_ID = 31337n;
const ETH = 10n ** 18n;
const COINBASE = '0x' + 'cb'.repeat(20);

type Run = InterpreterRun & { [WRAPPED]?: InterpreterRun };
let proto: { run: Run; runStep: (...args: unknown[]) => Promise<void> };
let inline: Run;

beforeAll(async () => {
  compileFixtures();
  expect(await installInterpreterCaches()).toBe(true);
  proto = (await liveInterpreterPrototype()) as unknown as typeof proto;
  inline = proto.run;
});

afterEach(() => {
  proto.run = inline;
});

/** Runs `fn` with the library's own loop on the Interpreter (every engine in this thread). */
async function withLibraryLoop<T>(fn: () => Promise<T>): Promise<T> {
  proto.run = inline[WRAPPED]!;
  try {
    return await fn();
  } finally {
    proto.run = inline;
  }
}

interface Side {
  state: MapState;
  code: MapCode;
}

function side(alloc: Record<string, bigint>): Side {
  const state = new MapState();
  state.apply(genesisWrites(Object.fromEntries(Object.entries(alloc).map(([a, balance]) => [a, { balance }]))).writes);
  return { state, code: new MapCode() };
}

async function runOn(engine: EvmEngine, s: Side, input: EvmBlockInput, txs: readonly TypedTransaction[]): Promise<EvmBlockResult> {
  const out = await engine.runBlock(input, txs, s.state, s.code);
  s.state.apply(out.writes);
  s.code.add(out.newCode);
  return out;
}

async function compareLoops(seed: number, hardfork: string, blocks: number): Promise<number> {
  const rnd = prng(seed);
  const keys = Array.from({ length: 5 }, (_, i) => testKey(200 + i));
  const fresh = Array.from({ length: 3 }, (_, i) => '0x' + (0xe00 + i).toString(16).padStart(40, '0'));
  const alloc = Object.fromEntries(keys.map((k) => [k.address, 1_000n * ETH]));
  const engine = await EvmEngine.create({ chainId: CHAIN_ID, hardfork });
  const [ours, library] = [side(alloc), side(alloc)];
  const w: World = { keys, fresh, nonces: new Map(keys.map((k) => [k.address, 0n])), tokens: [], playgrounds: [], sameBlockCalls: true };
  let parent: ParentGas | undefined;
  let receipts = 0;
  for (let b = 1; b <= blocks; b++) {
    const input = randomBlockInput(b, parent, COINBASE);
    const txs = Array.from({ length: 1 + rnd.int(10) }, () => randomTx(rnd, w));
    const a = await runOn(engine, ours, input, txs);
    const b2 = await withLibraryLoop(() => runOn(engine, library, input, txs));
    expect(a.receipts, `seed ${seed} block ${b}`).toEqual(b2.receipts);
    expect(a.writes, `seed ${seed} block ${b}`).toEqual(b2.writes);
    expect(a.newCode, `seed ${seed} block ${b}`).toEqual(b2.newCode);
    expect(a.gasUsed, `seed ${seed} block ${b}`).toBe(b2.gasUsed);
    receipts += a.receipts.length;
    parent = { gasUsed: a.gasUsed, gasLimit: input.gasLimit, baseFeePerGas: input.baseFeePerGas };
    learn(w, txs, a.receipts, (addr) => engine.getNonce(addr, ours.state));
  }
  expect(ours.state.values).toEqual(library.state.values);
  return receipts;
}

describe('opcodes run inline (interpreter-sync-steps)', () => {
  it("is installed on this thread's Interpreter, over the library's run", () => {
    expect(inline[WRAPPED]).toBeTypeOf('function');
    expect(inline).not.toBe(inline[WRAPPED]);
  });

  for (const seed of [21, 22, 23]) {
    it(`gives the library loop's receipts, writes and state, seed ${seed}`, async () => {
      expect(await compareLoops(seed, 'bpo2', 25)).toBeGreaterThan(80);
    });
  }

  it('gives the same under an older hardfork (cancun)', async () => {
    expect(await compareLoops(24, 'cancun', 15)).toBeGreaterThan(40);
  });

  it("leaves the library's runStep only the opcodes with dynamic gas", async () => {
    const rnd = prng(5);
    const keys = Array.from({ length: 3 }, (_, i) => testKey(300 + i));
    const alloc = Object.fromEntries(keys.map((k) => [k.address, 1_000n * ETH]));
    const engine = await EvmEngine.create({ chainId: CHAIN_ID, hardfork: 'bpo2' });
    const w: World = { keys, fresh: [], nonces: new Map(keys.map((k) => [k.address, 0n])), tokens: [], playgrounds: [] };
    const txs = Array.from({ length: 12 }, () => randomTx(rnd, w));
    const input = randomBlockInput(1, undefined, COINBASE);
    const runStep = proto.runStep;
    let steps = 0;
    proto.runStep = function (this: unknown, ...args: unknown[]) {
      steps++;
      return runStep.apply(this, args);
    };
    try {
      const countSteps = async (s: Side) => {
        steps = 0;
        await runOn(engine, s, input, txs);
        return steps;
      };
      const viaInline = await countSteps(side(alloc));
      const viaLibrary = await withLibraryLoop(() => countSteps(side(alloc)));
      expect(viaLibrary).toBeGreaterThan(1_000);
      expect(viaInline).toBeGreaterThan(0);
      expect(viaInline).toBeLessThan(viaLibrary / 3);
    } finally {
      proto.runStep = runStep;
    }
  });
});
