import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { createEVM } from '@ethereumjs/evm';
import { hexToBytes } from '@ethereumjs/util';
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileFixtures } from '../test-fixtures/solidity';
import { installInterpreterCaches, liveInterpreterPrototype, WRAPPED } from './interpreter-caches';

type Analysis = (this: object, code: Uint8Array) => unknown;

let analysis: Analysis & { [WRAPPED]?: Analysis };
let codes: Uint8Array[];

beforeAll(async () => {
  expect(await installInterpreterCaches()).toBe(true);
  const proto = (await liveInterpreterPrototype()) as unknown as { _getValidJumpDestinations: typeof analysis };
  analysis = proto._getValidJumpDestinations;
  const fixtures = compileFixtures();
  codes = Object.values(fixtures).map((c) => hexToBytes(c.bytecode as `0x${string}`));
}, 120_000);

/** What an Interpreter's methods use of itself: its EVM (opcode table) and Common. */
async function interpreterOver(hardfork: string) {
  const evm = await createEVM({ common: new Common({ chain: Mainnet, hardfork }) });
  const proto = (await liveInterpreterPrototype()) as object;
  return Object.assign(Object.create(proto), { _evm: evm, common: evm.common }) as object;
}

describe('jump-destination analysis cache', () => {
  it('is installed on the Interpreter this thread runs, once', async () => {
    expect(analysis[WRAPPED]).toBeTypeOf('function');
    await installInterpreterCaches();
    const again = ((await liveInterpreterPrototype()) as unknown as { _getValidJumpDestinations: typeof analysis })._getValidJumpDestinations;
    expect(again).toBe(analysis);
    expect(again[WRAPPED]).toBe(analysis[WRAPPED]);
  });

  it("gives the library's own analysis of real contract code, and the same object for the same code", async () => {
    const interp = await interpreterOver(Hardfork.Prague);
    const original = analysis[WRAPPED]!;
    for (const code of codes) {
      const cached = analysis.call(interp, code);
      expect(isDeepStrictEqual(cached, original.call(interp, code))).toBe(true);
      expect(analysis.call(interp, code)).toBe(cached);
      const { jumps } = cached as { jumps: Uint8Array };
      expect(jumps.some((b) => b === 1)).toBe(true);
    }
  });

  it('keeps one analysis per opcode table: another hardfork analyses again', async () => {
    const [prague, chainstart] = [await interpreterOver(Hardfork.Prague), await interpreterOver(Hardfork.Chainstart)];
    const code = codes[0];
    const a = analysis.call(prague, code) as { opcodesCached: { opcodeInfo: { name: string } }[] };
    const b = analysis.call(chainstart, code) as { opcodesCached: { opcodeInfo: { name: string } }[] };
    expect(b).not.toBe(a);
    expect(isDeepStrictEqual(b, analysis[WRAPPED]!.call(chainstart, code))).toBe(true);
    // PUSH0 (0x5f, Shanghai) is an opcode in one table and invalid in the other.
    const withPush0 = new Uint8Array([0x5f, 0x56, 0x5b]);
    const names = (i: object) => (analysis.call(i, withPush0) as typeof a).opcodesCached.map((o) => o.opcodeInfo.name);
    expect(names(prague)[0]).toBe('PUSH0');
    expect(names(chainstart)[0]).not.toBe('PUSH0');
  });

  it('analyses equal bytes in another array on their own (the cache is by array, never by a guess)', async () => {
    const interp = await interpreterOver(Hardfork.Prague);
    const copy = codes[0].slice();
    expect(analysis.call(interp, copy)).not.toBe(analysis.call(interp, codes[0]));
    expect(isDeepStrictEqual(analysis.call(interp, copy), analysis.call(interp, codes[0]))).toBe(true);
  });
});

describe('isActivatedEIP over a Set', () => {
  const isActivated = () =>
    (Common.prototype as unknown as { isActivatedEIP: { [WRAPPED]?: (this: Common, eip: number) => boolean } }).isActivatedEIP;

  it("answers as the library's own for every EIP number, at every hardfork, and after a hardfork change", () => {
    const original = isActivated()[WRAPPED]!;
    expect(original).toBeTypeOf('function');
    const common = new Common({ chain: Mainnet, hardfork: Hardfork.Chainstart });
    let activeSomewhere = 0;
    for (const hardfork of common.hardforks().map((h) => h.name)) {
      common.setHardfork(hardfork);
      for (let eip = 0; eip <= 8200; eip++) {
        const expected = original.call(common, eip);
        if (common.isActivatedEIP(eip) !== expected) throw new Error(`EIP ${eip} at ${hardfork}: cached answer differs`);
        if (expected) activeSomewhere++;
      }
    }
    expect(activeSomewhere).toBeGreaterThan(100);
    common.setHardfork(Hardfork.London);
    expect(common.isActivatedEIP(1559)).toBe(true);
    expect(common.isActivatedEIP(4844)).toBe(false);
    common.setHardfork(Hardfork.Cancun);
    expect(common.isActivatedEIP(4844)).toBe(true);
  });
});
