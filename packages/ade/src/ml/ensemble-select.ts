import { isBetter, type Metric } from './metrics.js';

/** The outcome of greedy ensemble selection. */
export interface EnsembleSelection {
  /** Integer weight of each candidate (how many times it was picked); at least one is positive. */
  readonly weights: readonly number[];
  /** The metric of the weighted average of the candidates' predictions. */
  readonly score: number;
}

/**
 * Greedy forward selection with replacement (Caruana et al., "Ensemble
 * Selection from Libraries of Models", ICML 2004): start empty; at each of
 * `rounds` steps add the candidate whose inclusion gives the best score of
 * the running average (ties → the earlier candidate, so order the
 * candidates best first); return the weights of the best-scoring step (the
 * earliest on ties) — never worse on these predictions than the best single
 * candidate. Predictions are in `FittedModel.predict`'s layout (`width`
 * values per row: class probabilities, or 1 for regression); typically
 * out-of-fold predictions.
 *
 * @example
 * const { weights } = selectEnsemble([oofA, oofB], y, 2, metricFor('classification'));
 * // e.g. [3, 1]: average A three times, B once
 */
export function selectEnsemble(
  candidates: readonly Float64Array[],
  y: Float64Array,
  width: number,
  metric: Metric,
  rounds = 25,
): EnsembleSelection {
  const size = y.length * width;
  const sum = new Float64Array(size);
  const trial = new Float64Array(size);
  const weights = new Array<number>(candidates.length).fill(0);
  let best: EnsembleSelection | undefined;
  for (let round = 1; round <= rounds; round++) {
    let pick = -1;
    let pickScore = Number.NaN;
    for (let c = 0; c < candidates.length; c++) {
      const pred = candidates[c]!;
      for (let j = 0; j < size; j++) trial[j] = (sum[j]! + pred[j]!) / round;
      const score = metric.score(y, trial, width);
      if (pick < 0 || isBetter(metric, score, pickScore)) {
        pick = c;
        pickScore = score;
      }
    }
    if (pick < 0) break;
    const pred = candidates[pick]!;
    for (let j = 0; j < size; j++) sum[j]! += pred[j]!;
    weights[pick]!++;
    if (!best || isBetter(metric, pickScore, best.score)) best = { weights: [...weights], score: pickScore };
  }
  return best ?? { weights, score: Number.NaN };
}

/**
 * The weighted average of predictions (weights need not sum to one).
 *
 * @example
 * blend([a, b], [3, 1]); // (3a + b) / 4, element-wise
 */
export function blend(predictions: readonly Float64Array[], weights: readonly number[]): Float64Array {
  const out = new Float64Array(predictions[0]?.length ?? 0);
  const total = weights.reduce((a, b) => a + b, 0);
  predictions.forEach((pred, c) => {
    const w = weights[c]! / total;
    if (w === 0) return;
    for (let j = 0; j < out.length; j++) out[j]! += w * pred[j]!;
  });
  return out;
}
