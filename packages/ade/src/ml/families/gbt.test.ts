import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TreesNode } from '@ade/sdk';
import type { Params, TrainSet } from '../estimator.js';
import { MlError } from '../ml-error.js';
import { seededRng } from '../rng.js';
import { gbt } from './gbt.js';
import { accuracy, assertScoresExactly, bandsSet, linearSet, r2, stepSet, xorSet } from './test-support/tree-sets.js';

const fit = (data: TrainSet, params: Params = {}, seed = 1, deadline?: number) => gbt.fit(data, { ...gbt.defaults(data.task, data.n, data.p), ...params }, seededRng(seed), deadline);
const treesOf = (model: ReturnType<typeof fit>) => model.toNode() as TreesNode;

describe('gbt', () => {
  it('should default to scikit-learn HistGradientBoosting settings', () => {
    assert.deepEqual(gbt.defaults('regression', 1000, 5), { learning_rate: 0.1, max_iter: 100, max_leaf_nodes: 31, min_samples_leaf: 20, l2_regularization: 0, max_depth: 0 });
  });

  it('should fit a noisy linear target (squared error) on held-out rows', () => {
    const model = fit(linearSet(seededRng(1), 2000));
    const test = linearSet(seededRng(2), 1000);
    const score = r2(model.predict(test.x, test.n), test.y);
    assert.ok(score > 0.93, `R² ${score}`);
    const node = treesOf(model);
    assert.deepEqual([node.link, node.aggregate, node.trees.length], ['identity', 'sum', 100]);
    const importance = model.featureImportance!();
    assert.ok(importance[0]! > importance[1]! && importance[1]! > importance[2]! && importance[2]! > 3 * importance[4]!, `importance ${importance}`);
  });

  it('should store leaf values with the learning rate applied: one round on a step is base + rate × (side mean − base)', () => {
    const data = stepSet(seededRng(3), 400);
    for (let i = 0; i < data.x.length; i++) data.x[i] = Math.round(data.x[i]! * 100) / 100;
    for (let i = 0; i < data.n; i++) data.y[i] = data.x[i * 3]! > 0.25 ? 10 : 0;
    let base = 0;
    for (const v of data.y) base += v / data.n;
    const model = fit(data, { max_iter: 1, learning_rate: 0.5, max_leaf_nodes: 2 });
    const node = treesOf(model);
    assert.ok(Math.abs(node.base[0]! - base) < 1e-12);
    const tree = node.trees[0]!;
    assert.equal(tree.threshold[0], 0.255);
    assert.ok(Math.abs(tree.value[1]![0]! - 0.5 * (0 - base)) < 1e-12 && Math.abs(tree.value[2]![0]! - 0.5 * (10 - base)) < 1e-12, `leaves ${tree.value}`);
    const pred = model.predict(Float64Array.of(0, 0, 0, 0.9, 0, 0), 2);
    assert.ok(Math.abs(pred[0]! - base / 2) < 1e-12 && Math.abs(pred[1]! - (base + 0.5 * (10 - base))) < 1e-12);
  });

  it('should learn XOR with the logistic link and three bands with softmax, one tree per class per round', () => {
    const xor = fit(xorSet(seededRng(4), 2000));
    const xorTest = xorSet(seededRng(5), 1000);
    const prob = xor.predict(xorTest.x, xorTest.n);
    assert.equal(prob.length, 2000);
    assert.ok(accuracy(prob, xorTest.y, 2) > 0.93);
    for (let i = 0; i < 1000; i++) assert.equal(prob[2 * i]!, 1 - prob[2 * i + 1]!);
    assert.equal(treesOf(xor).link, 'logistic');

    const bands = fit(bandsSet(seededRng(6), 1500), { max_iter: 30 });
    const bandsTest = bandsSet(seededRng(7), 1000);
    assert.ok(accuracy(bands.predict(bandsTest.x, bandsTest.n), bandsTest.y, 3) > 0.95);
    const node = treesOf(bands);
    assert.deepEqual([node.link, node.trees.length, node.base.length], ['softmax', 90, 3]);
    node.trees.forEach((tree, t) => {
      for (const v of tree.value) v.forEach((x, k) => assert.ok(k === t % 3 || x === 0, `tree ${t} writes only class ${t % 3}`));
    });
  });

  it('should be deterministic for a seed and reproduced exactly by scoreNode for every loss', () => {
    for (const data of [linearSet(seededRng(8), 800), xorSet(seededRng(8), 800), bandsSet(seededRng(8), 800)]) {
      const a = JSON.stringify(fit(data, { max_iter: 20 }, 3).toNode());
      assert.equal(JSON.stringify(fit(data, { max_iter: 20 }, 3).toNode()), a);
      const test = data.task === 'regression' ? linearSet(seededRng(9), 1000) : data.classes === 3 ? bandsSet(seededRng(9), 1000) : xorSet(seededRng(9), 1000);
      assertScoresExactly(fit(data, { max_iter: 20 }, 3), test);
    }
    // weighted rows and l2 go through the same export
    const weighted = { ...xorSet(seededRng(10), 600), weights: Float64Array.from({ length: 600 }, (_, i) => 0.5 + (i % 3)) };
    assertScoresExactly(fit(weighted, { max_iter: 10, l2_regularization: 1 }), xorSet(seededRng(11), 1000));
  });

  it('should stop early on a validation split when the loss stops improving, keeping the best rounds', () => {
    const noise = linearSet(seededRng(12), 3000, 3, 1);
    noise.y.forEach((_, i) => (noise.y[i] = seededRng(i).next())); // a target unrelated to x
    const stopped = treesOf(fit(noise, { early_stopping: 'on', max_iter: 200 })).trees.length;
    assert.ok(stopped < 40, `kept ${stopped} of 200 rounds`);
    // 'auto' holds out rows only above 10,000 rows: here every round is kept
    assert.equal(treesOf(fit(noise, { max_iter: 60 })).trees.length, 60);
    const signal = linearSet(seededRng(13), 3000, 3, 0.1);
    const kept = treesOf(fit(signal, { early_stopping: 'on', max_iter: 60, learning_rate: 0.3 })).trees.length;
    assert.ok(kept > 30, `kept ${kept} of 60 rounds on a learnable target`);
  });

  it('should stop adding rounds at the deadline and still return a model', () => {
    const data = bandsSet(seededRng(14), 500);
    const model = fit(data, { max_iter: 100 }, 1, performance.now() - 1);
    assert.equal(treesOf(model).trees.length, 3);
    assert.ok(accuracy(model.predict(data.x, data.n), data.y, 3) > 0.9);
  });

  it('should shrink leaves with l2 regularisation', () => {
    const data = linearSet(seededRng(15), 500);
    const biggest = (params: Params) => {
      const leaves = treesOf(fit(data, { max_iter: 1, ...params })).trees[0]!.value.filter((v) => v.length > 0);
      return Math.max(...leaves.map((v) => Math.abs(v[0]!)));
    };
    assert.ok(biggest({ l2_regularization: 100 }) < 0.8 * biggest({ l2_regularization: 0 }));
  });

  it('should handle one feature, constant features and a class missing from the sample', () => {
    const x = Float64Array.from({ length: 200 }, (_, i) => i);
    const y = Float64Array.from({ length: 200 }, (_, i) => (i < 120 ? 0 : 1));
    const one = fit({ x, y, n: 200, p: 1, task: 'classification', classes: 2 });
    const prob = one.predict(Float64Array.of(10, 190), 2);
    assert.ok(prob[0]! > 0.95 && prob[3]! > 0.95, `probabilities ${prob}`);

    const constant = fit({ x: new Float64Array(400).fill(1), y: Float64Array.from({ length: 200 }, (_, i) => i % 4), n: 200, p: 2, task: 'regression' });
    assert.ok(treesOf(constant).trees.every((t) => t.feature.length === 1));
    const pred = constant.predict(Float64Array.of(1, 1, 9, 9), 2);
    assert.ok(Math.abs(pred[0]! - 1.5) < 1e-9 && pred[0] === pred[1]);

    const missing = fit({ x, y, n: 200, p: 1, task: 'classification', classes: 3 }, { max_iter: 10 });
    const node = treesOf(missing);
    assert.ok(node.base.every(Number.isFinite));
    const p3 = missing.predict(Float64Array.of(10), 1);
    assert.ok(p3[2]! < 1e-6 && Math.abs(p3[0]! + p3[1]! + p3[2]! - 1) < 1e-12, `probabilities ${p3}`);
  });

  it('should reject bad parameters with MlError and sample parameters the fit accepts', () => {
    const data = xorSet(seededRng(16), 300);
    const bads: Params[] = [{ learning_rate: 0 }, { max_leaf_nodes: 1 }, { early_stopping: 'sometimes' }, { max_iter: 1.5 }];
    for (const bad of bads) assert.throws(() => fit(data, bad), (e: unknown) => e instanceof MlError && e.code === 'ml.bad_option', JSON.stringify(bad));
    const rng = seededRng(17);
    for (let i = 0; i < 5; i++) {
      const params = gbt.sample('classification', 300, 4, rng);
      assert.ok(Number(params['learning_rate']) >= 0.02 && Number(params['learning_rate']) <= 0.3);
      gbt.fit(data, { ...params, max_iter: 5 }, seededRng(i));
    }
  });
});
