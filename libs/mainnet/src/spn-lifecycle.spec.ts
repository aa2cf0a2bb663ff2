import { describe, expect, it } from 'vitest';
import { nextStatus, requirementsMet } from './spn-lifecycle';

const OPERATOR = '0xaa';
const stake = (operator: string, qualifies: boolean) => ({ operator, restake: qualifies ? '100' : '1', qualifies });

describe('requirementsMet', () => {
  it('is always met without requirements', () => {
    expect(requirementsMet({ minOperators: 0, minRestake: '0' }, OPERATOR, [])).toBe(true);
  });

  it('needs enough qualifying operators, the SPN operator among them', () => {
    const needsTwo = { minOperators: 2, minRestake: '100' };
    expect(requirementsMet(needsTwo, OPERATOR, [stake(OPERATOR, true)])).toBe(false);
    expect(requirementsMet(needsTwo, OPERATOR, [stake(OPERATOR, true), stake('0xbb', false)])).toBe(false);
    expect(requirementsMet(needsTwo, OPERATOR, [stake(OPERATOR, true), stake('0xbb', true)])).toBe(true);
    expect(requirementsMet(needsTwo, OPERATOR, [stake('0xcc', true), stake('0xbb', true)])).toBe(false);
    expect(requirementsMet(needsTwo, OPERATOR, [stake(OPERATOR, false), stake('0xbb', true), stake('0xcc', true)])).toBe(false);
  });
});

describe('nextStatus', () => {
  it('activates when met; otherwise stays proposed until first active, then pauses', () => {
    expect(nextStatus('proposed', true)).toBe('active');
    expect(nextStatus('proposed', false)).toBe('proposed');
    expect(nextStatus('active', false)).toBe('paused');
    expect(nextStatus('paused', true)).toBe('active');
    expect(nextStatus('paused', false)).toBe('paused');
  });
});
