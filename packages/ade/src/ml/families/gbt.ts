import type { Estimator, Params, Rng, Task, TrainSet } from '../estimator.js';
import { MlError } from '../ml-error.js';
import { type BinnedData, MAX_BINS, applyBins, fitBinEdges } from './binning.js';
import { type GrowOptions, TreeGrower } from './cart.js';
import { checkTrainSet } from './check-train-set.js';
import { pick } from './pick.js';
import { logUniform, readChoice, readNumber } from './read-param.js';
import { type FittedTree, TreeEnsemble, fittedTree } from './tree-ensemble.js';

/** Rows above which `early_stopping: 'auto'` holds out a validation split (scikit-learn's rule). */
const AUTO_EARLY_STOPPING_ROWS = 10_000;

/** Smallest hessian sum on each side of a split (scikit-learn's `min_hessian_to_split`). */
const MIN_HESSIAN = 1e-3;

/**
 * Histogram gradient-boosted trees, like scikit-learn's
 * HistGradientBoosting: squared error (regression), log-loss with a logistic
 * link (binary) or softmax with one tree per class per round (multiclass);
 * leaves grown best-first. Parameters (scikit-learn's names and defaults):
 * `learning_rate` 0.1, `max_iter` 100, `max_leaf_nodes` 31, `max_depth`
 * (0 = none), `min_samples_leaf` 20, `l2_regularization` 0, `max_bins` 255,
 * `early_stopping` (`auto`: on above 10,000 rows), `validation_fraction` 0.1,
 * `n_iter_no_change` 10, `tol` 1e-7. With early stopping the model keeps the
 * rounds up to the best validation loss. At `deadline` it stops adding rounds.
 *
 * @example
 * const model = gbt.fit(data, gbt.defaults('regression', n, p), seededRng(1));
 * model.toNode(); // leaf values already scaled by the learning rate
 */
export const gbt: Estimator = {
  family: 'gbt',
  wantsScaled: false,
  costRank: 2,
  defaults(): Params {
    return { learning_rate: 0.1, max_iter: 100, max_leaf_nodes: 31, min_samples_leaf: 20, l2_regularization: 0, max_depth: 0 };
  },
  sample(_task: Task, n: number, _p: number, rng: Rng): Params {
    const learningRate = roundTo(logUniform(() => rng.next(), 0.02, 0.3), 3);
    return {
      learning_rate: learningRate,
      max_iter: Math.min(1000, Math.max(50, Math.round(15 / learningRate))),
      max_leaf_nodes: pick(rng, [7, 15, 31, 63]),
      min_samples_leaf: Math.min(pick(rng, [5, 10, 20, 40, 80]), Math.max(1, Math.floor(n / 10))),
      l2_regularization: pick(rng, [0, 0, 0.1, 1, 10]),
      max_depth: pick(rng, [0, 0, 0, 4, 8]),
    };
  },
  fit: fitGbt,
};

type Loss = 'squared_error' | 'binary' | 'multiclass';

function fitGbt(data: TrainSet, params: Params, rng: Rng, deadline?: number): TreeEnsemble {
  const family = 'gbt';
  const { outputs, weights } = checkTrainSet(data, family);
  const { n, p } = data;
  const learningRate = readNumber(params, 'learning_rate', 0.1, { min: 1e-6, max: 10 }, family);
  const maxIter = readNumber(params, 'max_iter', 100, { min: 1, max: 100_000, integer: true }, family);
  const maxLeafNodes = readNumber(params, 'max_leaf_nodes', 31, { min: 2, max: 100_000, integer: true }, family);
  const maxDepth = readNumber(params, 'max_depth', 0, { min: 0, max: 1000, integer: true }, family);
  const minSamplesLeaf = readNumber(params, 'min_samples_leaf', 20, { min: 1, integer: true }, family);
  const l2 = readNumber(params, 'l2_regularization', 0, { min: 0 }, family);
  const maxBins = readNumber(params, 'max_bins', MAX_BINS, { min: 2, max: MAX_BINS, integer: true }, family);
  const earlyStopping = readChoice(params, 'early_stopping', ['auto', 'on', 'off'] as const, 'auto', family);
  const validationFraction = readNumber(params, 'validation_fraction', 0.1, { min: 0.01, max: 0.5 }, family);
  const patience = readNumber(params, 'n_iter_no_change', 10, { min: 1, integer: true }, family);
  const tol = readNumber(params, 'tol', 1e-7, { min: 0 }, family);

  const loss: Loss = data.task === 'regression' ? 'squared_error' : outputs === 2 ? 'binary' : 'multiclass';
  const K = loss === 'multiclass' ? outputs : 1;
  const stop = earlyStopping === 'on' || (earlyStopping === 'auto' && n > AUTO_EARLY_STOPPING_ROWS);
  const { train, valid } = stop ? holdOut(data, validationFraction, rng) : { train: null, valid: null };
  if (stop && (train!.length < 2 || valid!.length < 1)) {
    throw new MlError('ml.bad_option', `gbt: ${n} rows are too few for an early-stopping validation split`, { hint: 'Set early_stopping to "off" or give more rows.' });
  }
  const tr = subset(data, weights, train);
  const va = valid ? subset(data, weights, valid) : null;

  const edges = fitBinEdges(data.x, n, p, maxBins, rng, train ?? undefined);
  const binned = applyBins(edges, data.x, n, train ?? undefined);
  const validBinned = valid ? applyBins(edges, data.x, n, valid) : null;
  const base = baseline(loss, tr.y, tr.w, K, outputs);

  const raw = new Float64Array(tr.n * K);
  for (let i = 0; i < tr.n; i++) raw.set(base, i * K);
  const validRaw = va ? new Float64Array(va.n * K) : null;
  if (va) for (let i = 0; i < va.n; i++) validRaw!.set(base, i * K);

  const grad = new Float64Array(tr.n * K);
  const hess = new Float64Array(tr.n * K);
  const gk = new Float64Array(tr.n);
  const hk = new Float64Array(tr.n);
  const rows = new Int32Array(tr.n);
  const grower = new TreeGrower(binned, 1);
  const options: GrowOptions = {
    maxDepth: maxDepth === 0 ? Infinity : maxDepth,
    minSamplesLeaf,
    maxLeafNodes,
    minHessian: MIN_HESSIAN,
    l2,
    maxFeatures: p,
    randomThresholds: false,
  };
  const importance = new Float64Array(p);
  // squared error with unit weights: every hessian is 1
  const constantHessian = loss === 'squared_error' && tr.w.every((v) => v === 1);
  const trees: FittedTree[] = [];
  const history: number[] = va ? [validLoss(loss, validRaw!, va.y, va.w, K)] : [];
  let bestRounds = 0;
  let bestLoss = history[0] ?? Infinity;
  let bestImportance = importance.slice();
  for (let round = 0; round < maxIter; round++) {
    if (round > 0 && deadline !== undefined && performance.now() > deadline) break;
    gradients(loss, raw, tr.y, tr.w, K, grad, hess);
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < tr.n; i++) {
        gk[i] = grad[i * K + k]!;
        hk[i] = hess[i * K + k]!;
        rows[i] = i;
      }
      const target = constantHessian ? { kind: 'gradient' as const, grad: gk, hess: hk, hessConstant: 1 } : { kind: 'gradient' as const, grad: gk, hess: hk };
      const grown = grower.grow(rows, target, options, rng, importance);
      const tree = fittedTree(grown, 1, loss === 'multiclass' ? k : -1, (sums, o, out, at) => {
        out[at] = learningRate * (-sums[o]! / (sums[o + 1]! + l2));
      });
      trees.push(tree);
      for (let leaf = 0; leaf < grown.nodeCount; leaf++) {
        if (grown.feature[leaf]! >= 0) continue;
        const v = tree.value[leaf]!;
        for (let i = grown.start[leaf]!; i < grown.end[leaf]!; i++) raw[rows[i]! * K + k]! += v;
      }
      if (va) addBinnedTree(grown.feature, grown.bin, grown.left, grown.right, tree.value, validBinned!, validRaw!, K, k);
    }
    if (va) {
      const current = validLoss(loss, validRaw!, va.y, va.w, K);
      history.push(current);
      if (current < bestLoss) {
        bestLoss = current;
        bestRounds = round + 1;
        bestImportance = importance.slice();
      }
      if (shouldStop(history, patience, tol)) break;
    } else {
      bestRounds = round + 1;
      bestImportance = importance;
    }
  }
  return new TreeEnsemble({
    outputs: K,
    link: loss === 'squared_error' ? 'identity' : loss === 'binary' ? 'logistic' : 'softmax',
    aggregate: 'sum',
    base,
    trees: trees.slice(0, bestRounds * K),
    p,
    importance: bestImportance,
  });
}

/** scikit-learn's rule: stop when none of the last `patience` losses beat the one before them by more than `tol`. */
function shouldStop(history: number[], patience: number, tol: number): boolean {
  if (history.length <= patience) return false;
  const reference = history[history.length - patience - 1]!;
  for (let i = history.length - patience; i < history.length; i++) if (history[i]! < reference - tol) return false;
  return true;
}

/** Raw outputs before any tree: the weighted mean, the log-odds, or the log class priors (clipped away from 0). */
function baseline(loss: Loss, y: Float64Array, w: Float64Array, K: number, classes: number): Float64Array {
  const base = new Float64Array(K);
  let sw = 0;
  const sums = new Float64Array(classes);
  let sy = 0;
  for (let i = 0; i < y.length; i++) {
    sw += w[i]!;
    if (loss === 'squared_error') sy += w[i]! * y[i]!;
    else sums[y[i]!]! += w[i]!;
  }
  const eps = Number.EPSILON;
  const prior = (k: number) => Math.min(1 - eps, Math.max(eps, sums[k]! / sw));
  if (loss === 'squared_error') base[0] = sy / sw;
  else if (loss === 'binary') base[0] = Math.log(prior(1) / (1 - prior(1)));
  else for (let k = 0; k < K; k++) base[k] = Math.log(prior(k));
  for (let k = 0; k < K; k++) base[k] = base[k]! + 0;
  return base;
}

/** Per-row gradients and hessians of the loss at `raw` (n × K), times the row weights. */
function gradients(loss: Loss, raw: Float64Array, y: Float64Array, w: Float64Array, K: number, grad: Float64Array, hess: Float64Array): void {
  const n = y.length;
  if (loss === 'squared_error') {
    for (let i = 0; i < n; i++) {
      grad[i] = w[i]! * (raw[i]! - y[i]!);
      hess[i] = w[i]!;
    }
  } else if (loss === 'binary') {
    for (let i = 0; i < n; i++) {
      const prob = 1 / (1 + Math.exp(-raw[i]!));
      grad[i] = w[i]! * (prob - y[i]!);
      hess[i] = w[i]! * prob * (1 - prob);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const o = i * K;
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, raw[o + k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const e = Math.exp(raw[o + k]! - max);
        grad[o + k] = e;
        sum += e;
      }
      const label = y[i]!;
      for (let k = 0; k < K; k++) {
        const prob = grad[o + k]! / sum;
        grad[o + k] = w[i]! * (prob - (k === label ? 1 : 0));
        hess[o + k] = w[i]! * prob * (1 - prob);
      }
    }
  }
}

/** Weighted mean loss on the validation rows (half squared error, or log-loss). */
function validLoss(loss: Loss, raw: Float64Array, y: Float64Array, w: Float64Array, K: number): number {
  let total = 0;
  let sw = 0;
  for (let i = 0; i < y.length; i++) {
    let l: number;
    if (loss === 'squared_error') l = 0.5 * (raw[i]! - y[i]!) ** 2;
    else if (loss === 'binary') {
      const z = raw[i]!;
      // log(1 + e^z) − y·z, computed without overflow
      l = (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i]! * z;
    } else {
      const o = i * K;
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, raw[o + k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(raw[o + k]! - max);
      l = max + Math.log(sum) - raw[o + y[i]!]!;
    }
    total += w[i]! * l;
    sw += w[i]!;
  }
  return sw > 0 ? total / sw : 0;
}

/** Adds a tree's leaf values to raw output `k` of binned rows (bin ≤ split bin ⇔ x ≤ threshold). */
function addBinnedTree(
  feature: Int32Array,
  bin: Int32Array,
  left: Int32Array,
  right: Int32Array,
  value: Float64Array,
  data: BinnedData,
  raw: Float64Array,
  K: number,
  k: number,
): void {
  const { n, codes } = data;
  for (let r = 0; r < n; r++) {
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      node = codes[f * n + r]! <= bin[node]! ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    raw[r * K + k]! += value[node]!;
  }
}

/** A seeded split into training and validation rows (stratified by class for classification), each ascending. */
function holdOut(data: TrainSet, fraction: number, rng: Rng): { train: Int32Array; valid: Int32Array } {
  const n = data.n;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const strata = data.task === 'classification' ? data.classes ?? 1 : 1;
  const label = (r: number) => (strata > 1 ? data.y[r]! : 0);
  const size = new Float64Array(strata);
  for (let i = 0; i < n; i++) size[label(i)]!++;
  const quota = Array.from(size, (s) => Math.floor(s * fraction));
  const isValid = new Uint8Array(n);
  for (const r of order) {
    const c = label(r);
    if (quota[c]! > 0) {
      quota[c]!--;
      isValid[r] = 1;
    }
  }
  const valid: number[] = [];
  const train: number[] = [];
  for (let i = 0; i < n; i++) (isValid[i] ? valid : train).push(i);
  return { train: Int32Array.from(train), valid: Int32Array.from(valid) };
}

/** Targets and weights of rows `rows` (all when null); their features stay in `data.x` (binned by row index). */
function subset(data: TrainSet, weights: Float64Array, rows: Int32Array | null): { y: Float64Array; w: Float64Array; n: number } {
  if (!rows) return { y: data.y, w: weights, n: data.n };
  const m = rows.length;
  const y = new Float64Array(m);
  const w = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    y[i] = data.y[rows[i]!]!;
    w[i] = weights[rows[i]!]!;
  }
  return { y, w, n: m };
}

function roundTo(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
