import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scoreNode, type KnnNode } from '@ade/sdk';
import type { TrainSet } from '../estimator.js';
import { MlError } from '../ml-error.js';
import { seededRng } from '../rng.js';
import { knn } from './knn.js';
import { accuracy, allFinite, blobs, fromRows, linearSet, maxRelDiff, r2 } from './test-support/dense-sets.js';

const LINE = [[0], [1], [2], [5], [6]];

function close(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) < 1e-12, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

/** The obvious algorithm: every distance, a stable sort, the first k. */
function naive(train: TrainSet, k: number, weighting: 'uniform' | 'distance', x: Float64Array, n: number): Float64Array {
  const { p } = train;
  const out = train.task === 'classification' ? train.classes! : 1;
  const pred = new Float64Array(n * out);
  for (let i = 0; i < n; i++) {
    const d = Array.from({ length: train.n }, (_, r) => {
      let s = 0;
      for (let j = 0; j < p; j++) s += (x[i * p + j]! - train.x[r * p + j]!) ** 2;
      return { r, s };
    }).sort((a, b) => a.s - b.s);
    let near = d.slice(0, Math.min(k, train.n));
    if (weighting === 'distance' && near[0]!.s === 0) near = near.filter((e) => e.s === 0);
    const w = near.map((e) => (weighting === 'uniform' || near[0]!.s === 0 ? 1 : 1 / Math.sqrt(e.s)));
    const total = w.reduce((a, b) => a + b, 0);
    near.forEach((e, q) => {
      if (out === 1) pred[i]! += w[q]! * train.y[e.r]!;
      else pred[i * out + train.y[e.r]!]! += w[q]!;
    });
    for (let c = 0; c < out; c++) pred[i * out + c]! /= total;
  }
  return pred;
}

describe('knn', () => {
  it('should average the k nearest (uniform or by 1/distance), with ties to the earlier row', () => {
    const cls = fromRows(LINE, [0, 0, 1, 1, 1], 'classification', 2);
    const reg = fromRows(LINE, [10, 20, 30, 40, 50], 'regression');
    const q = Float64Array.of(1.6);
    close(knn.fit(cls, { k: 3 }, seededRng(1)).predict(q, 1), [2 / 3, 1 / 3], 'uniform classes');
    // weights 1/0.4, 1/0.6, 1/1.6 on classes 1, 0, 0
    const w = [2.5, 1 / 0.6, 0.625];
    const total = w[0]! + w[1]! + w[2]!;
    close(knn.fit(cls, { k: 3, weighting: 'distance' }, seededRng(1)).predict(q, 1), [(w[1]! + w[2]!) / total, w[0]! / total], 'distance classes');
    close(knn.fit(reg, { k: 2 }, seededRng(1)).predict(q, 1), [25], 'uniform mean');
    close(knn.fit(reg, { k: 2, weighting: 'distance' }, seededRng(1)).predict(q, 1), [(30 / 0.4 + 20 / 0.6) / (1 / 0.4 + 1 / 0.6)], 'distance mean');
    close(knn.fit(reg, { k: 3, weighting: 'distance' }, seededRng(1)).predict(Float64Array.of(2), 1), [30], 'an exact match decides');
    close(knn.fit(reg, { k: 1 }, seededRng(1)).predict(Float64Array.of(0.5), 1), [10], 'a tie goes to the earlier row');
    close(knn.fit(reg, { k: 2 }, seededRng(1)).predict(Float64Array.of(3.5), 1), [35], 'equidistant 2 and 5');
  });

  it('should give exactly what a full sort gives (pruning changes nothing)', () => {
    const rng = seededRng(30);
    // Integer-valued features: many equal distances, so tie-breaking is exercised.
    const train = blobs(rng, 100, [
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
      [2, 0, 2, 0, 2, 0, 2, 0, 2, 0],
    ], 1);
    const rounded = { ...train, x: train.x.map(Math.round) };
    const test = blobs(seededRng(31), 50, [
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    ], 1.5);
    const tx = test.x.map(Math.round);
    for (const weighting of ['uniform', 'distance'] as const) {
      for (const k of [1, 4, 15]) {
        const got = knn.fit(rounded, { k, weighting }, seededRng(1)).predict(tx, test.n);
        assert.deepEqual(got, naive(rounded, k, weighting, tx, test.n), `${weighting} k=${k}`);
      }
    }
  });

  it('should classify separable blobs and do reasonably on overlapping ones', () => {
    const sep = [
      [-4, 0],
      [4, 0],
    ];
    const train = blobs(seededRng(1), 200, sep, 0.5);
    const test = blobs(seededRng(2), 500, sep, 0.5);
    const model = knn.fit(train, knn.defaults('classification', train.n, train.p), seededRng(1));
    assert.equal(accuracy(model.predict(test.x, test.n), test.y, 2), 1);
    // Bayes accuracy Φ(1) ≈ 0.841; k = 15 gets within a few points of it.
    const overlap = [
      [-1, 0],
      [1, 0],
    ];
    const t2 = blobs(seededRng(3), 500, overlap, 1);
    const h2 = blobs(seededRng(4), 2000, overlap, 1);
    const acc = accuracy(knn.fit(t2, { k: 15 }, seededRng(1)).predict(h2.x, h2.n), h2.y, 2);
    assert.ok(acc > 0.78 && acc < 0.87, `accuracy ${acc}`);
    const reg = linearSet(seededRng(5), 1000, [1, -1], 0, 0.1);
    const regTest = linearSet(seededRng(6), 300, [1, -1], 0, 0.1);
    assert.ok(r2(knn.fit(reg, { k: 5, weighting: 'distance' }, seededRng(1)).predict(regTest.x, regTest.n), regTest.y) > 0.95);
  });

  it('should store at most maxPoints rows, chosen by the seed and kept in training order', () => {
    const data = linearSet(seededRng(7), 200, [1, 2], 0, 0);
    const a = knn.fit(data, { maxPoints: 50 }, seededRng(1)).toNode() as KnnNode;
    assert.equal(a.points.length, 100);
    assert.equal(a.targets.length, 50);
    assert.deepEqual(knn.fit(data, { maxPoints: 50 }, seededRng(1)).toNode(), a);
    assert.notDeepEqual((knn.fit(data, { maxPoints: 50 }, seededRng(2)).toNode() as KnnNode).targets, a.targets);
    const rowOf = (r: number) => {
      for (let i = 0; i < data.n; i++) if (data.x[2 * i] === a.points[2 * r] && data.x[2 * i + 1] === a.points[2 * r + 1]) return i;
      return -1;
    };
    const rows = Array.from({ length: 50 }, (_, r) => rowOf(r));
    assert.ok(rows.every((r, i) => r >= 0 && (i === 0 || r > rows[i - 1]!)), 'a subsequence of the training rows');
    rows.forEach((r, i) => assert.equal(a.targets[i]![0], data.y[r]));
  });

  it('should handle one row per class, constant features, p > n, and refuse no features', () => {
    const one = fromRows([[1], [2]], [0, 1], 'classification', 2);
    const m = knn.fit(one, { k: 5 }, seededRng(1));
    close(m.predict(Float64Array.of(0), 1), [0.5, 0.5], 'k capped at the rows');
    assert.equal((m.toNode() as KnnNode).k, 2);
    const flat = fromRows([[3, 3], [3, 3], [3, 3], [3, 3]], [1, 2, 3, 4], 'regression');
    close(knn.fit(flat, { k: 2 }, seededRng(1)).predict(Float64Array.of(0, 0), 1), [1.5], 'all equidistant: the first rows');
    close(knn.fit(flat, { k: 3, weighting: 'distance' }, seededRng(1)).predict(Float64Array.of(3, 3), 1), [2], 'all exact matches');
    const wide = blobs(seededRng(8), 2, [Array(30).fill(0), Array(30).fill(1)], 1);
    assert.ok(allFinite(knn.fit(wide, { weighting: 'distance' }, seededRng(1)).predict(wide.x, wide.n)));
    assert.throws(
      () => knn.fit(fromRows([[], []], [1, 2], 'regression'), {}, seededRng(1)),
      (e: unknown) => e instanceof MlError && e.code === 'ml.no_features',
    );
    assert.throws(() => knn.fit(flat, { k: 0 }, seededRng(1)), (e: unknown) => e instanceof MlError && e.code === 'ml.bad_option');
    assert.throws(() => knn.fit(flat, { weighting: 'gaussian' }, seededRng(1)), (e: unknown) => e instanceof MlError && e.code === 'ml.bad_option');
  });

  it('should be scored identically by the SDK scorer on 1,000 rows', () => {
    const rng = seededRng(40);
    const train = blobs(rng, 400, [
      [0, 0, 0, 1],
      [1, 1, 0, 0],
      [0, 1, 1, 0],
    ], 0.7);
    const coarse = { ...train, x: train.x.map((v) => Math.round(v * 4) / 4) }; // duplicates: ties and zero distances
    const query = blobs(seededRng(41), 500, [
      [0, 0, 0, 1],
      [1, 1, 0, 0],
    ], 0.8);
    const qx = query.x.map((v, i) => (i % 3 === 0 ? Math.round(v * 4) / 4 : v));
    const binary: TrainSet = { ...coarse, y: coarse.y.map((c) => (c === 2 ? 1 : c)), classes: 2 };
    const regression: TrainSet = { ...coarse, task: 'regression', y: coarse.y.map((c, i) => c * 10 + coarse.x[i * 4]!) };
    delete (regression as { classes?: number }).classes;
    for (const data of [coarse, binary, regression]) {
      for (const weighting of ['uniform', 'distance'] as const) {
        const model = knn.fit(data, { k: 7, weighting }, seededRng(1));
        const mine = model.predict(qx, query.n);
        const node = JSON.parse(JSON.stringify(model.toNode())) as KnnNode;
        const sdk = scoreNode(node, qx, query.n, data.p);
        assert.ok(maxRelDiff(mine, sdk) <= 1e-9, `${data.task}/${data.classes ?? ''} ${weighting}: ${maxRelDiff(mine, sdk)}`);
      }
    }
  });

  it('should sample k within the rows, deterministically', () => {
    assert.deepEqual(knn.sample('classification', 100, 3, seededRng(3)), knn.sample('classification', 100, 3, seededRng(3)));
    for (let s = 0; s < 20; s++) assert.ok((knn.sample('regression', 6, 3, seededRng(s)).k as number) <= 6);
  });
});
