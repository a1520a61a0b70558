import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TreesNode } from '@ade/sdk';
import { seededRng } from '../rng.js';
import { randomForest } from './random-forest.js';
import { describeForest } from './test-support/forest-suite.js';
import { linearSet } from './test-support/tree-sets.js';

describeForest(randomForest);

describe('randomForest', () => {
  it('should default to scikit-learn settings: √p features for classes, all for regression, bootstrap', () => {
    assert.deepEqual(randomForest.defaults('classification', 100, 9), { n_estimators: 100, max_features: 'sqrt', min_samples_leaf: 1, max_depth: 0, bootstrap: true });
    assert.equal(randomForest.defaults('regression', 100, 9).max_features, 1);
  });

  it('should grow different trees on bootstrap samples, and fully grown trees without them', () => {
    const data = linearSet(seededRng(1), 300, 3, 0);
    const bagged = randomForest.fit(data, { n_estimators: 3 }, seededRng(2)).toNode() as TreesNode;
    const [a, b] = bagged.trees;
    assert.notDeepEqual(a, b);
    // without bootstrap and with all features, every tree is the same fully grown tree: training rows predicted exactly
    const plain = randomForest.fit(data, { n_estimators: 3, bootstrap: false }, seededRng(2));
    const node = plain.toNode() as TreesNode;
    assert.deepEqual(node.trees[0], node.trees[2]);
    const pred = plain.predict(data.x, data.n);
    for (let i = 0; i < data.n; i++) assert.ok(Math.abs(pred[i]! - data.y[i]!) < 1e-12);
  });
});
