import { normalInv } from './distributions.js';
import { estimateEffects } from './effect.js';
import { resolveFrequentistOptions, testEffect, type FrequentistOptions, type TestedEffect } from './frequentist.js';
import { invalidInput, requireAlpha, requireFinite } from './invalid-input.js';
import { requireUnits, type VariantMoments } from './summary.js';

/**
 * Quantile metrics (p50, p90… of a per-unit value) without density estimation, by the
 * order-statistics method GrowthBook documents (Deng, Knoblich & Lu, KDD 2018 §4; Price
 * & Bonett 2001). The number of units at or below the true ν-quantile is Binomial(n, ν),
 * so with z = Φ⁻¹(1 − α/2) the order statistics at ranks
 *
 *   L = ⌊nν − z√(nν(1−ν))⌋,   U = ⌈nν + z√(nν(1−ν))⌉        (1-based)
 *
 * bracket it with probability ≈ 1 − α. That interval has half-width ≈ z·SE, so
 *
 *   SE(q̂) ≈ (y₍U₎ − y₍L₎) / (2z),
 *
 * which is the normal-approximation variance ν(1−ν)/(n f(q)²) with the density f
 * estimated by the spacing of the order statistics. The estimate is y₍⌈nν⌉₎ (the
 * inverse empirical distribution function). Only three order statistics per variant
 * leave the database: ask `quantileRanks` which ranks to fetch.
 *
 * The difference of two independent quantiles is then tested as a z-test (its
 * estimate is asymptotically normal; no degrees of freedom apply), the lift by the
 * delta method as for means. Ranks must stay inside 1…n: for p99 at α = 0.05 that
 * needs n ≥ ~400 units per variant.
 */

/** A variant's quantile and the two bracketing order statistics, as the SQL fetches them. */
export interface QuantileSummary {
  /** Units in the variant. */
  readonly n: number;
  /** The quantile level ν, e.g. 0.9 for p90. */
  readonly level: number;
  /** y₍⌈nν⌉₎, the sample quantile. */
  readonly estimate: number;
  /** y₍L₎, the order statistic at `quantileRanks(...).lower`. */
  readonly lower: number;
  /** y₍U₎, the order statistic at `quantileRanks(...).upper`. */
  readonly upper: number;
  /** The α the bracketing ranks were computed with (`quantileRanks`'s third argument). Default 0.05. */
  readonly rankAlpha?: number;
}

/** 1-based ranks of the order statistics a quantile analysis needs. */
export interface QuantileRanks {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

export interface QuantileTestResult {
  readonly alpha: number;
  readonly level: number;
  readonly control: VariantMoments;
  readonly treatment: VariantMoments;
  /** q_T − q_C, z-test. */
  readonly absolute: TestedEffect;
  /** (q_T − q_C)/q_C; null when the control quantile is 0. */
  readonly relative: TestedEffect | null;
}

/**
 * Which order statistics to fetch for the ν-quantile of n units at level α.
 *
 * @example quantileRanks(1000, 0.9, 0.05) // → { estimate: 900, lower: 881, upper: 919 }
 */
export function quantileRanks(n: number, level: number, alpha = 0.05): QuantileRanks {
  requireUnits('n', n);
  requireLevel(level);
  requireAlpha(alpha);
  const z = normalInv(1 - alpha / 2);
  const spread = z * Math.sqrt(n * level * (1 - level));
  const ranks = {
    estimate: Math.max(1, Math.ceil(n * level)),
    lower: Math.floor(n * level - spread),
    upper: Math.ceil(n * level + spread),
  };
  if (ranks.lower < 1 || ranks.upper > n) {
    invalidInput(
      `${n} units are too few for the ${level} quantile at alpha ${alpha}: its bracketing ranks ${ranks.lower}…${ranks.upper} fall outside 1…${n}`,
      'collect more units or analyse a less extreme quantile',
      { n, level, alpha, ...ranks },
    );
  }
  return ranks;
}

/**
 * Moments of a variant's quantile: mean = the sample quantile, variance = n·SE² with
 * SE = (upper − lower)/(2z), z = Φ⁻¹(1 − rankAlpha/2).
 *
 * @example quantileMoments({ n: 1000, level: 0.9, estimate: 12.8, lower: 12.1, upper: 13.6 }) // → { n: 1000, mean: 12.8, variance: 146.4… }
 */
export function quantileMoments(summary: QuantileSummary): VariantMoments {
  const alpha = requireAlpha(summary.rankAlpha ?? 0.05);
  quantileRanks(summary.n, summary.level, alpha);
  requireFinite('estimate', summary.estimate);
  requireFinite('lower', summary.lower);
  requireFinite('upper', summary.upper);
  if (!(summary.lower <= summary.estimate && summary.estimate <= summary.upper)) {
    invalidInput('the order statistics are out of order (need lower ≤ estimate ≤ upper)', 'fetch the ranks quantileRanks returns, from values sorted ascending', {
      lower: summary.lower,
      estimate: summary.estimate,
      upper: summary.upper,
    });
  }
  const se = (summary.upper - summary.lower) / (2 * normalInv(1 - alpha / 2));
  return { n: summary.n, mean: summary.estimate, variance: summary.n * se * se };
}

/**
 * Tests the difference of a quantile between treatment and control.
 *
 * @example
 * quantileTest(
 *   { n: 1000, level: 0.9, estimate: 12.8, lower: 12.1, upper: 13.6 },
 *   { n: 1000, level: 0.9, estimate: 12.4, lower: 11.8, upper: 13.1 },
 * ).absolute
 * // → { estimate: -0.4, standardError: 0.506, ci: [-1.39, 0.59], pValue: 0.43, … }
 */
export function quantileTest(
  control: QuantileSummary,
  treatment: QuantileSummary,
  options: FrequentistOptions = {},
): QuantileTestResult {
  const { alpha, alternative } = resolveFrequentistOptions(options);
  if (control.level !== treatment.level) {
    invalidInput(`control and treatment quantile levels differ (${control.level} vs ${treatment.level})`, 'compare the same quantile in both variants', {
      control: control.level,
      treatment: treatment.level,
    });
  }
  const c = quantileMoments(control);
  const t = quantileMoments(treatment);
  const effects = estimateEffects(c, t);
  return {
    alpha,
    level: control.level,
    control: c,
    treatment: t,
    absolute: testEffect(effects.absolute, Infinity, alpha, alternative, 'absolute'),
    relative: effects.relative ? testEffect(effects.relative, Infinity, alpha, alternative, 'relative') : null,
  };
}

function requireLevel(level: number): void {
  if (!(level > 0 && level < 1)) {
    invalidInput(`quantile level must be between 0 and 1 (exclusive), got ${String(level)}`, 'e.g. 0.5 for the median, 0.9 for p90', {
      field: 'level',
      value: level,
    });
  }
}
