import { invalidInput, requireFinite } from './invalid-input.js';

/**
 * Per-variant sufficient statistics, as the metric SQL aggregates them (one row
 * per variant, never per-unit rows), and the moments every test works from.
 *
 * A "unit" is whatever was randomised (usually a user); each unit contributes
 * one value per metric (a 0/1 conversion, a per-unit sum or count…).
 */

/** Sufficient statistics of a mean (or binomial: values 0/1) metric in one variant. */
export interface MeanSummary {
  /** Units in the variant. */
  readonly n: number;
  /** Σ yᵢ over the units. */
  readonly sum: number;
  /** Σ yᵢ² over the units (equals `sum` for a 0/1 metric). */
  readonly sumSquares: number;
}

/**
 * Sufficient statistics of a ratio metric (Σ numerator / Σ denominator, e.g. revenue
 * per session) in one variant, each unit contributing a numerator mᵢ and a denominator dᵢ.
 */
export interface RatioSummary {
  /** Units in the variant. */
  readonly n: number;
  /** Σ mᵢ. */
  readonly numeratorSum: number;
  /** Σ mᵢ². */
  readonly numeratorSumSquares: number;
  /** Σ dᵢ. */
  readonly denominatorSum: number;
  /** Σ dᵢ². */
  readonly denominatorSumSquares: number;
  /** Σ mᵢ·dᵢ. */
  readonly sumProducts: number;
}

/**
 * Sufficient statistics of a mean metric y with a pre-exposure covariate x (for CUPED)
 * in one variant.
 */
export interface CupedSummary extends MeanSummary {
  /** Σ xᵢ. */
  readonly covariateSum: number;
  /** Σ xᵢ². */
  readonly covariateSumSquares: number;
  /** Σ xᵢ·yᵢ. */
  readonly sumProducts: number;
}

/**
 * What every test consumes: a variant's estimate and the per-unit variance behind it,
 * so that the estimate's own variance is `variance / n`. Mean metrics give the sample
 * mean and sample variance; ratio, CUPED and quantile metrics give their own (delta
 * method) equivalents, which is how they plug into the same tests.
 */
export interface VariantMoments {
  /** Units in the variant. */
  readonly n: number;
  /** The variant's estimate (mean, ratio, adjusted mean or quantile). */
  readonly mean: number;
  /** Per-unit variance: Var(estimate) = variance / n. */
  readonly variance: number;
}

/**
 * Mean and sample variance (n − 1 denominator) from sums.
 *
 * @example
 * meanMoments({ n: 4, sum: 10, sumSquares: 30 }) // → { n: 4, mean: 2.5, variance: 1.6666… }
 */
export function meanMoments(summary: MeanSummary): VariantMoments {
  const n = requireUnits('n', summary.n);
  const sum = requireFinite('sum', summary.sum);
  const sumSquares = requireFinite('sumSquares', summary.sumSquares);
  return { n, mean: sum / n, variance: sampleVariance(n, sum, sumSquares) };
}

/** Sample variance (n − 1 denominator) from Σy and Σy², clamped at 0 against rounding. */
export function sampleVariance(n: number, sum: number, sumSquares: number): number {
  return Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1));
}

/** Sample covariance (n − 1 denominator) of two per-unit values from Σa, Σb and Σa·b. */
export function sampleCovariance(n: number, sumA: number, sumB: number, sumProducts: number): number {
  return (sumProducts - (sumA * sumB) / n) / (n - 1);
}

/** Checks a unit count: an integer of at least 2 (a variance needs two units). */
export function requireUnits(field: string, n: number): number {
  if (!Number.isInteger(n) || n < 2) {
    invalidInput(`${field} must be an integer of at least 2 units, got ${String(n)}`, 'wait for more exposures before analysing', {
      field,
      value: n,
    });
  }
  return n;
}

/** Checks hand-made moments (n ≥ 2, finite mean, variance ≥ 0). */
export function requireMoments(field: string, m: VariantMoments): VariantMoments {
  requireUnits(`${field}.n`, m.n);
  requireFinite(`${field}.mean`, m.mean);
  if (!(m.variance >= 0) || !Number.isFinite(m.variance)) {
    invalidInput(`${field}.variance must be a finite number ≥ 0, got ${String(m.variance)}`, 'pass the per-unit variance, not the standard error', {
      field: `${field}.variance`,
      value: m.variance,
    });
  }
  return m;
}
