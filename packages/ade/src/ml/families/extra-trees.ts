import type { Estimator, Params, Rng, Task } from '../estimator.js';
import { fitForest } from './forest.js';
import { pick } from './pick.js';

/**
 * Extremely randomised trees (scikit-learn's defaults): 100 trees on all the
 * rows, each tried feature cut at one random point of its range in the node
 * (the best of those cuts wins), √p features per split for classification and
 * all for regression. Same parameters as `randomForest` (`bootstrap` off by
 * default). At `deadline` it stops adding trees.
 *
 * @example
 * const model = extraTrees.fit(data, extraTrees.defaults('classification', n, p), seededRng(1));
 */
export const extraTrees: Estimator = {
  family: 'extra_trees',
  wantsScaled: false,
  costRank: 3,
  defaults(task: Task): Params {
    return { n_estimators: 100, max_features: task === 'classification' ? 'sqrt' : 1, min_samples_leaf: 1, max_depth: 0, bootstrap: false };
  },
  sample(task: Task, n: number, _p: number, rng: Rng): Params {
    return {
      n_estimators: pick(rng, [100, 150, 200]),
      max_features: task === 'classification' ? pick(rng, ['sqrt', 'log2', 0.33, 0.5, 0.75, 1]) : pick(rng, [1, 0.5, 0.75, 'sqrt']),
      min_samples_leaf: Math.min(pick(rng, [1, 1, 2, 3, 5]), Math.max(1, Math.floor(n / 4))),
      max_depth: pick(rng, [0, 0, 0, 12, 20]),
      bootstrap: pick(rng, [false, false, true]),
    };
  },
  fit(data, params, rng, deadline) {
    return fitForest(data, params, rng, deadline, { family: 'extra_trees', defaultTrees: 100, bootstrap: false, randomThresholds: true });
  },
};
