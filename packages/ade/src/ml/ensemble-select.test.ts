import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blend, selectEnsemble } from './ensemble-select.js';
import { metricFor } from './metrics.js';
import { seededRng } from './rng.js';

const f = (v: number[]) => Float64Array.from(v);

describe('selectEnsemble', () => {
  it('should combine candidates whose errors cancel and leave out a useless one', () => {
    const y = f([1, 2, 3, 4]);
    const a = f([2, 1, 4, 3]);
    const b = f([0, 3, 2, 5]);
    const useless = f([2.5, 2.5, 2.5, 2.5]);
    const sel = selectEnsemble([useless, a, b], y, 1, metricFor('regression', 'rmse'));
    assert.deepEqual(sel.weights, [0, 1, 1]);
    assert.equal(sel.score, 0);
  });

  it('should stop at the best step, so a single best candidate gets all the weight', () => {
    const y = f([1, 2, 3, 4]);
    const exact = f([1, 2, 3, 4]);
    const off = f([2, 3, 4, 5]);
    const sel = selectEnsemble([off, exact], y, 1, metricFor('regression'));
    assert.deepEqual(sel.weights, [0, 1]);
    assert.equal(sel.score, 1);
  });

  it('should never score worse than the best single candidate, with integer weights', () => {
    const rng = seededRng(5);
    const n = 60;
    const k = 3;
    const y = Float64Array.from({ length: n }, () => rng.int(k));
    const metric = metricFor('classification', 'log_loss');
    const candidates = Array.from({ length: 6 }, () => {
      const p = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += p[i * k + c] = rng.next() + (c === y[i] ? rng.next() : 0);
        for (let c = 0; c < k; c++) p[i * k + c]! /= s;
      }
      return p;
    });
    const bestSingle = Math.min(...candidates.map((p) => metric.score(y, p, k)));
    const sel = selectEnsemble(candidates, y, k, metric);
    assert.ok(sel.score <= bestSingle, `${sel.score} vs ${bestSingle}`);
    assert.ok(sel.score < bestSingle - 0.01, 'averaging noisy classifiers helps');
    assert.ok(sel.weights.every((w) => Number.isInteger(w) && w >= 0));
    assert.ok(sel.weights.filter((w) => w > 0).length > 1);
    const blended = blend(candidates, sel.weights);
    assert.ok(Math.abs(metric.score(y, blended, k) - sel.score) < 1e-9);
  });
});

describe('blend', () => {
  it('should take the weighted average', () => {
    assert.deepEqual(Array.from(blend([f([0, 4]), f([4, 0])], [3, 1])), [1, 3]);
  });
});
