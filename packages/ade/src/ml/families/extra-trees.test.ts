import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TreesNode } from '@ade/sdk';
import { seededRng } from '../rng.js';
import { extraTrees } from './extra-trees.js';
import { describeForest } from './test-support/forest-suite.js';
import { linearSet } from './test-support/tree-sets.js';

describeForest(extraTrees);

describe('extraTrees', () => {
  it('should default to scikit-learn settings: all rows, √p features for classes, all for regression', () => {
    assert.deepEqual(extraTrees.defaults('classification', 100, 9), { n_estimators: 100, max_features: 'sqrt', min_samples_leaf: 1, max_depth: 0, bootstrap: false });
    assert.equal(extraTrees.defaults('regression', 100, 9).max_features, 1);
  });

  it('should grow different trees on the same rows through random cut points', () => {
    const data = linearSet(seededRng(1), 300, 3, 0);
    const node = extraTrees.fit(data, { n_estimators: 3 }, seededRng(2)).toNode() as TreesNode;
    assert.notDeepEqual(node.trees[0]!.threshold, node.trees[1]!.threshold);
    // every tree is grown until pure: each training row is predicted exactly (distinct x, no bootstrap)
    const pred = extraTrees.fit(data, { n_estimators: 3 }, seededRng(2)).predict(data.x, data.n);
    for (let i = 0; i < data.n; i++) assert.ok(Math.abs(pred[i]! - data.y[i]!) < 1e-12);
  });
});
