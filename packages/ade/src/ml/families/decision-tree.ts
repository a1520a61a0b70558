import type { Estimator, Params, Rng, Task } from '../estimator.js';
import { fitForest } from './forest.js';
import { pick } from './pick.js';

/**
 * One CART tree (scikit-learn's DecisionTree defaults: every feature, best
 * split, grown until pure). Parameters: `max_depth` (0 = none),
 * `min_samples_leaf`, `max_leaf_nodes` (0 = none; else grown best-first).
 *
 * @example
 * const model = decisionTree.fit(data, decisionTree.defaults('classification', n, p), seededRng(1));
 */
export const decisionTree: Estimator = {
  family: 'tree',
  wantsScaled: false,
  costRank: 1,
  defaults(): Params {
    return { max_depth: 0, min_samples_leaf: 1, max_leaf_nodes: 0 };
  },
  sample(_task: Task, n: number, _p: number, rng: Rng): Params {
    return {
      max_depth: pick(rng, [0, 3, 4, 6, 8, 12, 20]),
      min_samples_leaf: Math.min(pick(rng, [1, 2, 4, 8, 16, 32]), Math.max(1, Math.floor(n / 4))),
      max_leaf_nodes: pick(rng, [0, 0, 16, 64, 256]),
    };
  },
  fit(data, params, rng, deadline) {
    return fitForest(data, { ...params, n_estimators: 1, max_features: 1, bootstrap: false }, rng, deadline, {
      family: 'tree',
      defaultTrees: 1,
      bootstrap: false,
      randomThresholds: false,
    });
  },
};
