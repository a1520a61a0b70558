import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scoreNode, type MlpNode } from '@ade/sdk';
import type { TrainSet } from '../estimator.js';
import { MlError } from '../ml-error.js';
import { seededRng } from '../rng.js';
import { linear } from './linear.js';
import { mlp } from './mlp.js';
import { accuracy, allFinite, blobs, fromRows, maxRelDiff, normal, r2 } from './test-support/dense-sets.js';

/** XOR: class = sign(x0) ≠ sign(x1), with a margin; no linear model beats chance. */
function xor(seed: number, n: number): TrainSet {
  const rng = seededRng(seed);
  const x = new Float64Array(n * 2);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = (rng.next() < 0.5 ? -1 : 1) * (0.3 + rng.next());
    const b = (rng.next() < 0.5 ? -1 : 1) * (0.3 + rng.next());
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = a > 0 !== b > 0 ? 1 : 0;
  }
  return { x, n, p: 2, y, task: 'classification', classes: 2 };
}

/** y = scale·(sin(2·x0) + x1²) + shift + noise. */
function curve(seed: number, n: number, scale: number, shift: number): TrainSet {
  const rng = seededRng(seed);
  const x = new Float64Array(n * 3);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) x[3 * i + j] = normal(rng);
    y[i] = scale * (Math.sin(2 * x[3 * i]!) + x[3 * i + 1]! ** 2 + 0.05 * normal(rng)) + shift;
  }
  return { x, n, p: 3, y, task: 'regression' };
}

describe('mlp', () => {
  it('should learn XOR, which a linear model cannot', () => {
    const train = xor(1, 600);
    const test = xor(2, 1000);
    const model = mlp.fit(train, { ...mlp.defaults('classification', train.n, train.p), learningRate: 0.01 }, seededRng(1));
    const acc = accuracy(model.predict(test.x, test.n), test.y, 2);
    assert.ok(acc > 0.97, `mlp accuracy ${acc}`);
    const lin = accuracy(linear.fit(train, {}, seededRng(1)).predict(test.x, test.n), test.y, 2);
    assert.ok(lin < 0.65, `linear accuracy ${lin}`);
  });

  it('should fit a nonlinear regression whatever the target scale', () => {
    for (const [scale, shift] of [
      [1, 0],
      [2000, 50_000],
    ] as const) {
      const train = curve(3, 1500, scale, shift);
      const test = curve(4, 500, scale, shift);
      const model = mlp.fit(train, { hidden1: 64, learningRate: 0.01 }, seededRng(1));
      const score = r2(model.predict(test.x, test.n), test.y);
      assert.ok(score > 0.9, `scale ${scale}: R² ${score}`);
    }
  });

  it('should separate three classes with softmax and two hidden layers', () => {
    const centres = [
      [0, 0],
      [4, 0],
      [2, 3.5],
    ];
    const train = blobs(seededRng(5), 200, centres, 1);
    const test = blobs(seededRng(6), 300, centres, 1);
    const model = mlp.fit(train, { hidden1: 32, hidden2: 16, activation: 'tanh' }, seededRng(1));
    const pred = model.predict(test.x, test.n);
    assert.equal(pred.length, test.n * 3);
    assert.ok(accuracy(pred, test.y, 3) > 0.93);
    assert.equal((model.toNode() as MlpNode).layers.length, 3);
    assert.equal((model.toNode() as MlpNode).link, 'softmax');
  });

  it('should memorise a small random labelling (backpropagation through two layers works)', () => {
    const rng = seededRng(9);
    const n = 24;
    const rows = Array.from({ length: n }, () => [normal(rng), normal(rng), normal(rng)]);
    const data = fromRows(rows, Array.from({ length: n }, (_, i) => i % 3), 'classification', 3);
    for (const activation of ['relu', 'tanh']) {
      const model = mlp.fit(data, { hidden1: 32, hidden2: 32, activation, alpha: 0, learningRate: 0.01, batchSize: 8, maxEpochs: 600, patience: 600, validationFraction: 0 }, seededRng(2));
      assert.equal(accuracy(model.predict(data.x, n), data.y, 3), 1, activation);
    }
  });

  it('should give the same model for the same seed and a different one for another', () => {
    const data = xor(7, 200);
    const a = mlp.fit(data, { hidden1: 8, maxEpochs: 20 }, seededRng(11)).toNode();
    assert.deepEqual(mlp.fit(data, { hidden1: 8, maxEpochs: 20 }, seededRng(11)).toNode(), a);
    assert.notDeepEqual(mlp.fit(data, { hidden1: 8, maxEpochs: 20 }, seededRng(12)).toNode(), a);
  });

  it('should return a usable model when the deadline has already passed', () => {
    const data = curve(8, 300, 10, 100);
    const model = mlp.fit(data, {}, seededRng(1), performance.now() - 1);
    const pred = model.predict(data.x, data.n);
    assert.ok(allFinite(pred));
    const mean = data.y.reduce((a, b) => a + b, 0) / data.n;
    assert.ok(Math.abs(pred[0]! - mean) < 100, 'the output scale is the target scale');
  });

  it('should handle one row per class, constant features and target, and p > n without NaN', () => {
    const one = fromRows([[1, 5], [2, 5]], [0, 1], 'classification', 2);
    assert.ok(allFinite(mlp.fit(one, {}, seededRng(1)).predict(one.x, 2)));
    const flat = fromRows([[3, 3], [3, 3], [3, 3]], [7, 7, 7], 'regression');
    const pf = mlp.fit(flat, {}, seededRng(1)).predict(flat.x, 3);
    assert.ok(allFinite(pf) && Math.abs(pf[0]! - 7) < 0.5, `constant target: ${pf[0]}`);
    const wide = blobs(seededRng(8), 3, [Array(60).fill(0), Array(60).fill(1)], 1);
    assert.ok(allFinite(mlp.fit(wide, { hidden2: 8 }, seededRng(1)).predict(wide.x, wide.n)));
    assert.throws(() => mlp.fit(flat, { activation: 'sigmoid' }, seededRng(1)), (e: unknown) => e instanceof MlError && e.code === 'ml.bad_option');
    assert.throws(() => mlp.fit(flat, { hidden1: 0 }, seededRng(1)), (e: unknown) => e instanceof MlError && e.code === 'ml.bad_option');
  });

  it('should be scored identically by the SDK scorer on 1,000 rows', () => {
    const reg = curve(20, 1000, 50, 10);
    const bin = xor(21, 1000);
    const multi = blobs(seededRng(22), 334, [
      [0, 0],
      [3, 0],
      [0, 3],
    ], 1);
    const cases: [TrainSet, Record<string, number | string>][] = [
      [reg, { hidden1: 16, maxEpochs: 15 }],
      [reg, { hidden1: 16, hidden2: 8, activation: 'tanh', maxEpochs: 15 }],
      [bin, { hidden1: 16, hidden2: 8, maxEpochs: 15 }],
      [multi, { hidden1: 16, activation: 'tanh', maxEpochs: 15 }],
    ];
    for (const [data, params] of cases) {
      const model = mlp.fit(data, params, seededRng(1));
      const mine = model.predict(data.x, data.n);
      const node = JSON.parse(JSON.stringify(model.toNode())) as MlpNode;
      const sdk = scoreNode(node, data.x, data.n, data.p);
      assert.ok(maxRelDiff(mine, sdk) <= 1e-9, `${data.task} ${JSON.stringify(params)}: ${maxRelDiff(mine, sdk)}`);
    }
  });

  it('should sample parameters deterministically', () => {
    assert.deepEqual(mlp.sample('regression', 100, 3, seededRng(4)), mlp.sample('regression', 100, 3, seededRng(4)));
    assert.notDeepEqual(mlp.sample('regression', 100, 3, seededRng(4)), mlp.sample('regression', 100, 3, seededRng(5)));
  });
});
