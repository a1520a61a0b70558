import { categoryKey, numericValue } from '@ade/sdk';
import type { Task } from './estimator.js';
import { MlError } from './ml-error.js';

/** The target column ready for training: the rows that have one, their values and the task. */
export interface PreparedTarget {
  readonly task: Task;
  /** Indices (into the input columns) of the rows with a usable target, ascending. */
  readonly rows: Int32Array;
  /** Per kept row: the value (regression) or the class index into `classes` (classification). */
  readonly y: Float64Array;
  /** Classification: the class labels as strings, sorted (numerically when every label is a number). */
  readonly classes?: readonly string[];
  /** Rows left out because the target is missing, NaN or ±Infinity. */
  readonly missing: number;
}

/** At most this many distinct integer values make a numeric target a classification target (when the task is not given). */
export const MAX_INFERRED_CLASSES = 20;

/**
 * Reads the target column: drops rows whose target is missing (null,
 * undefined, empty string, NaN, ±Infinity) and counts them, infers the task
 * when not given (booleans and non-numeric strings → classification;
 * numbers → classification when every value is an integer and there are at
 * most 20 distinct ones, else regression), and encodes the values.
 * Throws `ml.no_rows` when no row has a target, `ml.single_class` when a
 * classification target has one class, `ml.bad_target` when a regression
 * target holds non-numbers.
 *
 * @example
 * prepareTarget('churned', [true, false, null, true]);
 * // { task: 'classification', rows: [0, 1, 3], y: [1, 0, 1], classes: ['false', 'true'], missing: 1 }
 */
export function prepareTarget(name: string, values: readonly unknown[], task?: Task): PreparedTarget {
  const rows: number[] = [];
  let missing = 0;
  let textual = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissingTarget(v)) {
      missing++;
      continue;
    }
    rows.push(i);
    if (typeof v === 'boolean' || (typeof v === 'string' && Number.isNaN(numericValue(v))) || typeof v === 'object') textual = true;
  }
  if (rows.length === 0) {
    throw new MlError('ml.no_rows', `no row has a value for the target '${name}' (${values.length} rows, ${missing} missing)`, {
      hint: values.length === 0 ? 'train on a table with rows' : 'choose a target column that has values',
      details: { target: name, rows: values.length, missing },
    });
  }
  const inferred = task ?? inferTask(values, rows, textual);
  if (inferred === 'regression') return regressionTarget(name, values, rows, missing, textual);
  return classificationTarget(name, values, rows, missing);
}

function isMissingTarget(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (typeof v === 'number') return !Number.isFinite(v);
  return false;
}

function inferTask(values: readonly unknown[], rows: readonly number[], textual: boolean): Task {
  if (textual) return 'classification';
  const distinct = new Set<number>();
  for (const i of rows) {
    const x = numericValue(values[i]);
    if (!Number.isInteger(x)) return 'regression';
    distinct.add(x);
    if (distinct.size > MAX_INFERRED_CLASSES) return 'regression';
  }
  return 'classification';
}

function regressionTarget(name: string, values: readonly unknown[], rows: number[], missing: number, textual: boolean): PreparedTarget {
  const y = new Float64Array(rows.length);
  const kept: number[] = [];
  for (const i of rows) {
    const x = numericValue(values[i]);
    if (Number.isNaN(x) && textual) {
      throw new MlError('ml.bad_target', `the regression target '${name}' holds a non-number: ${JSON.stringify(String(values[i]))} (row ${i})`, {
        hint: 'use --task classification for a categorical target, or clean the column',
        details: { target: name, row: i },
      });
    }
    if (!Number.isFinite(x)) {
      missing++;
      continue;
    }
    y[kept.length] = x;
    kept.push(i);
  }
  if (kept.length === 0) {
    throw new MlError('ml.no_rows', `no row has a finite value for the target '${name}'`, {
      hint: 'choose a numeric target column that has values',
      details: { target: name, rows: values.length, missing },
    });
  }
  return { task: 'regression', rows: Int32Array.from(kept), y: y.slice(0, kept.length), missing };
}

function classificationTarget(name: string, values: readonly unknown[], rows: number[], missing: number): PreparedTarget {
  const labels = rows.map((i) => labelOf(values[i]));
  const distinct = [...new Set(labels)];
  const numeric = distinct.every((l) => !Number.isNaN(numericValue(l)));
  distinct.sort(numeric ? (a, b) => numericValue(a) - numericValue(b) || compareText(a, b) : compareText);
  if (distinct.length < 2) {
    throw new MlError('ml.single_class', `the target '${name}' has a single class (${JSON.stringify(distinct[0])}) in ${rows.length} rows`, {
      hint: 'a classifier needs at least two classes: check the target column or the rows selected',
      details: { target: name, class: distinct[0], rows: rows.length },
    });
  }
  const index = new Map(distinct.map((c, k) => [c, k]));
  const y = Float64Array.from(labels, (l) => index.get(l)!);
  return { task: 'classification', rows: Int32Array.from(rows), y, classes: distinct, missing };
}

/** The class label of a target value: `categoryKey`'s string (so 3 and 3.0 are "3"), a `Date` as ISO, else `String()`. */
function labelOf(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return categoryKey(v) ?? String(v);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
