import type { KnnNode } from '@ade/sdk';
import type { Estimator, FittedModel, Params, Rng } from '../estimator.js';
import { MlError } from '../ml-error.js';
import { checkTrainSet } from './check-train-set.js';
import { readChoice, readNumber } from './read-param.js';

/** Default cap on stored training rows: above it a deterministic random subset (by the fit's rng) of this size is kept. */
const DEFAULT_MAX_POINTS = 20_000;

const K_CHOICES = [1, 3, 5, 7, 9, 11, 15, 21, 31, 51] as const;

/**
 * k nearest neighbours by Euclidean distance over the (standardised)
 * features, brute force. Regression: the neighbours' mean target;
 * classification: the neighbours' class frequencies (link `probabilities`).
 * Ties in distance go to the earlier training row.
 *
 * Parameters (defaults as scikit-learn's `KNeighbors*`):
 * - `k` (5): neighbours, capped at the stored rows.
 * - `weighting` (`uniform`): `distance` weighs a neighbour by 1/d; when some
 *   neighbours are at distance 0, only those count (as scikit-learn does).
 * - `maxPoints` (20,000): at most this many training rows are stored; a larger
 *   set is subsampled (uniformly, without replacement, by the fit's rng, kept
 *   in training order), which bounds the model size and predict time.
 *
 * Row weights are not used, except that rows of weight 0 are not stored.
 *
 * @example
 * const model = knn.fit(data, { k: 7, weighting: 'distance' }, seededRng(1));
 * model.predict(x, n); // class probabilities, n × K
 */
export const knn: Estimator = {
  family: 'knn',
  wantsScaled: true,
  costRank: 1,
  defaults(): Params {
    return { k: 5, weighting: 'uniform' };
  },
  sample(_task, n, _p, rng): Params {
    const ks = K_CHOICES.filter((k) => k <= Math.max(1, n));
    return { k: ks[rng.int(ks.length)]!, weighting: rng.next() < 0.5 ? 'uniform' : 'distance' };
  },
  fit(data, params, rng) {
    const { outputs, weights } = checkTrainSet(data, 'knn');
    const k = readNumber(params, 'k', 5, { min: 1, integer: true }, 'knn');
    const weighting = readChoice(params, 'weighting', ['uniform', 'distance'] as const, 'uniform', 'knn');
    const maxPoints = readNumber(params, 'maxPoints', DEFAULT_MAX_POINTS, { min: 1, integer: true }, 'knn');
    const { x, n, p, y } = data;
    if (p === 0) {
      throw new MlError('ml.no_features', 'knn: there are no features to measure distance on', { hint: 'Include at least one feature column.' });
    }
    const candidates: number[] = [];
    for (let i = 0; i < n; i++) if (weights[i]! > 0) candidates.push(i);
    const rows = candidates.length > maxPoints ? subsample(candidates, maxPoints, rng) : candidates;
    const m = rows.length;
    const points = new Float64Array(m * p);
    const targets = new Float64Array(m * outputs);
    rows.forEach((i, r) => {
      points.set(x.subarray(i * p, (i + 1) * p), r * p);
      if (data.task === 'classification') targets[r * outputs + y[i]!] = 1;
      else targets[r] = y[i]!;
    });
    return new KnnModel(points, targets, m, p, outputs, Math.min(k, m), weighting, data.task === 'classification');
  },
};

class KnnModel implements FittedModel {
  constructor(
    private readonly points: Float64Array,
    private readonly targets: Float64Array,
    private readonly m: number,
    private readonly p: number,
    private readonly outputs: number,
    private readonly k: number,
    private readonly weighting: 'uniform' | 'distance',
    private readonly classification: boolean,
  ) {}

  predict(x: Float64Array, n: number): Float64Array {
    const { points, targets, m, p, k, outputs } = this;
    const out = new Float64Array(n * outputs);
    const bestD = new Float64Array(k);
    const bestI = new Int32Array(k);
    const weight = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const q = i * p;
      let count = 0;
      let worst = Infinity;
      for (let r = 0; r < m; r++) {
        const o = r * p;
        let d = 0;
        let j = 0;
        // Partial-distance pruning: a sum of squares only grows, so once it
        // reaches the current k-th best (a tie loses to the earlier row) the
        // row cannot enter — the result is the same as the full scan.
        while (j < p) {
          const end = Math.min(p, j + 8);
          for (; j < end; j++) {
            const t = x[q + j]! - points[o + j]!;
            d += t * t;
          }
          if (d >= worst) break;
        }
        if (d >= worst) continue;
        let pos = count < k ? count++ : k - 1;
        while (pos > 0 && bestD[pos - 1]! > d) {
          bestD[pos] = bestD[pos - 1]!;
          bestI[pos] = bestI[pos - 1]!;
          pos--;
        }
        bestD[pos] = d;
        bestI[pos] = r;
        if (count === k) worst = bestD[k - 1]!;
      }
      const o = i * outputs;
      if (this.weighting === 'uniform') {
        for (let s = 0; s < count; s++) weight[s] = 1;
      } else {
        let exact = false;
        for (let s = 0; s < count; s++) if (bestD[s] === 0) exact = true;
        for (let s = 0; s < count; s++) weight[s] = exact ? (bestD[s] === 0 ? 1 : 0) : 1 / Math.sqrt(bestD[s]!);
      }
      let total = 0;
      for (let s = 0; s < count; s++) {
        const w = weight[s]!;
        total += w;
        const t = bestI[s]! * outputs;
        for (let c = 0; c < outputs; c++) out[o + c]! += w * targets[t + c]!;
      }
      for (let c = 0; c < outputs; c++) out[o + c]! /= total;
    }
    return out;
  }

  toNode(): KnnNode {
    const targets: number[][] = [];
    for (let r = 0; r < this.m; r++) targets.push(Array.from(this.targets.subarray(r * this.outputs, (r + 1) * this.outputs)));
    return {
      kind: 'knn',
      link: this.classification ? 'probabilities' : 'identity',
      k: this.k,
      points: Array.from(this.points),
      targets,
      weighting: this.weighting,
    };
  }
}

/** `size` of `rows`, chosen uniformly without replacement (partial Fisher–Yates), returned in ascending order. */
function subsample(rows: readonly number[], size: number, rng: Rng): number[] {
  const a = rows.slice();
  for (let i = 0; i < size; i++) {
    const j = i + rng.int(a.length - i);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a.slice(0, size).sort((u, v) => u - v);
}
