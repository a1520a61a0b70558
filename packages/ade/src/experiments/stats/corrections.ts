import { invalidInput } from './invalid-input.js';

/**
 * Multiple-comparison corrections across every (variant, metric) pair of an analysis:
 * flatten the p-values into one list, adjust, and compare each adjusted p-value with α.
 *
 * - Holm–Bonferroni (Holm 1979) controls the family-wise error rate: with the p-values
 *   sorted ascending p₍₁₎ ≤ … ≤ p₍ₘ₎, p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1) p₍ⱼ₎).
 * - Benjamini–Hochberg (1995) controls the false discovery rate:
 *   p̃₍ᵢ₎ = min_{j ≥ i} min(1, m p₍ⱼ₎ / j).
 *
 * Both return the adjusted values in the input order; ties share one value.
 */

export type Correction = 'holm' | 'benjamini-hochberg' | 'none';

/**
 * Adjusted p-values by the named correction.
 *
 * @example adjustPValues([0.01, 0.04, 0.03], 'holm') // → [0.03, 0.06, 0.06]
 */
export function adjustPValues(pValues: readonly number[], method: Correction): number[] {
  if (method === 'holm') return holmBonferroni(pValues);
  if (method === 'benjamini-hochberg') return benjaminiHochberg(pValues);
  if (method === 'none') return [...requirePValues(pValues)];
  return invalidInput(`unknown correction ${String(method)}`, "use 'holm', 'benjamini-hochberg' or 'none'", { method });
}

/**
 * Holm–Bonferroni step-down adjusted p-values (family-wise error rate).
 *
 * @example holmBonferroni([0.01, 0.04, 0.03]) // → [0.03, 0.06, 0.06]
 */
export function holmBonferroni(pValues: readonly number[]): number[] {
  const ps = requirePValues(pValues);
  const m = ps.length;
  const order = ascending(ps);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * (ps[idx] as number)));
    adjusted[idx] = running;
  });
  return adjusted;
}

/**
 * Benjamini–Hochberg step-up adjusted p-values (false discovery rate).
 *
 * @example benjaminiHochberg([0.01, 0.04, 0.03]) // → [0.03, 0.04, 0.04]
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const ps = requirePValues(pValues);
  const m = ps.length;
  const order = ascending(ps);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const idx = order[rank] as number;
    running = Math.min(running, (m * (ps[idx] as number)) / (rank + 1));
    adjusted[idx] = running;
  }
  return adjusted;
}

function ascending(ps: readonly number[]): number[] {
  return ps.map((_, i) => i).sort((a, b) => (ps[a] as number) - (ps[b] as number) || a - b);
}

function requirePValues(ps: readonly number[]): readonly number[] {
  ps.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) invalidInput(`pValues[${i}] must be between 0 and 1, got ${String(p)}`, 'pass the raw p-values of every variant × metric comparison', { index: i, value: p });
  });
  return ps;
}
