import { invalidParams } from './errors';

/**
 * The reward percentiles of one block as geth computes them: transactions sorted by effective tip,
 * and for percentile p the tip of the transaction at which the cumulated gas used reaches p% of
 * the block's gas used. A block without transactions rewards 0.
 */
export function blockRewards(txs: readonly { gasUsed: bigint; tip: bigint }[], percentiles: readonly number[]): bigint[] {
  if (txs.length === 0) return percentiles.map(() => 0n);
  const sorted = [...txs].sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0));
  const total = sorted.reduce((sum, t) => sum + t.gasUsed, 0n);
  const rewards: bigint[] = [];
  let i = 0;
  let cumulated = sorted[0].gasUsed;
  for (const p of percentiles) {
    // p% of total, in 1/1e6 percent steps to stay in integers
    const threshold = (total * BigInt(Math.round(p * 1e6))) / 100_000_000n;
    while (cumulated < threshold && i < sorted.length - 1) {
      i++;
      cumulated += sorted[i].gasUsed;
    }
    rewards.push(sorted[i].tip);
  }
  return rewards;
}

/** rewardPercentiles: numbers from 0 to 100, increasing. */
export function parsePercentiles(value: unknown, name: string): number[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalidParams(`invalid argument: ${name} must be an array of numbers from 0 to 100`);
  if (value.length > 100) throw invalidParams(`invalid argument: ${name} has ${value.length} entries, at most 100`);
  value.forEach((p, i) => {
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 100)
      throw invalidParams(`invalid argument: ${name}[${i}] must be a number from 0 to 100 (got ${JSON.stringify(p)})`);
    if (i > 0 && p < value[i - 1])
      throw invalidParams(`invalid argument: ${name} must be in increasing order (${value[i - 1]} before ${p})`);
  });
  return value as number[];
}
