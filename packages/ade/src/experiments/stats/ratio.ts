import { invalidInput, requireFinite } from './invalid-input.js';
import { requireUnits, sampleCovariance, sampleVariance, type RatioSummary, type VariantMoments } from './summary.js';

/**
 * Ratio metrics — Σ numerator / Σ denominator over a variant's units, e.g. revenue per
 * session when users are randomised — by the delta method (Deng, Knoblich & Lu,
 * "Applying the Delta Method in Metric Analytics", KDD 2018). The units, not the
 * sessions, are independent, so with per-unit means μ_M, μ_D, variances σ²_M, σ²_D and
 * covariance σ_MD (sample moments over units) and r = μ_M/μ_D:
 *
 *   Var(r̂) ≈ (σ²_M − 2 r σ_MD + r² σ²_D) / (n μ_D²).
 *
 * `ratioMoments` returns that as moments (mean r̂, per-unit variance n·Var(r̂)), which
 * plug into `welchTTest`, `bayesianTest` and `sequentialTest` unchanged.
 */

/**
 * The ratio estimate and its delta-method per-unit variance.
 *
 * @example
 * ratioMoments({ n: 3, numeratorSum: 30, numeratorSumSquares: 500, denominatorSum: 6,
 *   denominatorSumSquares: 14, sumProducts: 80 })
 * // → { n: 3, mean: 5, variance: 6.25 }
 */
export function ratioMoments(summary: RatioSummary): VariantMoments {
  const n = requireUnits('n', summary.n);
  for (const field of ['numeratorSum', 'numeratorSumSquares', 'denominatorSum', 'denominatorSumSquares', 'sumProducts'] as const) {
    requireFinite(field, summary[field]);
  }
  if (summary.denominatorSum === 0) {
    invalidInput('the ratio metric has a zero denominator in this variant', 'check the denominator SQL (no sessions for any exposed unit?)', {
      denominatorSum: 0,
    });
  }
  const meanM = summary.numeratorSum / n;
  const meanD = summary.denominatorSum / n;
  const r = meanM / meanD;
  const varM = sampleVariance(n, summary.numeratorSum, summary.numeratorSumSquares);
  const varD = sampleVariance(n, summary.denominatorSum, summary.denominatorSumSquares);
  const cov = sampleCovariance(n, summary.numeratorSum, summary.denominatorSum, summary.sumProducts);
  const variance = Math.max(0, (varM - 2 * r * cov + r * r * varD) / (meanD * meanD));
  return { n, mean: r, variance };
}
