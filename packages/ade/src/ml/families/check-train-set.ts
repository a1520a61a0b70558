import type { TrainSet } from '../estimator.js';
import { MlError } from '../ml-error.js';

/** What the dense families need to know about a checked training set. */
export interface CheckedTrainSet {
  /** Outputs per row: 1 for regression, the class count K for classification. */
  readonly outputs: number;
  /** Per-row weights (all 1 when the set has none). */
  readonly weights: Float64Array;
  /** Sum of `weights` (> 0). */
  readonly weightSum: number;
}

/**
 * Checks a `TrainSet` before a dense family (linear, kNN, MLP) fits it: rows
 * present, array sizes consistent, every value finite, class labels integers
 * in [0, K), weights finite, non-negative and not all zero. Throws `MlError`
 * with the offending row so a caller can act; never lets NaN reach the maths.
 *
 * @example
 * const { outputs, weights } = checkTrainSet(data, 'linear');
 */
export function checkTrainSet(data: TrainSet, family: string): CheckedTrainSet {
  const { n, p, x, y } = data;
  if (!(Number.isInteger(n) && n > 0)) {
    throw new MlError('ml.no_rows', `${family}: the training set has no rows`, { hint: 'Train on a table (or filter) with at least one row.' });
  }
  if (!(Number.isInteger(p) && p >= 0) || x.length !== n * p || y.length !== n) {
    throw new MlError('ml.bad_option', `${family}: x has ${x.length} values and y ${y.length} for ${n} rows × ${p} features`, {
      hint: 'x must be row-major n × p and y must have one value per row.',
      details: { n, p, xLength: x.length, yLength: y.length },
    });
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      throw new MlError('ml.input_invalid', `${family}: feature ${i % p} of row ${Math.floor(i / p)} is ${x[i]}`, {
        hint: 'Feature steps impute missing values; encode the rows with the artifact features before fitting.',
        details: { row: Math.floor(i / p), feature: i % p },
      });
    }
  }
  let outputs = 1;
  if (data.task === 'classification') {
    const k = data.classes;
    if (k === undefined || !Number.isInteger(k) || k < 2) {
      throw new MlError('ml.single_class', `${family}: classification needs at least 2 classes (got ${k ?? 'none'})`, {
        hint: 'Pick a target with two or more distinct values, or train a regression.',
      });
    }
    outputs = k;
  }
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    const ok = data.task === 'classification' ? Number.isInteger(v) && v >= 0 && v < outputs : Number.isFinite(v);
    if (!ok) {
      throw new MlError('ml.bad_target', `${family}: target of row ${i} is ${v}`, {
        hint: data.task === 'classification' ? `Class targets are indices 0…${outputs - 1}.` : 'Drop rows whose target is missing or infinite.',
        details: { row: i },
      });
    }
  }
  let weights: Float64Array;
  if (data.weights) {
    if (data.weights.length !== n) {
      throw new MlError('ml.bad_option', `${family}: ${data.weights.length} weights for ${n} rows`, { hint: 'Give one weight per row.' });
    }
    weights = data.weights;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (!(Number.isFinite(w) && w >= 0)) {
        throw new MlError('ml.bad_option', `${family}: weight of row ${i} is ${w}`, { hint: 'Weights must be finite and ≥ 0.', details: { row: i } });
      }
    }
  } else {
    weights = new Float64Array(n).fill(1);
  }
  let weightSum = 0;
  for (let i = 0; i < n; i++) weightSum += weights[i]!;
  if (!(weightSum > 0)) {
    throw new MlError('ml.no_rows', `${family}: every row has weight 0`, { hint: 'Give at least one row a positive weight.' });
  }
  return { outputs, weights, weightSum };
}
