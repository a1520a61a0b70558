import type { Task } from './estimator.js';
import { MlError } from './ml-error.js';

/** The metrics `ade ml train --metric` accepts. */
export type MetricName = 'accuracy' | 'balanced_accuracy' | 'log_loss' | 'roc_auc' | 'f1' | 'r2' | 'rmse' | 'mae';

/**
 * A scoring rule over predictions in `FittedModel.predict`'s layout:
 * regression → one value per row; classification → `classes` probabilities
 * per row, row-major, with `y` holding class indices.
 */
export interface Metric {
  readonly name: MetricName;
  readonly task: Task;
  /** Whether a larger score is better (accuracy, r2) or worse (log_loss, rmse). */
  readonly higherIsBetter: boolean;
  /** The score of `pred` against `y` (`classes` is K for classification, ignored for regression). */
  score(y: Float64Array, pred: Float64Array, classes: number): number;
}

/** Clip probabilities for log loss, as scikit-learn does for float64. */
const EPS = 1e-15;

/**
 * Fraction of rows whose most probable class is the true one (ties → the lower class index).
 *
 * @example
 * accuracy(new Float64Array([0, 1]), new Float64Array([0.9, 0.1, 0.2, 0.8]), 2); // 1
 */
export function accuracy(y: Float64Array, proba: Float64Array, classes: number): number {
  const n = y.length;
  if (n === 0) return Number.NaN;
  let hit = 0;
  for (let i = 0; i < n; i++) if (argmax(proba, i * classes, classes) === y[i]) hit++;
  return hit / n;
}

/** Mean per-class recall over the classes present in `y`. */
export function balancedAccuracy(y: Float64Array, proba: Float64Array, classes: number): number {
  const support = new Float64Array(classes);
  const correct = new Float64Array(classes);
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    support[c]!++;
    if (argmax(proba, i * classes, classes) === c) correct[c]!++;
  }
  let sum = 0;
  let present = 0;
  for (let c = 0; c < classes; c++) {
    if (support[c]! === 0) continue;
    sum += correct[c]! / support[c]!;
    present++;
  }
  return present === 0 ? Number.NaN : sum / present;
}

/**
 * Mean negative log-likelihood of the true class; each row's probabilities are
 * clipped to [1e-15, 1 − 1e-15] and renormalised (scikit-learn's convention).
 */
export function logLoss(y: Float64Array, proba: Float64Array, classes: number): number {
  const n = y.length;
  if (n === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let rowSum = 0;
    for (let k = 0; k < classes; k++) rowSum += clip(proba[i * classes + k]!);
    total -= Math.log(clip(proba[i * classes + y[i]!]!) / rowSum);
  }
  return total / n;
}

/**
 * Area under the ROC curve: binary → of class 1's probability; multiclass →
 * the unweighted mean of one-vs-rest AUCs over classes that have both
 * positives and negatives in `y`. Tied scores count half (average ranks).
 */
export function rocAuc(y: Float64Array, proba: Float64Array, classes: number): number {
  if (classes === 2) return binaryAuc(y, proba, 2, 1);
  let sum = 0;
  let used = 0;
  for (let k = 0; k < classes; k++) {
    const auc = binaryAuc(y, proba, classes, k);
    if (Number.isNaN(auc)) continue;
    sum += auc;
    used++;
  }
  return used === 0 ? Number.NaN : sum / used;
}

/** AUC of column `k` of `proba` for "y = k" against the rest (NaN when one side is empty). */
function binaryAuc(y: Float64Array, proba: Float64Array, classes: number, k: number): number {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => proba[a * classes + k]! - proba[b * classes + k]!);
  let positives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    const s = proba[order[i]! * classes + k]!;
    while (j + 1 < n && proba[order[j + 1]! * classes + k]! === s) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (y[order[t]!] === k) {
        positives++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Macro F1: the unweighted mean of per-class F1 over classes that occur in `y` or in the predictions. */
export function f1Macro(y: Float64Array, proba: Float64Array, classes: number): number {
  const tp = new Float64Array(classes);
  const predicted = new Float64Array(classes);
  const actual = new Float64Array(classes);
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    const p = argmax(proba, i * classes, classes);
    actual[c]!++;
    predicted[p]!++;
    if (p === c) tp[c]!++;
  }
  let sum = 0;
  let used = 0;
  for (let c = 0; c < classes; c++) {
    if (actual[c]! === 0 && predicted[c]! === 0) continue;
    sum += (2 * tp[c]!) / (actual[c]! + predicted[c]!);
    used++;
  }
  return used === 0 ? Number.NaN : sum / used;
}

/**
 * Coefficient of determination, 1 − SS_res / SS_tot. A constant `y` scores 1
 * when predicted exactly and 0 otherwise (scikit-learn's convention).
 *
 * @example
 * r2(new Float64Array([1, 2, 3]), new Float64Array([1, 2, 3])); // 1
 */
export function r2(y: Float64Array, pred: Float64Array): number {
  const n = y.length;
  if (n === 0) return Number.NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (y[i]! - pred[i]!) ** 2;
    ssTot += (y[i]! - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/** Root mean squared error. */
export function rmse(y: Float64Array, pred: Float64Array): number {
  if (y.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i]! - pred[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

/** Mean absolute error. */
export function mae(y: Float64Array, pred: Float64Array): number {
  if (y.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(y[i]! - pred[i]!);
  return s / y.length;
}

/** Every metric by name. */
export const METRICS: Readonly<Record<MetricName, Metric>> = {
  accuracy: { name: 'accuracy', task: 'classification', higherIsBetter: true, score: accuracy },
  balanced_accuracy: { name: 'balanced_accuracy', task: 'classification', higherIsBetter: true, score: balancedAccuracy },
  log_loss: { name: 'log_loss', task: 'classification', higherIsBetter: false, score: logLoss },
  roc_auc: { name: 'roc_auc', task: 'classification', higherIsBetter: true, score: rocAuc },
  f1: { name: 'f1', task: 'classification', higherIsBetter: true, score: f1Macro },
  r2: { name: 'r2', task: 'regression', higherIsBetter: true, score: (y, p) => r2(y, p) },
  rmse: { name: 'rmse', task: 'regression', higherIsBetter: false, score: (y, p) => rmse(y, p) },
  mae: { name: 'mae', task: 'regression', higherIsBetter: false, score: (y, p) => mae(y, p) },
};

/**
 * The metric for a task: `name` when given (it must suit the task), else
 * accuracy for classification and r2 for regression.
 *
 * @example
 * metricFor('regression').name;             // 'r2'
 * metricFor('classification', 'log_loss');  // lower is better
 */
export function metricFor(task: Task, name?: string): Metric {
  if (name === undefined) return task === 'classification' ? METRICS.accuracy : METRICS.r2;
  const metric = (METRICS as Record<string, Metric | undefined>)[name];
  if (!metric) {
    throw new MlError('ml.bad_option', `unknown metric '${name}'`, {
      hint: `use one of: ${Object.keys(METRICS).join(', ')}`,
      details: { metric: name },
    });
  }
  if (metric.task !== task) {
    throw new MlError('ml.bad_option', `metric '${name}' is for ${metric.task}, but the task is ${task}`, {
      hint: task === 'classification' ? 'use accuracy, balanced_accuracy, log_loss, roc_auc or f1' : 'use r2, rmse or mae',
      details: { metric: name, task },
    });
  }
  return metric;
}

/** Whether score `a` beats `b` under `metric` (NaN never wins). */
export function isBetter(metric: Metric, a: number, b: number): boolean {
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return metric.higherIsBetter ? a > b : a < b;
}

function argmax(v: Float64Array, offset: number, k: number): number {
  let best = 0;
  let bestValue = v[offset]!;
  for (let j = 1; j < k; j++) {
    const x = v[offset + j]!;
    if (x > bestValue) {
      best = j;
      bestValue = x;
    }
  }
  return best;
}

function clip(p: number): number {
  return p < EPS ? EPS : p > 1 - EPS ? 1 - EPS : p;
}
