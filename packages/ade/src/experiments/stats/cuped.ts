import { invalidInput, requireFinite } from './invalid-input.js';
import { requireUnits, sampleCovariance, sampleVariance, type CupedSummary, type VariantMoments } from './summary.js';

/**
 * CUPED (Deng, Xu, Kohavi & Walker, "Improving the Sensitivity of Online Controlled
 * Experiments by Utilizing Pre-Experiment Data", WSDM 2013): subtract from each unit's
 * metric y the part explained by a pre-exposure covariate x,
 *
 *   yᵢ' = yᵢ − θ (xᵢ − x̄),    θ = Cov(x, y) / Var(x),
 *
 * with θ and x̄ computed over all units of all variants pooled together (as GrowthBook
 * does), so one θ serves every comparison. Randomisation makes x independent of the
 * assignment, so the difference of adjusted means is unbiased for the same effect while
 * its variance shrinks by the factor (1 − ρ²_xy). Per variant, from sums only:
 *
 *   adjusted mean  ȳ − θ (x̄_k − x̄),
 *   variance       s²_y + θ² s²_x − 2θ s_xy   (within-variant sample moments).
 *
 * θ is treated as known (its estimation error is O(1/n)). The adjusted moments feed
 * `welchTTest`, `bayesianTest` or `sequentialTest` unchanged.
 */

export interface CupedResult {
  /** The pooled regression coefficient of the metric on the covariate. */
  readonly theta: number;
  /** The pooled covariate mean x̄ the adjustment centres on. */
  readonly covariateMean: number;
  /** Adjusted moments, in the order of the input variants. */
  readonly variants: readonly VariantMoments[];
  /** Per variant, adjusted variance / unadjusted variance (1 − reduction); NaN for a constant metric. */
  readonly varianceRatios: readonly number[];
}

/**
 * CUPED-adjusted moments for every variant of one metric.
 *
 * @example
 * const { theta, variants: [control, treatment] } = cupedAdjust([controlSums, treatmentSums]);
 * welchTTest(control, treatment);
 */
export function cupedAdjust(variants: readonly CupedSummary[]): CupedResult {
  if (variants.length < 2) {
    invalidInput(`CUPED needs at least 2 variants, got ${variants.length}`, 'pass the control and every treatment together');
  }
  variants.forEach(requireCupedSummary);
  const theta = cupedTheta(variants);
  const total = sumOf(variants, (v) => v.n);
  const covariateMean = sumOf(variants, (v) => v.covariateSum) / total;
  const adjusted: VariantMoments[] = [];
  const ratios: number[] = [];
  for (const v of variants) {
    const varY = sampleVariance(v.n, v.sum, v.sumSquares);
    const varX = sampleVariance(v.n, v.covariateSum, v.covariateSumSquares);
    const cov = sampleCovariance(v.n, v.covariateSum, v.sum, v.sumProducts);
    const variance = Math.max(0, varY + theta * theta * varX - 2 * theta * cov);
    adjusted.push({ n: v.n, mean: v.sum / v.n - theta * (v.covariateSum / v.n - covariateMean), variance });
    ratios.push(variance / varY);
  }
  return { theta, covariateMean, variants: adjusted, varianceRatios: ratios };
}

/**
 * θ = Cov(x, y) / Var(x) over all variants' units pooled; 0 when the covariate is constant.
 *
 * @example cupedTheta([controlSums, treatmentSums]) // → 0.75 when Cov(x, y) = 3 and Var(x) = 4
 */
export function cupedTheta(variants: readonly CupedSummary[]): number {
  const n = sumOf(variants, (v) => v.n);
  const sumX = sumOf(variants, (v) => v.covariateSum);
  const varX = sampleVariance(n, sumX, sumOf(variants, (v) => v.covariateSumSquares));
  if (varX === 0) return 0;
  return sampleCovariance(n, sumX, sumOf(variants, (v) => v.sum), sumOf(variants, (v) => v.sumProducts)) / varX;
}

function requireCupedSummary(v: CupedSummary, i: number): void {
  requireUnits(`variants[${i}].n`, v.n);
  for (const field of ['sum', 'sumSquares', 'covariateSum', 'covariateSumSquares', 'sumProducts'] as const) {
    requireFinite(`variants[${i}].${field}`, v[field]);
  }
}

function sumOf(variants: readonly CupedSummary[], pick: (v: CupedSummary) => number): number {
  let s = 0;
  for (const v of variants) s += pick(v);
  return s;
}
