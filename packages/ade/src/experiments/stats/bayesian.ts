import { normalCdf, normalInv, normalPdf, normalSf } from './distributions.js';
import { estimateEffects, requirePositiveVariance, type EffectMoments } from './effect.js';
import { invalidInput, requireAlpha, requireFinite } from './invalid-input.js';
import type { VariantMoments } from './summary.js';

/**
 * Bayesian analysis of a treatment against a control, following GrowthBook's
 * documented engine ("Statistical Details", Bayesian engine): the effect estimate
 * Δ̂ is approximately normal with variance σ̂²_Δ (central limit theorem; delta method
 * for the lift), a normal prior N(μ₀, σ₀²) on the lift is combined with it, and the
 * normal posterior gives
 *
 * - posterior precision 1/σ₀² + 1/σ̂²_Δ, posterior mean (μ₀/σ₀² + Δ̂/σ̂²_Δ) / precision
 *   (a flat prior — the default — leaves the posterior at N(Δ̂, σ̂²_Δ));
 * - chance to win P(Δ > 0) (P(Δ < 0) when lower is better);
 * - risk, the expected loss of each choice: choosing control loses E[max(Δ, 0)],
 *   choosing treatment loses E[max(−Δ, 0)] (with Δ oriented so that positive is better);
 *   for N(m, s²), E[max(Δ, 0)] = m Φ(m/s) + s φ(m/s);
 * - the (1 − α) equal-tailed credible interval.
 *
 * The prior is stated on the relative scale; for the absolute effect it is rescaled by
 * the control mean: μ₀|μ̂_C| and σ₀² μ̂_C².
 */

/** A normal prior on the lift (relative effect), e.g. { mean: 0, variance: 0.3 ** 2 }. */
export interface NormalPrior {
  readonly mean: number;
  readonly variance: number;
}

export interface BayesianOptions {
  /** Credible intervals cover 1 − α. Default 0.05. */
  readonly alpha?: number;
  /** Prior on the lift; absent (default) means flat (improper), as GrowthBook's default. */
  readonly prior?: NormalPrior;
  /** True for metrics where a decrease is the win (latency, churn). Default false. */
  readonly lowerIsBetter?: boolean;
}

export interface Posterior {
  /** Posterior mean of the effect. */
  readonly mean: number;
  /** Posterior standard deviation of the effect. */
  readonly stdDev: number;
  /** Probability that the treatment is better than control. */
  readonly chanceToWin: number;
  /** Expected loss (in the effect's units) of shipping each variant. */
  readonly risk: { readonly control: number; readonly treatment: number };
  /** Equal-tailed 1 − α credible interval. */
  readonly credibleInterval: readonly [number, number];
}

export interface BayesianResult {
  readonly alpha: number;
  readonly absolute: Posterior;
  /** Null when the control mean is 0. */
  readonly relative: Posterior | null;
}

/**
 * Posterior of treatment vs control on both scales.
 *
 * @example
 * // control, treatment as in welchTTest's example (means 9.87 and 10.12, 1,000 units each)
 * bayesianTest(control, treatment, { prior: { mean: 0, variance: 0.09 } }).relative
 * // → { mean: 0.0253, chanceToWin: 0.939, risk: { control: 0.0257, treatment: 0.00043 },
 * //     credibleInterval: [-0.0067, 0.0572], … }
 */
export function bayesianTest(
  control: VariantMoments,
  treatment: VariantMoments,
  options: BayesianOptions = {},
): BayesianResult {
  const alpha = requireAlpha(options.alpha ?? 0.05);
  const lowerIsBetter = options.lowerIsBetter ?? false;
  const prior = options.prior ? requirePrior(options.prior) : undefined;
  const effects = estimateEffects(control, treatment);
  let absolutePrior = prior;
  if (prior) {
    if (control.mean === 0) {
      invalidInput('a prior on the lift cannot be rescaled to the absolute effect when the control mean is 0', 'use a flat prior (omit prior) for this metric', {
        prior,
      });
    }
    absolutePrior = { mean: prior.mean * Math.abs(control.mean), variance: prior.variance * control.mean * control.mean };
  }
  return {
    alpha,
    absolute: posterior(effects.absolute, absolutePrior, alpha, lowerIsBetter, 'absolute'),
    relative: effects.relative ? posterior(effects.relative, prior, alpha, lowerIsBetter, 'relative') : null,
  };
}

/** Combines one effect estimate with a normal prior (or none) into the decision quantities. */
export function posterior(
  effect: EffectMoments,
  prior: NormalPrior | undefined,
  alpha: number,
  lowerIsBetter: boolean,
  scale = 'absolute',
): Posterior {
  requirePositiveVariance(effect, scale);
  const dataPrecision = 1 / effect.variance;
  const precision = dataPrecision + (prior ? 1 / prior.variance : 0);
  const mean = (effect.estimate * dataPrecision + (prior ? prior.mean / prior.variance : 0)) / precision;
  const stdDev = Math.sqrt(1 / precision);
  const z = mean / stdDev;
  const gainIfPositive = mean * normalCdf(z) + stdDev * normalPdf(z); // E[max(Δ, 0)]
  const gainIfNegative = -mean * normalSf(z) + stdDev * normalPdf(z); // E[max(−Δ, 0)]
  const q = normalInv(1 - alpha / 2);
  return {
    mean,
    stdDev,
    chanceToWin: lowerIsBetter ? normalCdf(-z) : normalCdf(z),
    risk: lowerIsBetter
      ? { control: gainIfNegative, treatment: gainIfPositive }
      : { control: gainIfPositive, treatment: gainIfNegative },
    credibleInterval: [mean - q * stdDev, mean + q * stdDev],
  };
}

function requirePrior(prior: NormalPrior): NormalPrior {
  requireFinite('prior.mean', prior.mean);
  if (!(prior.variance > 0) || !Number.isFinite(prior.variance)) {
    invalidInput(`prior.variance must be a positive finite number, got ${String(prior.variance)}`, 'e.g. prior: { mean: 0, variance: 0.09 } (68% of lifts within ±30%); omit prior for a flat one', {
      field: 'prior.variance',
      value: prior.variance,
    });
  }
  return prior;
}
