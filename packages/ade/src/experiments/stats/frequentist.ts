import { studentTCdf, studentTInv, studentTSf } from './distributions.js';
import { estimateEffects, requirePositiveVariance, welchDf, type EffectMoments } from './effect.js';
import { invalidInput, requireAlpha } from './invalid-input.js';
import type { VariantMoments } from './summary.js';

/**
 * Frequentist tests of a treatment against a control: Welch's unequal-variance t-test
 * on the absolute effect, and the same t statistic on the relative effect with its
 * delta-method standard error (as GrowthBook's frequentist engine does).
 */

/** Which hypothesis the p-value and interval are for: H₁ Δ ≠ 0, Δ > 0 or Δ < 0. */
export type Alternative = 'two-sided' | 'greater' | 'less';

export const ALTERNATIVES: readonly Alternative[] = ['two-sided', 'greater', 'less'];

export interface FrequentistOptions {
  /** Significance level; intervals have coverage 1 − α. Default 0.05. */
  readonly alpha?: number;
  /** 'two-sided' (default), 'greater' (treatment better when higher) or 'less'. */
  readonly alternative?: Alternative;
}

export const FREQUENTIST_DEFAULTS = { alpha: 0.05, alternative: 'two-sided' } as const satisfies Required<FrequentistOptions>;

/** One tested effect. */
export interface TestedEffect {
  readonly estimate: number;
  readonly standardError: number;
  /** estimate / standardError. */
  readonly statistic: number;
  /** 1 − α interval; one-sided alternatives give an infinite bound (−∞ or +∞). */
  readonly ci: readonly [number, number];
  readonly pValue: number;
}

export interface WelchTestResult {
  readonly alpha: number;
  readonly alternative: Alternative;
  /** Welch–Satterthwaite degrees of freedom (from the absolute-scale variances). */
  readonly df: number;
  /** μ_T − μ_C. */
  readonly absolute: TestedEffect;
  /** (μ_T − μ_C)/μ_C; null when the control mean is 0. */
  readonly relative: TestedEffect | null;
}

/**
 * Welch's t-test of treatment vs control from their moments (see `meanMoments`,
 * `ratioMoments`, `cupedAdjust`).
 *
 * @example
 * const control = meanMoments({ n: 1000, sum: 9_870, sumSquares: 110_200 });
 * const treatment = meanMoments({ n: 1000, sum: 10_120, sumSquares: 114_900 });
 * welchTTest(control, treatment, { alpha: 0.05 })
 * // → { df: 1997.7, absolute: { estimate: 0.25, ci: [-0.062, 0.562], pValue: 0.116, … },
 * //     relative: { estimate: 0.0253, ci: [-0.0067, 0.0573], pValue: 0.121, … } }
 */
export function welchTTest(
  control: VariantMoments,
  treatment: VariantMoments,
  options: FrequentistOptions = {},
): WelchTestResult {
  const { alpha, alternative } = resolveFrequentistOptions(options);
  const effects = estimateEffects(control, treatment);
  const df = welchDf(control, treatment);
  return {
    alpha,
    alternative,
    df,
    absolute: testEffect(effects.absolute, df, alpha, alternative, 'absolute'),
    relative: effects.relative ? testEffect(effects.relative, df, alpha, alternative, 'relative') : null,
  };
}

/**
 * Tests one effect estimate against 0 with Student's t on `df` degrees of freedom
 * (Infinity for a z-test).
 */
export function testEffect(
  effect: EffectMoments,
  df: number,
  alpha: number,
  alternative: Alternative,
  scale = 'absolute',
): TestedEffect {
  requirePositiveVariance(effect, scale);
  const se = Math.sqrt(effect.variance);
  const statistic = effect.estimate / se;
  if (alternative === 'two-sided') {
    const half = studentTInv(1 - alpha / 2, df) * se;
    return {
      estimate: effect.estimate,
      standardError: se,
      statistic,
      ci: [effect.estimate - half, effect.estimate + half],
      pValue: Math.min(1, 2 * studentTSf(Math.abs(statistic), df)),
    };
  }
  const half = studentTInv(1 - alpha, df) * se;
  return alternative === 'greater'
    ? { estimate: effect.estimate, standardError: se, statistic, ci: [effect.estimate - half, Infinity], pValue: studentTSf(statistic, df) }
    : { estimate: effect.estimate, standardError: se, statistic, ci: [-Infinity, effect.estimate + half], pValue: studentTCdf(statistic, df) };
}

/** Merges frequentist options with their defaults and checks them. */
export function resolveFrequentistOptions(options: FrequentistOptions): Required<FrequentistOptions> {
  const resolved = {
    alpha: options.alpha ?? FREQUENTIST_DEFAULTS.alpha,
    alternative: options.alternative ?? FREQUENTIST_DEFAULTS.alternative,
  };
  requireAlpha(resolved.alpha);
  if (!ALTERNATIVES.includes(resolved.alternative)) {
    invalidInput(`alternative must be one of ${ALTERNATIVES.join(', ')}, got ${String(resolved.alternative)}`, "e.g. alternative: 'two-sided'", {
      field: 'alternative',
      value: resolved.alternative,
    });
  }
  return resolved;
}
