import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignFolds } from './cross-validate.js';
import type { Estimator, TrainSet } from './estimator.js';
import { decisionTree, linear } from './families/index.js';
import { metricFor } from './metrics.js';
import { seededRng } from './rng.js';
import { searchCandidates, type SearchOptions } from './search-candidates.js';

function regressionSet(n: number): TrainSet {
  const rng = seededRng(11);
  const x = new Float64Array(n * 2);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = rng.next() * 2 - 1;
    x[2 * i + 1] = rng.next() * 2 - 1;
    y[i] = 3 * x[2 * i]! - x[2 * i + 1]! + 0.1 * rng.next();
  }
  return { x, n, p: 2, y, task: 'regression' };
}

/** A test-only family whose every sample is the same parameter set. */
const oneSample: Estimator = {
  ...linear,
  family: 'one_sample',
  costRank: 99,
  defaults: () => ({ alpha: 1 }),
  sample: () => ({ alpha: 0.5 }),
};

/** A test-only family that cannot fit. */
const broken: Estimator = {
  ...linear,
  family: 'broken',
  costRank: -1,
  sample: (_t, _n, _p, rng) => ({ alpha: rng.next() }),
  fit: () => {
    throw new Error('cannot fit');
  },
};

function options(extra: Partial<SearchOptions>): SearchOptions {
  const data = regressionSet(120);
  return {
    estimators: [decisionTree, linear],
    data,
    fold: assignFolds(data.n, 3, seededRng(0)),
    folds: 3,
    metric: metricFor('regression'),
    seed: 0,
    trialsPerFamily: 3,
    deadline: performance.now() + 60_000,
    reserveMs: () => 0,
    keepOof: 2,
    ...extra,
  };
}

describe('searchCandidates', () => {
  it('should try every family’s defaults cheapest first, then samples, best family first', () => {
    const trials = searchCandidates(options({}));
    assert.deepEqual(
      trials.map((t) => [t.id, t.estimator.family, t.round]),
      [
        [0, 'linear', 0],
        [1, 'tree', 0],
        [2, 'linear', 1],
        [3, 'tree', 1],
        [4, 'linear', 2],
        [5, 'tree', 2],
      ],
    );
    assert.deepEqual(trials[0]!.params, linear.defaults('regression', 120, 2));
    assert.ok(trials.every((t) => t.status === 'ok'));
  });

  it('should keep out-of-fold predictions only for the best keepOof trials', () => {
    const trials = searchCandidates(options({}));
    const kept = trials.filter((t) => t.cv!.oof.length > 0);
    assert.equal(kept.length, 2);
    const best = [...trials].sort((a, b) => b.cv!.mean - a.cv!.mean || a.id - b.id).slice(0, 2);
    assert.deepEqual(new Set(kept), new Set(best));
  });

  it('should not try a parameter set twice', () => {
    const trials = searchCandidates(options({ estimators: [oneSample], trialsPerFamily: 5 }));
    assert.deepEqual(
      trials.map((t) => t.params),
      [{ alpha: 1 }, { alpha: 0.5 }],
    );
  });

  it('should record failures and give up on a family that never fits', () => {
    const trials = searchCandidates(options({ estimators: [broken, linear], trialsPerFamily: 4 }));
    const failed = trials.filter((t) => t.status === 'failed');
    assert.equal(failed.length, 2);
    assert.equal(failed[0]!.error, 'cannot fit');
    assert.equal(trials.filter((t) => t.estimator.family === 'linear').length, 4);
  });

  it('should run only the first candidate when the deadline has already passed', () => {
    const trials = searchCandidates(options({ deadline: performance.now() - 1 }));
    assert.equal(trials.length, 1);
    assert.equal(trials[0]!.status, 'ok');
  });

  it('should repeat the same trials and scores for the same seed', () => {
    const summary = (seed: number) => searchCandidates(options({ seed })).map((t) => [t.estimator.family, t.params, t.cv!.mean]);
    assert.deepEqual(summary(3), summary(3));
    assert.notDeepEqual(summary(3), summary(4));
  });
});
