/**
 * The experiment stats engine: pure functions from per-variant sufficient statistics
 * (aggregated in SQL) to effects, intervals, p-values and decisions. No I/O.
 *
 * @example
 * import { meanMoments, welchTTest, bayesianTest, sequentialTest } from './experiments/stats/index.js';
 * const control = meanMoments({ n: 1000, sum: 9_870, sumSquares: 110_200 });
 * const treatment = meanMoments({ n: 1000, sum: 10_120, sumSquares: 114_900 });
 * welchTTest(control, treatment).relative;          // lift, CI, p-value
 * bayesianTest(control, treatment).relative;        // chance to win, risk
 * sequentialTest(control, treatment, { expectedSampleSize: 20_000 }).absolute; // peeking-safe
 */
export * from './summary.js';
export { estimateEffects, welchDf, type EffectMoments, type Effects } from './effect.js';
export * from './frequentist.js';
export * from './bayesian.js';
export * from './sequential.js';
export * from './cuped.js';
export * from './ratio.js';
export * from './quantile.js';
export * from './srm.js';
export * from './corrections.js';
export * from './power.js';
