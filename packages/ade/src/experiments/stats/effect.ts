import { invalidInput } from './invalid-input.js';
import { requireMoments, type VariantMoments } from './summary.js';

/**
 * The treatment effect and its sampling variance, on both scales every engine reports
 * (GrowthBook's "Statistical Details"):
 *
 * - absolute Δₐ = μ_T − μ_C, Var = σ²_C/n_C + σ²_T/n_T;
 * - relative Δᵣ = (μ_T − μ_C)/μ_C (the lift), with the delta-method variance
 *   Var = σ²_C μ_T² / (μ_C⁴ n_C) + σ²_T / (μ_C² n_T).
 *
 * The relative effect is undefined (null) when the control's estimate is 0.
 */

/** One effect estimate and the variance of that estimate (the squared standard error). */
export interface EffectMoments {
  readonly estimate: number;
  readonly variance: number;
}

export interface Effects {
  readonly absolute: EffectMoments;
  /** Null when the control's estimate is 0 (a lift over nothing). */
  readonly relative: EffectMoments | null;
}

/**
 * Absolute and relative effect of `treatment` over `control`.
 *
 * @example
 * estimateEffects({ n: 1000, mean: 10, variance: 4 }, { n: 1000, mean: 10.5, variance: 4 })
 * // → { absolute: { estimate: 0.5, variance: 0.008 }, relative: { estimate: 0.05, variance: 0.0000841 } }
 */
export function estimateEffects(control: VariantMoments, treatment: VariantMoments): Effects {
  const c = requireMoments('control', control);
  const t = requireMoments('treatment', treatment);
  const varC = c.variance / c.n;
  const varT = t.variance / t.n;
  const absolute = { estimate: t.mean - c.mean, variance: varC + varT };
  if (c.mean === 0) return { absolute, relative: null };
  const relative = {
    estimate: (t.mean - c.mean) / c.mean,
    variance: (varC * t.mean * t.mean) / c.mean ** 4 + varT / (c.mean * c.mean),
  };
  return { absolute, relative };
}

/**
 * Welch–Satterthwaite degrees of freedom for the difference of two means with unequal
 * variances: (σ²_C/n_C + σ²_T/n_T)² / (σ⁴_C/(n_C²(n_C−1)) + σ⁴_T/(n_T²(n_T−1))).
 *
 * @example welchDf({ n: 10, mean: 0, variance: 1 }, { n: 10, mean: 0, variance: 1 }) // → 18
 */
export function welchDf(control: VariantMoments, treatment: VariantMoments): number {
  const vc = control.variance / control.n;
  const vt = treatment.variance / treatment.n;
  const df = (vc + vt) ** 2 / ((vc * vc) / (control.n - 1) + (vt * vt) / (treatment.n - 1));
  if (!(df > 0)) {
    invalidInput('both variants have zero variance, so there is nothing to test', 'the metric is constant; check its definition', {
      control: control.variance,
      treatment: treatment.variance,
    });
  }
  return df;
}

/** Checks that an effect's variance allows a test (a constant metric does not). */
export function requirePositiveVariance(effect: EffectMoments, scale: string): void {
  if (!(effect.variance > 0) || !Number.isFinite(effect.variance)) {
    invalidInput(`the ${scale} effect has no sampling variance (${String(effect.variance)})`, 'the metric is constant in both variants; check its definition', {
      scale,
      variance: effect.variance,
    });
  }
}
