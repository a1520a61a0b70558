import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TreesNode } from '@ade/sdk';
import type { Estimator, Params, TrainSet } from '../../estimator.js';
import { MlError } from '../../ml-error.js';
import { seededRng } from '../../rng.js';
import { accuracy, assertScoresExactly, bandsSet, linearSet, r2, xorSet } from './tree-sets.js';

/** The behaviour random forests and extra trees share, run against either. */
export function describeForest(estimator: Estimator): void {
  const fit = (data: TrainSet, params = estimator.defaults(data.task, data.n, data.p), seed = 1, deadline?: number) =>
    estimator.fit(data, params, seededRng(seed), deadline);

  describe(`${estimator.family} (shared forest behaviour)`, () => {
    it('should learn XOR and a noisy linear target on held-out rows', () => {
      const xor = fit(xorSet(seededRng(1), 1500), { ...estimator.defaults('classification', 1500, 4), n_estimators: 30 });
      const xorTest = xorSet(seededRng(2), 1000);
      assert.ok(accuracy(xor.predict(xorTest.x, xorTest.n), xorTest.y, 2) > 0.93);

      const lin = fit(linearSet(seededRng(3), 1500), { ...estimator.defaults('regression', 1500, 5), n_estimators: 30 });
      const linTest = linearSet(seededRng(4), 1000);
      const score = r2(lin.predict(linTest.x, linTest.n), linTest.y);
      assert.ok(score > 0.9, `R² ${score}`);
      const importance = lin.featureImportance!();
      assert.ok(importance[0]! > importance[1]! && importance[1]! > importance[2]! && importance[2]! > 3 * importance[3]!, `importance ${importance}`);
    });

    it('should average class probabilities that sum to 1', () => {
      const data = bandsSet(seededRng(5), 600);
      const model = fit(data, { ...estimator.defaults('classification', 600, 3), n_estimators: 20 });
      const test = bandsSet(seededRng(6), 300);
      const prob = model.predict(test.x, test.n);
      assert.equal(prob.length, 900);
      for (let i = 0; i < 300; i++) {
        const s = prob[3 * i]! + prob[3 * i + 1]! + prob[3 * i + 2]!;
        assert.ok(Math.abs(s - 1) < 1e-12, `row ${i} sums to ${s}`);
      }
      assert.ok(accuracy(prob, test.y, 3) > 0.95);
      const node = model.toNode() as TreesNode;
      assert.deepEqual([node.link, node.aggregate, node.base, node.trees.length], ['probabilities', 'mean', [0, 0, 0], 20]);
    });

    it('should be deterministic for a seed and reproduced exactly by scoreNode', () => {
      for (const data of [xorSet(seededRng(7), 500), bandsSet(seededRng(7), 500), linearSet(seededRng(7), 500)]) {
        const params = { ...estimator.defaults(data.task, 500, data.p), n_estimators: 10 };
        const a = JSON.stringify(fit(data, params, 3).toNode());
        assert.equal(JSON.stringify(fit(data, params, 3).toNode()), a);
        assert.notEqual(JSON.stringify(fit(data, params, 4).toNode()), a);
        const test = data.task === 'regression' ? linearSet(seededRng(8), 1000) : data.classes === 3 ? bandsSet(seededRng(8), 1000) : xorSet(seededRng(8), 1000);
        assertScoresExactly(fit(data, params, 3), test);
      }
    });

    it('should stop adding trees at the deadline and still return a model', () => {
      const data = linearSet(seededRng(9), 300);
      const model = fit(data, { ...estimator.defaults('regression', 300, 5), n_estimators: 50 }, 1, performance.now() - 1);
      assert.equal((model.toNode() as TreesNode).trees.length, 1);
      assert.ok(r2(model.predict(data.x, data.n), data.y) > 0.5);
    });

    it('should handle a single feature, constant features and row weights', () => {
      const x = Float64Array.from({ length: 200 }, (_, i) => i);
      const y = Float64Array.from({ length: 200 }, (_, i) => (i < 120 ? 0 : 1));
      const one = fit({ x, y, n: 200, p: 1, task: 'classification', classes: 2 }, { ...estimator.defaults('classification', 200, 1), n_estimators: 10 });
      const prob = one.predict(Float64Array.of(10, 190), 2);
      assert.ok(prob[0]! > 0.9 && prob[3]! > 0.9, `probabilities ${prob}`);

      const noBootstrap = { ...estimator.defaults('regression', 200, 2), bootstrap: false };
      const constant = fit({ x: new Float64Array(400).fill(1), y: Float64Array.from({ length: 200 }, (_, i) => i % 4), n: 200, p: 2, task: 'regression' }, noBootstrap);
      assert.deepEqual(Array.from(constant.predict(Float64Array.of(1, 1, 5, -5), 2)), [1.5, 1.5]);

      // weight 0 rows are ignored
      const weights = Float64Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 1 : 0));
      const yw = Float64Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 5 : 100));
      const weighted = fit({ x: new Float64Array(200).fill(1), y: yw, n: 200, p: 1, task: 'regression', weights }, noBootstrap);
      assert.deepEqual(Array.from(weighted.predict(Float64Array.of(1), 1)), [5]);
      // one weighted row: bootstrap draws that miss it still give a tree on it
      const single = Float64Array.from({ length: 200 }, (_, i) => (i === 7 ? 1 : 0));
      const lone = fit({ x: Float64Array.from({ length: 200 }, (_, i) => i), y: yw, n: 200, p: 1, task: 'regression', weights: single }, { ...estimator.defaults('regression', 200, 1), n_estimators: 10, bootstrap: true });
      assert.deepEqual(Array.from(lone.predict(Float64Array.of(3, 150), 2)), [100, 100]);
    });

    it('should reject bad parameters with MlError and sample parameters the fit accepts', () => {
      const data = xorSet(seededRng(10), 200);
      const bads: Params[] = [{ max_features: 'half' }, { max_features: 0 }, { n_estimators: 0 }, { bootstrap: 'yes' }, { max_leaf_nodes: 1 }];
      for (const bad of bads) {
        assert.throws(() => fit(data, bad), (e: unknown) => e instanceof MlError && e.code === 'ml.bad_option', JSON.stringify(bad));
      }
      const rng = seededRng(11);
      for (let i = 0; i < 5; i++) fit(data, { ...estimator.sample('classification', 200, 4, rng), n_estimators: 5 }, i);
    });
  });
}
