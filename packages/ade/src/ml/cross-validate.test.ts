import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignFolds, crossValidate, meanStd, takeRows } from './cross-validate.js';
import type { Estimator, TrainSet } from './estimator.js';
import { metricFor } from './metrics.js';
import { seededRng } from './rng.js';

/**
 * A stand-in estimator for these tests only: predicts 1 for a row whose
 * first feature it saw in training, else 0 — so out-of-fold predictions
 * must all be 0.
 */
const memorizer: Estimator = {
  family: 'memorizer',
  wantsScaled: false,
  costRank: 0,
  defaults: () => ({}),
  sample: () => ({}),
  fit(data) {
    const seen = new Set<number>();
    for (let i = 0; i < data.n; i++) seen.add(data.x[i * data.p]!);
    return {
      predict: (x, n) => Float64Array.from({ length: n }, (_, i) => (seen.has(x[i * data.p]!) ? 1 : 0)),
      toNode: () => ({ kind: 'linear', link: 'identity', intercept: [0], coef: [[0]] }),
    };
  },
};

/** A stand-in classifier for these tests only: the training class frequencies for every row. */
const prior: Estimator = {
  family: 'prior',
  wantsScaled: false,
  costRank: 0,
  defaults: () => ({}),
  sample: () => ({}),
  fit(data) {
    const k = data.classes!;
    const freq = new Float64Array(k);
    for (let i = 0; i < data.n; i++) freq[data.y[i]!]! += 1 / data.n;
    return {
      predict: (_x, n) => {
        const out = new Float64Array(n * k);
        for (let i = 0; i < n; i++) out.set(freq, i * k);
        return out;
      },
      toNode: () => ({ kind: 'linear', link: 'probabilities', intercept: Array.from(freq), coef: Array.from(freq, () => [0]) }),
    };
  },
};

function regressionSet(n: number): TrainSet {
  return { x: Float64Array.from({ length: n }, (_, i) => i), n, p: 1, y: new Float64Array(n), task: 'regression' };
}

describe('assignFolds', () => {
  it('should give folds sizes within one of each other, repeatably per seed', () => {
    const fold = assignFolds(23, 5, seededRng(3));
    const sizes = [0, 0, 0, 0, 0];
    for (const f of fold) sizes[f]!++;
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${sizes}`);
    assert.deepEqual(assignFolds(23, 5, seededRng(3)), fold);
    assert.notDeepEqual(assignFolds(23, 5, seededRng(4)), fold);
  });

  it('should stratify: every fold gets its share of every class', () => {
    const y = Float64Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : i < 95 ? 1 : 2));
    const fold = assignFolds(100, 5, seededRng(0), y, 3);
    for (let c = 0; c < 3; c++) {
      const perFold = [0, 0, 0, 0, 0];
      for (let i = 0; i < 100; i++) if (y[i] === c) perFold[fold[i]!]!++;
      assert.ok(Math.max(...perFold) - Math.min(...perFold) <= 1, `class ${c}: ${perFold}`);
    }
    const sizes = [0, 0, 0, 0, 0];
    for (const f of fold) sizes[f]!++;
    assert.deepEqual(sizes, [20, 20, 20, 20, 20]);
  });
});

describe('crossValidate', () => {
  it('should predict every row only with a model that did not see it', () => {
    const data = regressionSet(50);
    const fold = assignFolds(50, 5, seededRng(1));
    const cv = crossValidate(memorizer, data, {}, { fold, folds: 5, metric: metricFor('regression', 'mae'), seed: 0 });
    assert.deepEqual(Array.from(cv.oof), new Array(50).fill(0));
    assert.equal(cv.foldScores.length, 5);
    assert.equal(cv.fitMs.length, 5);
    assert.equal(cv.width, 1);
  });

  it('should return n × K out-of-fold probabilities and per-fold scores for classification', () => {
    const n = 40;
    const y = Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const data: TrainSet = { x: new Float64Array(n), n, p: 1, y, task: 'classification', classes: 2 };
    const fold = assignFolds(n, 4, seededRng(2), y, 2);
    const cv = crossValidate(prior, data, {}, { fold, folds: 4, metric: metricFor('classification'), seed: 0 });
    assert.equal(cv.oof.length, n * 2);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(cv.oof[2 * i]! - 0.8) < 1e-12);
    assert.deepEqual(cv.foldScores, [0.8, 0.8, 0.8, 0.8]);
    assert.equal(cv.mean, 0.8);
    assert.equal(cv.std, 0);
  });
});

describe('helpers', () => {
  it('should copy the chosen rows', () => {
    const data: TrainSet = { x: f([1, 2, 3, 4, 5, 6]), n: 3, p: 2, y: f([7, 8, 9]), task: 'regression', weights: f([1, 2, 3]) };
    const sub = takeRows(data, [2, 0]);
    assert.deepEqual(Array.from(sub.x), [5, 6, 1, 2]);
    assert.deepEqual(Array.from(sub.y), [9, 7]);
    assert.deepEqual(Array.from(sub.weights!), [3, 1]);
  });

  it('should compute the sample standard deviation', () => {
    assert.deepEqual(meanStd([2, 4, 4, 4, 5, 5, 7, 9]), { mean: 5, std: Math.sqrt(32 / 7) });
    assert.deepEqual(meanStd([3]), { mean: 3, std: 0 });
  });
});

function f(v: number[]): Float64Array {
  return Float64Array.from(v);
}
