import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scoreNode } from '@ade/sdk';
import type { TrainSet } from '../estimator.js';
import { seededRng } from '../rng.js';
import { ESTIMATORS } from './index.js';

/** A small problem of each task: 3 features, y driven by the first two. */
function problem(task: 'classification' | 'regression'): TrainSet {
  const rng = seededRng(task === 'regression' ? 1 : 2);
  const n = 90;
  const p = 3;
  const x = Float64Array.from({ length: n * p }, () => rng.next() * 2 - 1);
  const y = Float64Array.from({ length: n }, (_, i) => {
    const v = x[i * p]! - 0.5 * x[i * p + 1]!;
    return task === 'regression' ? v : v < -0.3 ? 0 : v < 0.3 ? 1 : 2;
  });
  return { x, n, p, y, task, ...(task === 'classification' ? { classes: 3 } : {}) };
}

describe('ESTIMATORS', () => {
  it('should list the seven families under distinct names', () => {
    const names = ESTIMATORS.map((e) => e.family);
    assert.deepEqual([...names].sort(), ['extra_trees', 'gbt', 'knn', 'linear', 'mlp', 'random_forest', 'tree']);
  });

  for (const task of ['classification', 'regression'] as const) {
    it(`should fit ${task} with every family's defaults, the exported node scoring as predict does`, () => {
      const data = problem(task);
      for (const e of ESTIMATORS) {
        const model = e.fit(data, e.defaults(task, data.n, data.p), seededRng(3));
        const pred = model.predict(data.x, data.n);
        assert.equal(pred.length, data.n * (task === 'classification' ? 3 : 1), e.family);
        const scored = scoreNode(JSON.parse(JSON.stringify(model.toNode())), data.x, data.n, data.p);
        for (let i = 0; i < pred.length; i++) assert.ok(Math.abs(scored[i]! - pred[i]!) <= 1e-9, `${e.family} [${i}]: ${scored[i]} vs ${pred[i]}`);
      }
    });
  }
});
