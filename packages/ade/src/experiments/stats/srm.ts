import { chiSquareSf } from './distributions.js';
import { invalidInput } from './invalid-input.js';

/**
 * Sample-ratio mismatch: do the units per variant match the configured weights?
 * Pearson's chi-square goodness-of-fit test, Σ (observedₖ − expectedₖ)² / expectedₖ on
 * k − 1 degrees of freedom, with expectedₖ = total · weightₖ / Σ weights. A broken split
 * (a redirect that loses users, a bot filter on one arm) biases every metric, so a
 * mismatch should stop the analysis being trusted; the usual threshold is p < 0.001
 * (Fabijan et al., "Diagnosing Sample Ratio Mismatch in Online Controlled Experiments",
 * KDD 2019).
 */

export interface SrmOptions {
  /** p-value below which the split is declared broken. Default 0.001. */
  readonly threshold?: number;
}

export interface SrmResult {
  readonly chiSquare: number;
  /** k − 1. */
  readonly df: number;
  readonly pValue: number;
  /** Expected units per variant under the weights. */
  readonly expected: readonly number[];
  /** True when pValue < threshold. */
  readonly mismatch: boolean;
  readonly threshold: number;
}

/**
 * Checks observed units per variant against the configured weights (any positive scale).
 *
 * @example
 * sampleRatioMismatch([5000, 5400], [0.5, 0.5])
 * // → { chiSquare: 15.38, df: 1, pValue: 0.0000877, mismatch: true, … }
 */
export function sampleRatioMismatch(
  counts: readonly number[],
  weights: readonly number[],
  options: SrmOptions = {},
): SrmResult {
  const threshold = options.threshold ?? 0.001;
  if (counts.length < 2 || counts.length !== weights.length) {
    invalidInput(`need one count per weight and at least 2 variants, got ${counts.length} counts and ${weights.length} weights`, 'pass the units per variant in the order of the configured variants', {
      counts: counts.length,
      weights: weights.length,
    });
  }
  counts.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0) invalidInput(`counts[${i}] must be a whole number ≥ 0, got ${String(c)}`, 'pass units per variant', { field: `counts[${i}]`, value: c });
  });
  weights.forEach((w, i) => {
    if (!(w > 0) || !Number.isFinite(w)) invalidInput(`weights[${i}] must be positive, got ${String(w)}`, 'a variant with weight 0 gets no traffic; leave it out', { field: `weights[${i}]`, value: w });
  });
  if (!(threshold > 0 && threshold < 1)) {
    invalidInput(`threshold must be between 0 and 1, got ${String(threshold)}`, 'e.g. threshold: 0.001', { field: 'threshold', value: threshold });
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const expected = weights.map((w) => (total * w) / weightSum);
  const df = counts.length - 1;
  if (total === 0) return { chiSquare: 0, df, pValue: 1, expected, mismatch: false, threshold };
  let chiSquare = 0;
  counts.forEach((c, i) => {
    const e = expected[i] as number;
    chiSquare += ((c - e) * (c - e)) / e;
  });
  const pValue = chiSquareSf(chiSquare, df);
  return { chiSquare, df, pValue, expected, mismatch: pValue < threshold, threshold };
}
