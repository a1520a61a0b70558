import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TreesNode } from '@ade/sdk';
import type { TrainSet } from '../estimator.js';
import { MlError } from '../ml-error.js';
import { seededRng } from '../rng.js';
import { decisionTree } from './decision-tree.js';
import { accuracy, assertScoresExactly, bandsSet, r2, stepSet, xorSet } from './test-support/tree-sets.js';

describe('decisionTree', () => {
  it('should learn XOR and three bands on held-out rows', () => {
    const train = xorSet(seededRng(1), 2000);
    const test = xorSet(seededRng(2), 1000);
    const model = decisionTree.fit(train, decisionTree.defaults('classification', 2000, 4), seededRng(3));
    assert.ok(accuracy(model.predict(test.x, test.n), test.y, 2) > 0.95);
    const bands = bandsSet(seededRng(4), 1500);
    const bandsTest = bandsSet(seededRng(5), 1000);
    const m3 = decisionTree.fit(bands, { max_depth: 2 }, seededRng(3));
    assert.ok(accuracy(m3.predict(bandsTest.x, bandsTest.n), bandsTest.y, 3) > 0.98);
    const importance = m3.featureImportance!();
    assert.ok(importance[0]! > 100 * (importance[1]! + importance[2]!), `importance ${importance}`);
  });

  it('should fit a step function with one split: leaves are the side means', () => {
    // x on a grid of 0.01 so that no bin straddles the step at 0.25
    const train = stepSet(seededRng(6), 1000);
    for (let i = 0; i < train.x.length; i++) train.x[i] = Math.round(train.x[i]! * 100) / 100;
    for (let i = 0; i < train.n; i++) train.y[i] = train.x[i * 3]! > 0.25 ? 10 : 0;
    const model = decisionTree.fit(train, { max_depth: 1 }, seededRng(1));
    const node = model.toNode() as TreesNode;
    assert.equal(node.trees.length, 1);
    const tree = node.trees[0]!;
    assert.equal(tree.feature[0], 0);
    assert.equal(tree.threshold[0], 0.255);
    assert.deepEqual([tree.value[1], tree.value[2]], [[0], [10]]);
    const test = stepSet(seededRng(7), 500);
    assert.ok(r2(model.predict(test.x, test.n), test.y) > 0.99);
  });

  it('should be reproduced exactly by scoreNode and be deterministic', () => {
    for (const train of [xorSet(seededRng(8), 800), bandsSet(seededRng(8), 800), stepSet(seededRng(8), 800, 3, 2)]) {
      const a = decisionTree.fit(train, decisionTree.defaults(train.task, 800, train.p), seededRng(1));
      const b = decisionTree.fit(train, decisionTree.defaults(train.task, 800, train.p), seededRng(1));
      assert.equal(JSON.stringify(a.toNode()), JSON.stringify(b.toNode()));
      const test = train.task === 'regression' ? stepSet(seededRng(9), 1000, 3, 2) : train.classes === 3 ? bandsSet(seededRng(9), 1000) : xorSet(seededRng(9), 1000);
      assertScoresExactly(a, test);
    }
  });

  it('should honour max_leaf_nodes and min_samples_leaf', () => {
    const train = stepSet(seededRng(10), 1000, 3, 4);
    const node = decisionTree.fit(train, { max_leaf_nodes: 5, min_samples_leaf: 30 }, seededRng(1)).toNode() as TreesNode;
    const tree = node.trees[0]!;
    assert.equal(tree.feature.filter((f) => f < 0).length, 5);
  });

  it('should handle one feature, constant features and a one-class sample', () => {
    const x = Float64Array.from({ length: 50 }, (_, i) => i);
    const y = Float64Array.from({ length: 50 }, (_, i) => (i < 20 ? 0 : 1));
    const one: TrainSet = { x, y, n: 50, p: 1, task: 'classification', classes: 2 };
    const m = decisionTree.fit(one, {}, seededRng(1));
    assert.deepEqual(Array.from(m.predict(Float64Array.of(19, 19.6, 20), 3)), [1, 0, 0, 1, 0, 1]);
    assert.equal((m.toNode() as TreesNode).trees[0]!.threshold[0], 19.5);

    const constant: TrainSet = { x: new Float64Array(100).fill(7), y: Float64Array.from({ length: 50 }, (_, i) => i % 5), n: 50, p: 2, task: 'regression' };
    const c = decisionTree.fit(constant, {}, seededRng(1));
    assert.equal((c.toNode() as TreesNode).trees[0]!.feature.length, 1);
    assert.deepEqual(Array.from(c.predict(Float64Array.of(7, 7, -3, 100), 2)), [2, 2]);

    // a fold may miss a class: it gets probability 0
    const missing: TrainSet = { x, y: new Float64Array(50), n: 50, p: 1, task: 'classification', classes: 3 };
    assert.deepEqual(Array.from(decisionTree.fit(missing, {}, seededRng(1)).predict(Float64Array.of(3), 1)), [1, 0, 0]);
  });

  it('should reject bad parameters and data with MlError', () => {
    const train = xorSet(seededRng(1), 100);
    assert.throws(() => decisionTree.fit(train, { max_depth: -1 }, seededRng(1)), (e: unknown) => e instanceof MlError && e.code === 'ml.bad_option');
    assert.throws(() => decisionTree.fit(train, { min_samples_leaf: 0 }, seededRng(1)), MlError);
    assert.throws(() => decisionTree.fit({ ...train, n: 0, x: new Float64Array(0), y: new Float64Array(0) }, {}, seededRng(1)), (e: unknown) => e instanceof MlError && e.code === 'ml.no_rows');
    const nan = train.x.slice();
    nan[5] = NaN;
    assert.throws(() => decisionTree.fit({ ...train, x: nan }, {}, seededRng(1)), MlError);
  });

  it('should sample parameters the fit accepts', () => {
    const rng = seededRng(2);
    const train = stepSet(seededRng(3), 200, 3, 1);
    for (let i = 0; i < 10; i++) decisionTree.fit(train, decisionTree.sample('regression', 200, 3, rng), seededRng(i));
  });
});
