import type { UpdateStep } from '@mesh/state';
import type { DiffUpdateJson } from '@mesh/core';

/** An UpdateStep as stored in jsonb (bigints as decimal strings). */
export interface UpdateStepJson {
  index: number;
  key: string;
  oldValue: string;
  newValue: string;
  siblings: string[];
  rootBefore: string;
  rootAfter: string;
}

export function stepToJson(s: UpdateStep): UpdateStepJson {
  return {
    index: s.index,
    key: String(s.key),
    oldValue: String(s.oldValue),
    newValue: String(s.newValue),
    siblings: s.siblings.map(String),
    rootBefore: String(s.rootBefore),
    rootAfter: String(s.rootAfter),
  };
}

export function stepFromJson(s: UpdateStepJson): UpdateStep {
  return {
    index: s.index,
    key: BigInt(s.key),
    oldValue: BigInt(s.oldValue),
    newValue: BigInt(s.newValue),
    siblings: s.siblings.map((x) => BigInt(x)),
    rootBefore: BigInt(s.rootBefore),
    rootAfter: BigInt(s.rootAfter),
  };
}

/** The public part of a step: what the mainnet receives and hashes. */
export function stepToDiff(s: UpdateStepJson): DiffUpdateJson {
  return { index: s.index, key: s.key, oldValue: s.oldValue, newValue: s.newValue };
}
