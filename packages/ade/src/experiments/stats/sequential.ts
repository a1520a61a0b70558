import { estimateEffects, requirePositiveVariance, type EffectMoments } from './effect.js';
import { ALTERNATIVES, type Alternative } from './frequentist.js';
import { invalidInput, requireAlpha } from './invalid-input.js';
import type { VariantMoments } from './summary.js';

/**
 * Always-valid inference: asymptotic confidence sequences (Waudby-Smith, Arnold, Wu,
 * Wang & Ramdas, "Time-uniform central limit theory and asymptotic confidence
 * sequences", arXiv:2103.06476, eq. 9), as GrowthBook implements sequential testing.
 * The interval holds at every sample size simultaneously with probability ≥ 1 − α, so
 * the results can be looked at (and the experiment stopped) at any time.
 *
 * With N = n_C + n_T units in total, the effect's standard error SE and the per-unit
 * variance s² = SE²·N, the two-sided interval is Δ̂ ± B with
 *
 *   B = s · √( 2(Nρ² + 1) / (N²ρ²) · ln( √(Nρ² + 1) / α ) ),
 *   ρ = √( (−2 ln α + ln(−2 ln α + 1)) / S )          (eq. 161),
 *
 * where S, the tuning parameter, is the total sample size at which a decision is
 * expected: the interval is tightest relative to a fixed-horizon one around N = S.
 * Keep S fixed for an experiment's life. The always-valid p-value is 1/E with the
 * mixture e-value E = exp(ρ²N²Δ̂² / (2 s² (Nρ² + 1))) / √(Nρ² + 1) (eq. 155), so
 * p ≤ α exactly when the interval excludes 0.
 *
 * One-sided sequences use eq. 134: B = s · √( 2(Nρ² + 1)/(N²ρ²) · ln(1 + √(Nρ² + 1)/(2α)) )
 * with ρ tuned at 2α; their p-value is the smallest α whose sequence excludes 0 (with ρ
 * held fixed), which has the closed form √(Nρ² + 1) / (2 (exp(Δ̂² N²ρ² / (2 s² (Nρ² + 1))) − 1)).
 */

export interface SequentialOptions {
  /** Significance level. Default 0.05. */
  readonly alpha?: number;
  /** Tuning parameter S: the total units (all variants) at which you expect to decide. Default 5000, as GrowthBook. */
  readonly expectedSampleSize?: number;
  /** 'two-sided' (default), 'greater' or 'less'. */
  readonly alternative?: Alternative;
}

export const SEQUENTIAL_DEFAULTS = { alpha: 0.05, expectedSampleSize: 5000, alternative: 'two-sided' } as const satisfies Required<SequentialOptions>;

/** One effect with its confidence sequence at the current sample size. */
export interface SequentialEffect {
  readonly estimate: number;
  readonly standardError: number;
  /** The confidence sequence's current interval; one-sided alternatives have an infinite bound. */
  readonly ci: readonly [number, number];
  /** Always-valid p-value. */
  readonly pValue: number;
}

export interface SequentialResult {
  readonly alpha: number;
  readonly alternative: Alternative;
  readonly expectedSampleSize: number;
  /** Total units N = n_C + n_T. */
  readonly n: number;
  /** The mixing parameter ρ derived from α and S. */
  readonly rho: number;
  readonly absolute: SequentialEffect;
  /** Null when the control mean is 0. */
  readonly relative: SequentialEffect | null;
}

/**
 * The confidence sequence of treatment vs control at the current data.
 *
 * @example
 * // control, treatment as in welchTTest's example (fixed-horizon CI [-0.062, 0.562], p 0.116)
 * sequentialTest(control, treatment, { expectedSampleSize: 20_000 })
 * // → { n: 2000, rho: 0.0199, absolute: { estimate: 0.25, ci: [-0.363, 0.863], pValue: 0.775 }, … }
 */
export function sequentialTest(
  control: VariantMoments,
  treatment: VariantMoments,
  options: SequentialOptions = {},
): SequentialResult {
  const alpha = requireAlpha(options.alpha ?? SEQUENTIAL_DEFAULTS.alpha);
  const expectedSampleSize = options.expectedSampleSize ?? SEQUENTIAL_DEFAULTS.expectedSampleSize;
  const alternative = options.alternative ?? SEQUENTIAL_DEFAULTS.alternative;
  if (!(expectedSampleSize > 0) || !Number.isFinite(expectedSampleSize)) {
    invalidInput(`expectedSampleSize must be a positive number, got ${String(expectedSampleSize)}`, 'set it to the total units you expect when deciding, e.g. 20000', {
      field: 'expectedSampleSize',
      value: expectedSampleSize,
    });
  }
  if (!ALTERNATIVES.includes(alternative)) {
    invalidInput(`alternative must be one of ${ALTERNATIVES.join(', ')}, got ${String(alternative)}`, "e.g. alternative: 'two-sided'", {
      field: 'alternative',
      value: alternative,
    });
  }
  if (alternative !== 'two-sided' && alpha >= 0.5) {
    invalidInput(`a one-sided confidence sequence needs alpha < 0.5, got ${alpha}`, 'e.g. alpha: 0.05', { field: 'alpha', value: alpha });
  }
  const effects = estimateEffects(control, treatment);
  const n = control.n + treatment.n;
  const rho = sequentialRho(alpha, expectedSampleSize, alternative);
  return {
    alpha,
    alternative,
    expectedSampleSize,
    n,
    rho,
    absolute: sequentialEffect(effects.absolute, n, rho, alpha, alternative, 'absolute'),
    relative: effects.relative ? sequentialEffect(effects.relative, n, rho, alpha, alternative, 'relative') : null,
  };
}

/**
 * ρ for a confidence sequence tuned to be tightest at `expectedSampleSize` total units
 * (eq. 161; one-sided sequences use 2α).
 *
 * @example sequentialRho(0.05, 5000) // → 0.03984…
 */
export function sequentialRho(alpha: number, expectedSampleSize: number, alternative: Alternative = 'two-sided'): number {
  const a = alternative === 'two-sided' ? alpha : 2 * alpha;
  const l = -2 * Math.log(a);
  return Math.sqrt((l + Math.log(l + 1)) / expectedSampleSize);
}

/**
 * Half-width B of the confidence sequence for an estimate with per-unit variance `s2`
 * after `n` total units.
 */
export function sequentialHalfWidth(s2: number, n: number, rho: number, alpha: number, alternative: Alternative = 'two-sided'): number {
  const nr2 = n * rho * rho;
  const scale = (2 * (nr2 + 1)) / (n * nr2); // 2(Nρ² + 1) / (N²ρ²)
  const log = alternative === 'two-sided' ? Math.log(Math.sqrt(nr2 + 1) / alpha) : Math.log(1 + Math.sqrt(nr2 + 1) / (2 * alpha));
  return Math.sqrt(s2 * scale * log);
}

function sequentialEffect(
  effect: EffectMoments,
  n: number,
  rho: number,
  alpha: number,
  alternative: Alternative,
  scale: string,
): SequentialEffect {
  requirePositiveVariance(effect, scale);
  const se = Math.sqrt(effect.variance);
  const s2 = effect.variance * n;
  const half = sequentialHalfWidth(s2, n, rho, alpha, alternative);
  const nr2 = n * rho * rho;
  // ρ²N²Δ̂² / (2 s² (Nρ² + 1)): the log of the mixture e-value's exponential factor.
  const exponent = (rho * rho * n * n * effect.estimate * effect.estimate) / (2 * s2 * (nr2 + 1));
  const estimate = effect.estimate;
  if (alternative === 'two-sided') {
    const pValue = Math.min(1, Math.sqrt(nr2 + 1) * Math.exp(-exponent));
    return { estimate, standardError: se, ci: [estimate - half, estimate + half], pValue };
  }
  const favourable = alternative === 'greater' ? estimate > 0 : estimate < 0;
  const pValue = favourable ? Math.min(1, Math.sqrt(nr2 + 1) / (2 * Math.expm1(exponent))) : 1;
  return alternative === 'greater'
    ? { estimate, standardError: se, ci: [estimate - half, Infinity], pValue }
    : { estimate, standardError: se, ci: [-Infinity, estimate + half], pValue };
}
