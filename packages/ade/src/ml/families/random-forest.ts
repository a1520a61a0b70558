import type { Estimator, Params, Rng, Task } from '../estimator.js';
import { fitForest } from './forest.js';
import { pick } from './pick.js';

/**
 * A random forest (scikit-learn's defaults): 100 trees on bootstrap samples,
 * √p features tried per split for classification and all of them for
 * regression, grown until pure; class probabilities averaged. Parameters:
 * `n_estimators`, `max_features` (`sqrt`, `log2` or a fraction), `max_depth`
 * (0 = none), `min_samples_leaf`, `max_leaf_nodes` (0 = none), `bootstrap`.
 * At `deadline` it stops adding trees.
 *
 * @example
 * const model = randomForest.fit(data, randomForest.defaults('regression', n, p), seededRng(1));
 */
export const randomForest: Estimator = {
  family: 'random_forest',
  wantsScaled: false,
  costRank: 4,
  defaults(task: Task): Params {
    return { n_estimators: 100, max_features: task === 'classification' ? 'sqrt' : 1, min_samples_leaf: 1, max_depth: 0, bootstrap: true };
  },
  sample(task: Task, n: number, _p: number, rng: Rng): Params {
    return {
      n_estimators: pick(rng, [100, 150, 200]),
      max_features: task === 'classification' ? pick(rng, ['sqrt', 'log2', 0.2, 0.33, 0.5, 0.75, 1]) : pick(rng, [1, 0.33, 0.5, 0.75, 'sqrt']),
      min_samples_leaf: Math.min(pick(rng, [1, 1, 2, 3, 5, 10]), Math.max(1, Math.floor(n / 4))),
      max_depth: pick(rng, [0, 0, 0, 8, 16]),
      bootstrap: pick(rng, [true, true, false]),
    };
  },
  fit(data, params, rng, deadline) {
    return fitForest(data, params, rng, deadline, { family: 'random_forest', defaultTrees: 100, bootstrap: true, randomThresholds: false });
  },
};
