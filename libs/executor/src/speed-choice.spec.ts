import { describe, expect, it } from 'vitest';
import { CONFIRM_RATIO, FIRST_JUDGEMENT_TXS, LOAD_CHANGE, SERIAL_MARGIN, SpeedChoice, WARMING_MARGIN } from './speed-choice';

/** `blocks` choices of `c` as S/W, each block of `txs` txs then measured at `serialMs` or `workersMs` per tx. */
function speedChoices(c: SpeedChoice, blocks: number, serialMs: number, workersMs: number, txs: number): string {
  return Array.from({ length: blocks }, () => {
    const serial = c.chooseSerial();
    c.note(serial ? 'serial' : 'workers', serial ? serialMs : workersMs, txs);
    return serial ? 'S' : 'W';
  }).join('');
}

describe('SpeedChoice (workers or serial execution, from measured time per tx)', () => {
  it('SpeedChoice: the faster way wins after the warm-up; the other is probed, and a probe measured now decides; off means always the workers', () => {
    const choices = (c: SpeedChoice, blocks: number, serialMs: number, workersMs: number) =>
      speedChoices(c, blocks, serialMs, workersMs, 50);
    // The workers are faster here (serial 1.5x slower: probed every 4 * 1.5⁴ = 20 blocks).
    expect(choices(new SpeedChoice(true, 4, 100), 26, 0.015, 0.01)).toBe('WWWSWWWWWWWWWWWWWWWWWWWSWW');
    // One block measured far slower (a descheduled thread) does not change the choice: medians
    // of the last 5 blocks. A lasting change does: once the workers' median is slower than serial
    // execution's, serial execution is measured again (a probe), and runs from there on as it
    // beat the workers.
    const m = new SpeedChoice(true, 100, 0);
    expect(choices(m, 6, 0.015, 0.01) + choices(m, 1, 0.015, 0.1) + choices(m, 4, 0.015, 0.01)).toBe('WSWWWW' + 'W' + 'WWWW');
    // (The workers are checked once more 5 blocks after serial execution took over: still slower.)
    expect(choices(m, 10, 0.015, 0.05)).toBe('WWWSSSSSWS');
    // A probe of the workers that beats serial execution makes them the way in use at once: a
    // bad judgement (workers measured while still warming up) is undone at the first probe, 5
    // blocks after serial execution took over (the recheck). Their time has moved 5x since serial
    // execution was measured (the load changed), so that is measured again 5 blocks later.
    const r = new SpeedChoice(true, 16, 0);
    r.note('workers', 0.05, 50); // judged while still slow
    expect(r.chooseSerial()).toBe(true);
    r.note('serial', 0.03, 50);
    expect(choices(r, 20, 0.03, 0.01)).toBe(`SSSSWWWWWS${'W'.repeat(10)}`);
    // A slow phase of the machine: the workers' median (0.032 ms per tx) passes the serial median
    // measured in a faster phase (0.028), by less than SERIAL_MARGIN: no early probe. Serial
    // execution, measured again on its interval in the slow phase (0.04), does not beat them:
    // the workers stay in use.
    const p = new SpeedChoice(true, 16, 0);
    expect(choices(p, 20, 0.028, 0.022)).toBe(`WS${'W'.repeat(18)}`);
    expect(choices(p, 10, 0.04, 0.032)).toBe('WWWWWWWWSW');
    // Serial execution measured r times slower is probed r⁴ times more rarely, at most 16x.
    // Serial 3x slower: a probe every 64 blocks.
    expect(choices(new SpeedChoice(true, 4, 100), 70, 0.03, 0.01)).toBe(`WWWS${'W'.repeat(63)}SWW`);
    const off = new SpeedChoice(false, 4, 0);
    off.note('workers', 1, 50);
    off.note('serial', 0.001, 50);
    expect(Array.from({ length: 5 }, () => off.chooseSerial())).toEqual([false, false, false, false, false]);
  });

  it(`SpeedChoice: once warm, serial execution runs only when the workers measured more than ${SERIAL_MARGIN}x slower (noise does not flip it)`, () => {
    // Workers 1.15x slower than serial execution: the serial probe beats them, but not by the margin.
    const close = new SpeedChoice(true, 4, 0);
    expect(speedChoices(close, 12, 0.02, 0.023, 200)).toBe('WSWWWWWWSWWW'); // probed every 4 * 1.15⁴ = 7 blocks, never switching
    // Workers 1.3x slower: serial execution takes over at the judgement; the workers are checked
    // again 5 blocks on, then every 4, each probe two blocks long (CONFIRM_RATIO).
    const slower = new SpeedChoice(true, 4, 0);
    expect(speedChoices(slower, 12, 0.02, 0.026, 200)).toBe('WSSSSWWSSWWS');
  });

  it(`SpeedChoice: while the workers warm up (from ${FIRST_JUDGEMENT_TXS} to warmupTxs txs), serial execution wins only by ${WARMING_MARGIN}x; then their cold times are dropped`, () => {
    const run = (c: SpeedChoice, blocks: number, serialMs: number, workersMs: number) =>
      speedChoices(c, blocks, serialMs, workersMs, 1_000);
    // Cold workers 1.33x slower: judged after FIRST_JUDGEMENT_TXS (one serial block), still the workers.
    const cold = new SpeedChoice(true, 4, 10_000);
    expect(run(cold, 8, 0.015, 0.02)).toBe('WWWWWSWW');
    // A load the workers lose on by far (6x): serial from the first judgement on, the workers probed.
    const lost = new SpeedChoice(true, 4, 10_000);
    expect(run(lost, 12, 0.015, 0.09)).toBe('WWWWWSSSSSWS');
    // Warm (10,000 txs in the workers): the same 1.33x now means serial execution; the cold times
    // are dropped first, so the next worker block is measured anew.
    // The 3 blocks that reach 10,000 txs and the first one measured anew run in the workers; from
    // then on serial execution, the workers probed every 4 blocks (probeEvery x floor(1.33)), two blocks a probe.
    const warm = run(cold, 12, 0.015, 0.02);
    expect(warm.slice(0, 4)).toBe('WWWW');
    expect(warm.slice(5)).toBe('SSSWWSS');
  });

  it("SpeedChoice: a slow phase that lifted the workers' median, then ended, costs a few serial blocks, not a whole interval", () => {
    const c = new SpeedChoice(true, 16, 0);
    // Workers 0.009 ms per tx, serial 0.012: judged, the workers in use.
    expect(speedChoices(c, 8, 0.012, 0.009, 200)).toBe('WS' + 'W'.repeat(6));
    // A slow phase: 3 blocks in the workers at 0.019 lift their median past serial execution's.
    expect(speedChoices(c, 3, 0.012, 0.019, 200)).toBe('WWW');
    // The medians now disagree: serial execution is probed (SAMPLES blocks after the last probe,
    // here at once) and, measured after the slow phase, beats that median: it takes over.
    // The workers are back at 0.009: probed again 5 blocks on (not 16 * floor(19 / 12) = 16), they win at once.
    expect(speedChoices(c, 10, 0.012, 0.009, 200)).toBe('SSSSSW' + 'WWWW');
  });

  it(`SpeedChoice: when the workers' time per tx moves by more than ${LOAD_CHANGE}x, serial execution is measured again before its interval`, () => {
    const c = new SpeedChoice(true, 4, 100);
    // Serial 3x slower: next probe due in 64 blocks.
    expect(speedChoices(c, 10, 0.03, 0.01, 50)).toBe('WWWSWWWWWW');
    // The load changes: the workers now take 0.025 ms per tx. Once that is their median (3 of the
    // last 5 blocks), serial execution is measured again; then probed every 4 * 1.2⁴ = 8 blocks.
    expect(speedChoices(c, 12, 0.03, 0.025, 50)).toBe('WWWSWWWWWWWS');
    // Faster by the same factor counts too.
    const d = new SpeedChoice(true, 4, 100);
    expect(speedChoices(d, 10, 0.03, 0.01, 50) + speedChoices(d, 8, 0.03, 0.004, 50)).toBe('WWWSWWWWWW' + 'WWWSWWWW');
  });

  it('while the workers warm up and are the faster way, serial execution is not probed on the interval (it could not win by the margin); once warm it is', () => {
    const c = new SpeedChoice(true, 4, 40_000);
    // 1,000-tx blocks, workers 1.5x faster: judged after 4,000 txs (one serial block), then the
    // workers alone until 40,000; warm, serial execution is probed at once and then every 4 * 1.5⁴ = 20 blocks.
    expect(speedChoices(c, 45, 0.015, 0.01, 1_000)).toBe(`WWWWWS${'W'.repeat(36)}SWW`);
    expect(speedChoices(c, 20, 0.015, 0.01, 1_000)).toBe(`${'W'.repeat(17)}SWW`);
  });

  it(`SpeedChoice: a probe of the workers that loses by less than ${CONFIRM_RATIO}x runs a second block, whose time decides`, () => {
    // Serial execution in use (the workers measured 3x slower), then the workers recover.
    const c = new SpeedChoice(true, 4, 0);
    expect(speedChoices(c, 6, 0.01, 0.03, 200)).toBe('WSSSSS');
    // The probe's first block is still slow (1.5x, under CONFIRM_RATIO), the second is fast: the
    // workers take over. (Their time has moved over LOAD_CHANGE since serial execution was
    // measured, so that is measured again 5 blocks on.)
    let block = 0;
    const times = [0.015, 0.008];
    const seq = Array.from({ length: 8 }, () => {
      const serial = c.chooseSerial();
      c.note(serial ? 'serial' : 'workers', serial ? 0.01 : (times[block++] ?? 0.008), 200);
      return serial ? 'S' : 'W';
    }).join('');
    expect(seq).toBe('WWWWWSWW');
    // A load the workers lose on by CONFIRM_RATIO or more pays no second block.
    const lost = new SpeedChoice(true, 4, 0);
    expect(speedChoices(lost, 16, 0.01, 0.025, 200)).toBe('WSSSSSWSSSSSSSWS'); // one-block probes, 5 blocks on, then every 4 * floor(2.5)
  });

  it('refuses bad settings with the reason', () => {
    expect(() => new SpeedChoice(true, 1, 0)).toThrow('probeEvery must be an integer >= 2, got 1');
    expect(() => new SpeedChoice(true, 4, -1)).toThrow('warmupTxs must be a non-negative integer, got -1');
  });
});
