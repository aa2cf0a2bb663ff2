import type { UpdateStep } from '@mesh/state';
import type { DiffUpdateJson } from '@mesh/core';

/**
 * An UpdateStep as stored in jsonb (bigints as decimal strings). Rows written before steps
 * stopped carrying their roots also have `rootBefore` / `rootAfter`; they are read and ignored
 * (the roots follow from the witness, see `stepRootBefore` / `stepRootAfter` in @mesh/state).
 */
export interface UpdateStepJson {
  index: number;
  key: string;
  oldValue: string;
  newValue: string;
  siblings: string[];
  /** Only in older rows; never written now. */
  rootBefore?: string;
  /** Only in older rows; never written now. */
  rootAfter?: string;
}

export function stepToJson(s: UpdateStep): UpdateStepJson {
  return {
    index: s.index,
    key: String(s.key),
    oldValue: String(s.oldValue),
    newValue: String(s.newValue),
    siblings: s.siblings.map(String),
  };
}

export function stepFromJson(s: UpdateStepJson): UpdateStep {
  return {
    index: s.index,
    key: BigInt(s.key),
    oldValue: BigInt(s.oldValue),
    newValue: BigInt(s.newValue),
    siblings: s.siblings.map((x) => BigInt(x)),
  };
}

/** The public part of a step: what the mainnet receives and hashes. */
export function stepToDiff(s: UpdateStepJson): DiffUpdateJson {
  return { index: s.index, key: s.key, oldValue: s.oldValue, newValue: s.newValue };
}
