import { describe, expect, it } from 'vitest';
import { stepFromJson, stepToDiff, stepToJson, type UpdateStepJson } from './step-json';

const step = { index: 5, key: 11n, oldValue: 0n, newValue: 7n, siblings: [1n, 2n, 3n] };

describe('step JSON', () => {
  it('round-trips a step and stores no roots', () => {
    const json = stepToJson(step);
    expect(json).toEqual({ index: 5, key: '11', oldValue: '0', newValue: '7', siblings: ['1', '2', '3'] });
    expect(stepFromJson(JSON.parse(JSON.stringify(json)))).toEqual(step);
  });

  it('reads rows written when steps still carried rootBefore / rootAfter', () => {
    const legacy: UpdateStepJson = { ...stepToJson(step), rootBefore: '123', rootAfter: '456' };
    expect(stepFromJson(JSON.parse(JSON.stringify(legacy)))).toEqual(step);
    expect(stepToDiff(legacy)).toEqual({ index: 5, key: '11', oldValue: '0', newValue: '7' });
  });
});
