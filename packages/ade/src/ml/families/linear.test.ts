import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scoreNode, type LinearNode } from '@ade/sdk';
import type { TrainSet } from '../estimator.js';
import { MlError } from '../ml-error.js';
import { seededRng } from '../rng.js';
import { linear } from './linear.js';
import { accuracy, allFinite, blobs, fromRows, linearSet, maxRelDiff, r2 } from './test-support/dense-sets.js';

// Known answers computed once with numpy (committed; Python is not needed to run
// the tests): ridge by its closed form (equal to scikit-learn 1.2.1's Ridge to
// 1e-15), logistic regression by Newton's method to a gradient of 1e-15 on
// scikit-learn's objective C·Σ logloss + ½‖β‖² (scikit-learn's own lbfgs stops
// about 1e-6 short of that optimum).
const X6 = [
  [1, 2],
  [2, 0],
  [3, 1],
  [4, 3],
  [5, 5],
  [6, 4],
];
const Y6 = [3, 2, 4, 7, 9, 8.5];
const XL = [
  [0.5, 1.0],
  [1.5, -0.5],
  [-1.0, 0.3],
  [-0.2, -1.2],
  [2.0, 0.8],
  [-1.5, 0.1],
  [0.3, 0.4],
  [-0.6, -0.9],
];

function node(data: TrainSet, params: Record<string, number | string>): LinearNode {
  return linear.fit(data, params, seededRng(1)).toNode() as LinearNode;
}

function close(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tol, `${what}[${i}]: ${v} vs ${expected[i]}`));
}

describe('linear (ridge)', () => {
  it('should match the closed-form ridge solution with an unpenalised intercept', () => {
    const m = node(fromRows(X6, Y6, 'regression'), { alpha: 0.5 });
    close(m.coef[0]!, [0.7698412698412699, 0.8809523809523809], 1e-12, 'coef');
    close(m.intercept, [0.6865079365079358], 1e-12, 'intercept');
    assert.equal(m.link, 'identity');
  });

  it('should weight rows like scikit-learn sample_weight', () => {
    const data = { ...fromRows(X6, Y6, 'regression'), weights: Float64Array.of(1, 2, 1, 0.5, 1, 3) };
    const m = node(data, { alpha: 0.5 });
    close(m.coef[0]!, [0.7172413793103448, 0.9073182833043909], 1e-12, 'coef');
    close(m.intercept, [0.6851401637310852], 1e-12, 'intercept');
  });

  it('should solve p > n through the dual system and agree with conjugate gradients', () => {
    const rows = [
      [1, 0, 2, -1, 0.5],
      [0, 1, 1, 2, -0.5],
      [3, -1, 0, 1, 1.5],
    ];
    const data = fromRows(rows, [1, -2, 4], 'regression');
    const expected = [0.8759453097611057, -0.588971803475735, -0.2719487153803777, -0.3320478790003505, 0.588971803475735];
    const direct = node(data, { alpha: 0.7, solver: 'direct' });
    close(direct.coef[0]!, expected, 1e-12, 'dual coef');
    close(direct.intercept, [0.030900986627936278], 1e-12, 'dual intercept');
    const cg = node(data, { alpha: 0.7, solver: 'cg' });
    close(cg.coef[0]!, expected, 1e-8, 'cg coef');
  });

  it('should give the same model from conjugate gradients as from Cholesky on a larger set', () => {
    const data = linearSet(seededRng(3), 400, [2, -1, 0.5, 0, 3, -2, 1, 0.25], 5, 0.5);
    const direct = node(data, { alpha: 2, solver: 'direct' });
    const cg = node(data, { alpha: 2, solver: 'cg' });
    assert.ok(maxRelDiff(direct.coef[0]!, cg.coef[0]!) < 1e-8);
    assert.ok(Math.abs(direct.intercept[0]! - cg.intercept[0]!) < 1e-8);
  });

  it('should recover the coefficients and predict held-out rows well', () => {
    const coef = [2, -1, 0.5, 0, 3];
    const train = linearSet(seededRng(10), 500, coef, 5, 0.5);
    const test = linearSet(seededRng(11), 500, coef, 5, 0.5);
    const model = linear.fit(train, linear.defaults('regression', train.n, train.p), seededRng(1));
    const m = model.toNode() as LinearNode;
    close(m.coef[0]!, coef, 0.1, 'coef');
    close(m.intercept, [5], 0.1, 'intercept');
    assert.ok(r2(model.predict(test.x, test.n), test.y) > 0.97);
  });

  it('should survive constant and duplicated columns with alpha = 0, and p > n', () => {
    const rows = [
      [1, 3, 3, 7],
      [2, 1, 1, 7],
      [3, 4, 4, 7],
      [4, 1, 1, 7],
    ];
    const m = node(fromRows(rows, [1, 2, 3, 4], 'regression'), { alpha: 0 });
    assert.ok(allFinite([...m.intercept, ...m.coef[0]!]));
    assert.equal(m.coef[0]![3], 0, 'a constant column gets no weight');
    const wide = linearSet(seededRng(4), 5, Array.from({ length: 40 }, (_, j) => (j % 3) - 1), 1, 0.1);
    const w = linear.fit(wide, { alpha: 0 }, seededRng(1));
    assert.ok(allFinite(w.predict(wide.x, wide.n)));
    assert.ok(allFinite(linear.fit(fromRows([[1, 2]], [5], 'regression'), {}, seededRng(1)).predict(Float64Array.of(1, 2), 1)));
  });
});

describe('linear (logistic)', () => {
  it("should reach the optimum of scikit-learn's binary logistic objective", () => {
    const data = fromRows(XL, [1, 1, 0, 0, 1, 0, 0, 1], 'classification', 2);
    const m = node(data, { C: 1, tol: 1e-10 });
    assert.equal(m.link, 'logistic');
    close(m.coef[0]!, [0.9106021589208001, 0.01698575665331465], 1e-8, 'coef');
    close(m.intercept, [-0.09159291536251264], 1e-8, 'intercept');
  });

  it('should reach the multinomial optimum (intercepts up to a common shift)', () => {
    const data = fromRows(XL, [0, 1, 2, 0, 1, 2, 2, 1], 'classification', 3);
    const m = node(data, { C: 2, tol: 1e-10 });
    assert.equal(m.link, 'softmax');
    const expected = [
      [0.06320923305960895, -0.11030089756065181],
      [0.9013028890859445, -0.6192436142178225],
      [-0.9645121221455535, 0.7295445117784743],
    ];
    expected.forEach((row, k) => close(m.coef[k]!, row, 1e-8, `coef[${k}]`));
    const mean = (m.intercept[0]! + m.intercept[1]! + m.intercept[2]!) / 3;
    close(
      m.intercept.map((b) => b - mean),
      [-0.02980397303228638, -0.0717071464840228, 0.10151111951630919],
      1e-8,
      'intercept',
    );
  });

  it('should separate separable classes and stay near the Bayes rate on overlapping ones', () => {
    const sep = [
      [-4, 0],
      [4, 0],
    ];
    const train = blobs(seededRng(1), 200, sep, 0.5);
    const test = blobs(seededRng(2), 500, sep, 0.5);
    const model = linear.fit(train, linear.defaults('classification', train.n, train.p), seededRng(1));
    assert.ok(accuracy(model.predict(test.x, test.n), test.y, 2) >= 0.99);

    // Centres ±1 with unit spread: the Bayes accuracy is Φ(1) ≈ 0.841.
    const overlap = [
      [-1, 0],
      [1, 0],
    ];
    const t2 = blobs(seededRng(3), 500, overlap, 1);
    const h2 = blobs(seededRng(4), 2000, overlap, 1);
    const acc = accuracy(linear.fit(t2, {}, seededRng(1)).predict(h2.x, h2.n), h2.y, 2);
    assert.ok(acc > 0.81 && acc < 0.87, `accuracy ${acc}`);

    const three = [
      [0, 0],
      [5, 0],
      [2.5, 4.3],
    ];
    const t3 = blobs(seededRng(5), 200, three, 1);
    const h3 = blobs(seededRng(6), 500, three, 1);
    const p3 = linear.fit(t3, {}, seededRng(1)).predict(h3.x, h3.n);
    assert.equal(p3.length, h3.n * 3);
    assert.ok(accuracy(p3, h3.y, 3) > 0.95);
  });

  it('should handle one row per class, constant features, absent classes and p > n without NaN', () => {
    const one = fromRows(
      [
        [1, 5],
        [2, 5],
      ],
      [0, 1],
      'classification',
      2,
    );
    const m1 = linear.fit(one, {}, seededRng(1));
    assert.ok(allFinite(m1.predict(one.x, one.n)));
    const three = fromRows([[0], [1], [2]], [0, 1, 2], 'classification', 4); // class 3 never seen
    const p3 = linear.fit(three, {}, seededRng(1)).predict(three.x, 3);
    assert.ok(allFinite(p3));
    for (let i = 0; i < 3; i++) assert.ok(p3[i * 4 + 3]! < 0.05, 'an unseen class gets little probability');
    const wide = blobs(seededRng(7), 3, [Array(50).fill(0), Array(50).fill(1)], 1);
    assert.ok(allFinite(linear.fit(wide, { C: 1e6 }, seededRng(1)).predict(wide.x, wide.n)));
  });

  it('should rank features by |coef| and ignore a noise feature', () => {
    const train = blobs(seededRng(8), 300, [
      [-2, 0],
      [2, 0],
    ], 1);
    const imp = linear.fit(train, {}, seededRng(1)).featureImportance!();
    assert.ok(imp[0]! > 10 * imp[1]!, `importance ${[...imp]}`);
  });
});

describe('linear (contract)', () => {
  it('should be scored identically by the SDK scorer on 1,000 rows', () => {
    const reg = linearSet(seededRng(20), 1000, [1.5, -2, 0.3, 0, 4, -0.7], 3, 1);
    const cls2 = blobs(seededRng(21), 500, [
      [0, 0, 1],
      [1, 1, 0],
    ], 1);
    const cls4 = blobs(seededRng(22), 250, [
      [0, 0],
      [2, 0],
      [0, 2],
      [2, 2],
    ], 0.8);
    for (const data of [reg, cls2, cls4]) {
      const model = linear.fit(data, {}, seededRng(1));
      const mine = model.predict(data.x, data.n);
      const node = JSON.parse(JSON.stringify(model.toNode())) as LinearNode;
      const sdk = scoreNode(node, data.x, data.n, data.p);
      assert.equal(sdk.length, mine.length);
      assert.ok(maxRelDiff(mine, sdk) <= 1e-9, `${data.task}: ${maxRelDiff(mine, sdk)}`);
    }
  });

  it('should fit the same model twice from the same data', () => {
    const data = blobs(seededRng(9), 100, [
      [0, 0],
      [1, 1],
      [2, 0],
    ], 1);
    assert.deepEqual(linear.fit(data, {}, seededRng(1)).toNode(), linear.fit(data, {}, seededRng(2)).toNode());
  });

  it('should sample parameters deterministically and reject bad ones with ml errors', () => {
    assert.deepEqual(linear.sample('regression', 10, 2, seededRng(5)), linear.sample('regression', 10, 2, seededRng(5)));
    const c = linear.sample('classification', 10, 2, seededRng(5)).C as number;
    assert.ok(c >= 1e-3 && c <= 1e2);
    const data = fromRows(X6, Y6, 'regression');
    assert.throws(() => linear.fit(data, { alpha: -1 }, seededRng(1)), (e: unknown) => e instanceof MlError && e.code === 'ml.bad_option');
    assert.throws(() => linear.fit(data, { solver: 'qr' }, seededRng(1)), (e: unknown) => e instanceof MlError && e.code === 'ml.bad_option');
    assert.throws(() => linear.fit(fromRows([], [], 'regression'), {}, seededRng(1)), (e: unknown) => e instanceof MlError && e.code === 'ml.no_rows');
    const nan = { ...data, x: data.x.map((v, i) => (i === 3 ? NaN : v)) };
    assert.throws(() => linear.fit(nan, {}, seededRng(1)), (e: unknown) => e instanceof MlError && e.code === 'ml.input_invalid');
    const badLabel = fromRows(XL, [0, 1, 2, 0, 1, 0, 1, 0], 'classification', 2);
    assert.throws(() => linear.fit(badLabel, {}, seededRng(1)), (e: unknown) => e instanceof MlError && e.code === 'ml.bad_target');
  });
});
