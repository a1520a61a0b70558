import type { Estimator, Params, Rng, TrainSet } from './estimator.js';
import type { Metric } from './metrics.js';
import { deriveRng, seededRng } from './rng.js';

/** The result of k-fold cross-validation of one candidate. */
export interface CvOutcome {
  /** Out-of-fold predictions: each row predicted by the model that did not see it, in `predict`'s layout (n × width). */
  readonly oof: Float64Array;
  /** Values per row in `oof`: the class count K, or 1 for regression. */
  readonly width: number;
  /** The metric on each fold's held-out rows. */
  readonly foldScores: readonly number[];
  /** Mean of `foldScores`. */
  readonly mean: number;
  /** Sample standard deviation of `foldScores` (0 for a single fold). */
  readonly std: number;
  /** Wall-clock ms of each fold's fit. */
  readonly fitMs: readonly number[];
  /** Wall-clock ms of each fold's predict. */
  readonly predictMs: readonly number[];
}

/** How to cross-validate: a fold per row and the seed the fits draw from. */
export interface CvOptions {
  /** Fold index 0…folds-1 of every row (from `assignFolds`). */
  readonly fold: Int32Array;
  /** Number of folds. */
  readonly folds: number;
  readonly metric: Metric;
  /** Seeds the estimator's random source: fold f fits with the f-th stream derived from it. */
  readonly seed: number;
  /** performance.now() ms by which fits should stop (passed to `Estimator.fit`). */
  readonly deadline?: number;
}

/**
 * Assigns each of `n` rows a fold in 0…folds-1 at random (from `rng`), fold
 * sizes differing by at most one. With `strata` (class indices, 0…classes-1)
 * the folds are stratified: each class is shuffled and dealt round-robin,
 * continuing where the previous class stopped, so every fold gets its share
 * of every class.
 *
 * @example
 * assignFolds(10, 5, seededRng(0)); // Int32Array with each of 0…4 twice
 */
export function assignFolds(n: number, folds: number, rng: Rng, strata?: Float64Array, classes = 0): Int32Array {
  const fold = new Int32Array(n);
  const groups: number[][] = [];
  if (strata) {
    for (let c = 0; c < classes; c++) groups.push([]);
    for (let i = 0; i < n; i++) groups[strata[i]!]!.push(i);
  } else {
    groups.push(Array.from({ length: n }, (_, i) => i));
  }
  let next = 0;
  for (const group of groups) {
    shuffle(group, rng);
    for (const i of group) {
      fold[i] = next;
      next = (next + 1) % folds;
    }
  }
  return fold;
}

/**
 * k-fold cross-validation of `estimator` with `params` on `data`: fits on
 * every fold's complement, predicts its held-out rows, and returns the
 * out-of-fold predictions with per-fold scores and timings. Deterministic
 * given `seed` and `fold` (timings aside).
 *
 * @example
 * const fold = assignFolds(data.n, 5, seededRng(0), data.y, data.classes);
 * const cv = crossValidate(gbt, data, gbt.defaults('classification', data.n, data.p), { fold, folds: 5, metric, seed: 1 });
 * cv.mean; // mean accuracy over the folds
 */
export function crossValidate(estimator: Estimator, data: TrainSet, params: Params, options: CvOptions): CvOutcome {
  const { fold, folds, metric } = options;
  const width = data.task === 'classification' ? data.classes! : 1;
  const oof = new Float64Array(data.n * width);
  const foldScores: number[] = [];
  const fitMs: number[] = [];
  const predictMs: number[] = [];
  const base = seededRng(options.seed);
  for (let f = 0; f < folds; f++) {
    const rng = deriveRng(base);
    const trainIdx: number[] = [];
    const testIdx: number[] = [];
    for (let i = 0; i < data.n; i++) (fold[i] === f ? testIdx : trainIdx).push(i);
    if (testIdx.length === 0 || trainIdx.length === 0) continue;
    const train = takeRows(data, trainIdx);
    const test = takeRows(data, testIdx);
    const t0 = performance.now();
    const model = estimator.fit(train, params, rng, options.deadline);
    const t1 = performance.now();
    const pred = model.predict(test.x, test.n);
    const t2 = performance.now();
    fitMs.push(t1 - t0);
    predictMs.push(t2 - t1);
    for (let j = 0; j < testIdx.length; j++) {
      oof.set(pred.subarray(j * width, (j + 1) * width), testIdx[j]! * width);
    }
    foldScores.push(metric.score(test.y, pred, width));
  }
  const { mean, std } = meanStd(foldScores);
  return { oof, width, foldScores, mean, std, fitMs, predictMs };
}

/**
 * The rows `idx` of `data` as a new training set (copies).
 *
 * @example
 * takeRows(data, [0, 2]).n; // 2
 */
export function takeRows(data: TrainSet, idx: readonly number[]): TrainSet {
  const { p } = data;
  const x = new Float64Array(idx.length * p);
  const y = new Float64Array(idx.length);
  const weights = data.weights ? new Float64Array(idx.length) : undefined;
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    x.set(data.x.subarray(i * p, (i + 1) * p), j * p);
    y[j] = data.y[i]!;
    if (weights) weights[j] = data.weights![i]!;
  }
  return {
    x,
    n: idx.length,
    p,
    y,
    task: data.task,
    ...(data.classes !== undefined ? { classes: data.classes } : {}),
    ...(weights ? { weights } : {}),
  };
}

/** Mean and sample standard deviation (0 with fewer than two values; NaN mean when empty). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: 0 };
  const ss = values.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (n - 1)) };
}

/** Fisher–Yates in place. */
export function shuffle<T>(a: T[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
