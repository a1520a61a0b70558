import type { Estimator } from '../estimator.js';
import { decisionTree } from './decision-tree.js';
import { extraTrees } from './extra-trees.js';
import { gbt } from './gbt.js';
import { knn } from './knn.js';
import { linear } from './linear.js';
import { mlp } from './mlp.js';
import { randomForest } from './random-forest.js';

export { decisionTree, extraTrees, gbt, knn, linear, mlp, randomForest };

/**
 * Every built-in model family, in no particular order: the AutoML search
 * sorts them by `costRank` (cheapest first) and `--families` picks among
 * them by `family` name.
 *
 * @example
 * ESTIMATORS.map((e) => e.family); // ['linear', 'knn', 'mlp', 'tree', 'random_forest', 'extra_trees', 'gbt']
 */
export const ESTIMATORS: readonly Estimator[] = [linear, knn, mlp, decisionTree, randomForest, extraTrees, gbt];
