import type { Params, Rng, TrainSet } from '../estimator.js';
import { MlError } from '../ml-error.js';
import { deriveRng } from '../rng.js';
import { MAX_BINS, applyBins, fitBinEdges } from './binning.js';
import { type GrowOptions, type GrowTarget, TreeGrower } from './cart.js';
import { checkTrainSet } from './check-train-set.js';
import { readNumber } from './read-param.js';
import { type FittedTree, TreeEnsemble, fittedTree } from './tree-ensemble.js';

/** How a family grows its trees (the parts its parameters do not set). */
export interface ForestKind {
  readonly family: string;
  /** Trees to grow when the parameters do not say (`n_estimators`). */
  readonly defaultTrees: number;
  /** Draw each tree's rows with replacement (when the `bootstrap` parameter is absent). */
  readonly bootstrap: boolean;
  readonly randomThresholds: boolean;
}

/**
 * Fits a bagged forest (or one tree) of histogram CART trees: class
 * frequencies (Gini) for classification, mean (variance) for regression,
 * averaged over the trees. Parameters (scikit-learn's names): `n_estimators`,
 * `max_features` (`sqrt`, `log2`, or a fraction of the features), `max_depth`
 * (0 = none), `min_samples_leaf`, `max_leaf_nodes` (0 = none), `bootstrap`,
 * `max_bins`. Stops adding trees at `deadline` (keeping at least one).
 *
 * @example
 * const model = fitForest(data, { n_estimators: 100, max_features: 'sqrt' }, rng, undefined, kind);
 */
export function fitForest(data: TrainSet, params: Params, rng: Rng, deadline: number | undefined, kind: ForestKind): TreeEnsemble {
  const { family } = kind;
  const { outputs, weights } = checkTrainSet(data, family);
  const { n, p, x, y } = data;
  const trees = readNumber(params, 'n_estimators', kind.defaultTrees, { min: 1, max: 10_000, integer: true }, family);
  const maxDepth = readNumber(params, 'max_depth', 0, { min: 0, max: 1000, integer: true }, family);
  const minSamplesLeaf = readNumber(params, 'min_samples_leaf', 1, { min: 1, integer: true }, family);
  const maxLeafNodes = readNumber(params, 'max_leaf_nodes', 0, { min: 0, integer: true }, family);
  const maxBins = readNumber(params, 'max_bins', MAX_BINS, { min: 2, max: MAX_BINS, integer: true }, family);
  const bootstrap = readBoolean(params, 'bootstrap', kind.bootstrap, family);
  const maxFeatures = featuresPerSplit(params['max_features'] ?? 1, p, family);
  if (maxLeafNodes === 1) throw new MlError('ml.bad_option', `${family}: max_leaf_nodes must be 0 (no limit) or at least 2`, { hint: 'Set max_leaf_nodes to 0 or ≥ 2.' });
  const classification = data.task === 'classification';
  const K = classification ? outputs : 1;
  if (K > 65_535) {
    throw new MlError('ml.bad_target', `${family}: ${K} classes are more than a forest handles (65,535)`, { hint: 'Group rare classes, or train a regression.' });
  }

  const binned = applyBins(fitBinEdges(x, n, p, maxBins, rng), x, n);
  const grower = new TreeGrower(binned, classification ? K : 1);
  const options: GrowOptions = {
    maxDepth: maxDepth === 0 ? Infinity : maxDepth,
    minSamplesLeaf,
    maxLeafNodes: maxLeafNodes === 0 ? Infinity : maxLeafNodes,
    minHessian: 0,
    l2: 0,
    maxFeatures,
    randomThresholds: kind.randomThresholds,
  };
  // regression trees fit y − ȳ: the split scores stay well conditioned when y sits far from 0
  let mean = 0;
  if (!classification) {
    let sw = 0;
    for (let i = 0; i < n; i++) {
      mean += weights[i]! * y[i]!;
      sw += weights[i]!;
    }
    mean /= sw;
  }
  const label = new Uint16Array(classification ? n : 0);
  for (let i = 0; i < label.length; i++) label[i] = y[i]!;
  const w = new Float64Array(n);
  const grad = new Float64Array(classification ? 0 : n);
  const counts = new Int32Array(n);
  const importance = new Float64Array(p);
  const fitted: FittedTree[] = [];
  for (let t = 0; t < trees; t++) {
    if (t > 0 && deadline !== undefined && performance.now() > deadline) break;
    const treeRng = deriveRng(rng);
    counts.fill(bootstrap ? 0 : 1);
    if (bootstrap) for (let i = 0; i < n; i++) counts[treeRng.int(n)]!++;
    let m = 0;
    for (let i = 0; i < n; i++) {
      w[i] = counts[i]! * weights[i]!;
      if (w[i]! > 0) m++;
    }
    if (m === 0) {
      // the draw hit only rows of weight 0: this tree takes every weighted row once
      for (let i = 0; i < n; i++) {
        w[i] = weights[i]!;
        if (w[i]! > 0) m++;
      }
    }
    const rows = new Int32Array(m);
    for (let i = 0, j = 0; i < n; i++) if (w[i]! > 0) rows[j++] = i;
    let target: GrowTarget;
    if (classification) target = { kind: 'classes', classes: K, label, weight: w };
    else {
      let unit = true;
      for (let i = 0; i < n; i++) {
        grad[i] = w[i]! * (y[i]! - mean);
        unit &&= w[i] === 1;
      }
      target = unit ? { kind: 'gradient', grad, hess: w, hessConstant: 1 } : { kind: 'gradient', grad, hess: w };
    }
    const grown = grower.grow(rows, target, options, treeRng, importance);
    fitted.push(
      fittedTree(grown, K, -1, (sums, o, out, at, leaf) => {
        if (classification) {
          const h = sums[o + K]!;
          for (let k = 0; k < K; k++) out[at + k] = sums[o + k]! / h;
        } else {
          // the leaf's weighted mean, from its rows (exact for a pure leaf)
          let sy = 0;
          let sw = 0;
          for (let i = grown.start[leaf]!; i < grown.end[leaf]!; i++) {
            const r = rows[i]!;
            sy += w[r]! * y[r]!;
            sw += w[r]!;
          }
          out[at] = sy / sw;
        }
      }),
    );
  }
  return new TreeEnsemble({
    outputs: K,
    link: classification ? 'probabilities' : 'identity',
    aggregate: 'mean',
    base: new Float64Array(K),
    trees: fitted,
    p,
    importance,
  });
}

/** `max_features` → a count in [1, p]: `sqrt`, `log2`, or a fraction in (0, 1]. */
export function featuresPerSplit(value: number | string | boolean, p: number, family: string): number {
  const all = Math.max(1, p);
  if (value === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(all)));
  if (value === 'log2') return Math.max(1, Math.floor(Math.log2(all)));
  if (typeof value === 'number' && value > 0 && value <= 1) return Math.max(1, Math.floor(value * all));
  throw new MlError('ml.bad_option', `${family}: max_features = ${JSON.stringify(value)} is not sqrt, log2 or a fraction in (0, 1]`, {
    hint: 'Set max_features to "sqrt", "log2" or a number such as 0.5.',
    details: { parameter: 'max_features', value },
  });
}

function readBoolean(params: Params, name: string, fallback: boolean, family: string): boolean {
  const v = params[name] ?? fallback;
  if (typeof v !== 'boolean') {
    throw new MlError('ml.bad_option', `${family}: parameter ${name} = ${JSON.stringify(v)} is not true or false`, { hint: `Set ${name} to true or false.` });
  }
  return v;
}
