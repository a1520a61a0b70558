import { categoryKey, datetimePart, fnv1a32, numericValue, stepWidth, toEpochMs, type DatetimePart, type FeatureStep } from '@ade/sdk';
import { MlError } from './ml-error.js';

/** One input column as the trainer receives it: its lake (DuckDB) type and one value per row. */
export interface InputColumn {
  readonly name: string;
  /** The DuckDB type, e.g. `DOUBLE`, `VARCHAR`, `TIMESTAMP`, `DECIMAL(10,2)`; an unknown type is inferred from the values. */
  readonly type: string;
  readonly values: readonly unknown[];
}

/** How a kept column is turned into features. */
export type FeatureKind = 'numeric' | 'boolean' | 'categorical' | 'datetime' | 'text';

/** A column left out of the features, and why (shown to the user). */
export interface DroppedColumn {
  readonly column: string;
  readonly reason: string;
}

/** Options of `planFeatures`; only `target` is required. */
export interface FeaturePlanOptions {
  /** The target column (never a feature). */
  readonly target: string;
  /** Columns to leave out (each must exist). */
  readonly exclude?: readonly string[];
  /** The rows the statistics are fitted on (those with a target); all rows when absent. */
  readonly rows?: Int32Array;
  /** One-hot at most this many categories per column, the most frequent (default 32); the rest encode as all zeros. */
  readonly maxCategories?: number;
  /** A string column with more distinct values than this share of its non-missing rows, and not free text, is an identifier and dropped (default 0.9). */
  readonly idShare?: number;
  /** Free text (≥ 3 words per value on average) with many distinct values is hashed into this many buckets (default 64). */
  readonly textBuckets?: number;
}

/**
 * The fitted features: steps over the kept columns (numeric slots
 * standardised with the training mean and standard deviation, missing
 * values imputed with the median), and where every slot comes from.
 */
export interface FeaturePlan {
  /** The kept columns, in input order, with their lake types and kinds. */
  readonly inputs: readonly { readonly name: string; readonly type: string; readonly kind: FeatureKind }[];
  readonly steps: readonly FeatureStep[];
  readonly featureCount: number;
  /** For every feature slot, the index into `inputs` of the column it comes from. */
  readonly slotInput: Int32Array;
  readonly dropped: readonly DroppedColumn[];
}

const DEFAULTS = { maxCategories: 32, idShare: 0.9, textBuckets: 64 };
/** Mean words per value from which a many-valued string column counts as free text. */
const TEXT_WORDS = 3;
const ALL_PARTS: readonly DatetimePart[] = ['year', 'month', 'day', 'weekday', 'hour', 'epoch_days'];

/**
 * Infers how each column becomes features and fits the steps (artifact.ts's
 * `FeatureStep`) on the training rows:
 *
 * - numbers (and numeric strings) → `numeric`; booleans → `numeric` 0/1;
 * - strings with at most `maxCategories` distinct values → `categorical`;
 *   with more: free text (≥ 3 words per value on average) → `text_hash`,
 *   almost unique (ids) → dropped, else the `maxCategories` most frequent
 *   categories;
 * - DATE / TIMESTAMP (or ISO strings) → `datetime` with the parts that vary
 *   among year, month, day, weekday, hour, epoch_days;
 * - constant or all-missing columns, unsupported types (LIST, BLOB, …) and
 *   `exclude`d columns → dropped, with the reason.
 *
 * Numeric slots are standardised (center = mean, scale = std after
 * imputing the median) for every family: trees are invariant to it, and one
 * feature vector serves all members of an ensemble. NaN and ±Infinity count
 * as missing. Throws `ml.bad_option` for an unknown `exclude` column and
 * `ml.no_features` when nothing is left.
 *
 * @example
 * const plan = planFeatures([{ name: 'age', type: 'INTEGER', values: [30, null, 50] }, { name: 'y', type: 'DOUBLE', values: [1, 2, 3] }], { target: 'y' });
 * plan.steps; // [{ kind: 'numeric', column: 'age', impute: 40, center: 40, scale: 8.16… }]
 */
export function planFeatures(columns: readonly InputColumn[], options: FeaturePlanOptions): FeaturePlan {
  const o = { ...DEFAULTS, ...options };
  const names = new Set(columns.map((c) => c.name));
  const exclude = new Set(o.exclude ?? []);
  for (const name of exclude) {
    if (!names.has(name)) {
      throw new MlError('ml.bad_option', `--exclude names '${name}', which is not a column`, {
        hint: `columns: ${[...names].join(', ')}`,
        details: { column: name },
      });
    }
  }
  const rows = o.rows ?? Int32Array.from({ length: columns[0]?.values.length ?? 0 }, (_, i) => i);
  const inputs: { name: string; type: string; kind: FeatureKind }[] = [];
  const steps: FeatureStep[] = [];
  const slots: number[] = [];
  const dropped: DroppedColumn[] = [];
  for (const column of columns) {
    if (column.name === o.target) continue;
    if (exclude.has(column.name)) {
      dropped.push({ column: column.name, reason: 'excluded' });
      continue;
    }
    const planned = planColumn(column, rows, o);
    if ('reason' in planned) {
      dropped.push({ column: column.name, reason: planned.reason });
      continue;
    }
    const width = stepWidth(planned.step);
    for (let s = 0; s < width; s++) slots.push(inputs.length);
    inputs.push({ name: column.name, type: column.type, kind: planned.kind });
    steps.push(planned.step);
  }
  if (steps.length === 0) {
    throw new MlError('ml.no_features', `no usable feature column besides the target '${o.target}'`, {
      hint: dropped.length ? `dropped: ${dropped.map((d) => `${d.column} (${d.reason})`).join('; ')}` : 'the table has only the target column',
      details: { dropped },
    });
  }
  return { inputs, steps, featureCount: slots.length, slotInput: Int32Array.from(slots), dropped };
}

type Planned = { kind: FeatureKind; step: FeatureStep } | { reason: string };
type Resolved = typeof DEFAULTS & FeaturePlanOptions;

function planColumn(column: InputColumn, rows: Int32Array, o: Resolved): Planned {
  const base = baseType(column);
  switch (base) {
    case 'numeric':
    case 'boolean':
      return planNumeric(column, rows, base);
    case 'datetime':
      return planDatetime(column, rows);
    case 'string':
      return planString(column, rows, o);
    default:
      return { reason: `type ${column.type} is not supported` };
  }
}

type BaseType = 'numeric' | 'boolean' | 'datetime' | 'string' | 'unsupported';

/** The column's kind from its DuckDB type, or from its values when the type is not one we know. */
function baseType(column: InputColumn): BaseType {
  const t = column.type.trim().toUpperCase();
  if (/\[\d*\]$/.test(t)) return 'unsupported'; // LIST / ARRAY types such as VARCHAR[] or DOUBLE[3]
  if (/^(U?(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT)|INT[1248]|FLOAT[48]?|REAL|DOUBLE|DECIMAL|NUMERIC)\b/.test(t)) return 'numeric';
  if (/^(BOOLEAN|BOOL|LOGICAL)$/.test(t)) return 'boolean';
  if (/^(DATE|TIMESTAMP)/.test(t)) return 'datetime';
  if (/^(VARCHAR|TEXT|STRING|CHAR|BPCHAR|UUID|ENUM)\b/.test(t)) return 'string';
  if (/^(BLOB|BYTEA|BIT|INTERVAL|TIME|TIMETZ|LIST|STRUCT|MAP|UNION|ARRAY|JSON)\b/.test(t)) return 'unsupported';
  for (const v of column.values) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'number' || typeof v === 'bigint') return 'numeric';
    if (typeof v === 'boolean') return 'boolean';
    if (typeof v === 'string') return 'string';
    if (v instanceof Date) return 'datetime';
    return 'unsupported';
  }
  return 'numeric'; // all missing: dropped as such
}

function planNumeric(column: InputColumn, rows: Int32Array, base: 'numeric' | 'boolean'): Planned {
  const values = new Float64Array(rows.length);
  for (let j = 0; j < rows.length; j++) values[j] = numericValue(column.values[rows[j]!]);
  const fitted = fitSlot(values);
  if ('reason' in fitted) return fitted;
  return { kind: base, step: { kind: 'numeric', column: column.name, ...fitted } };
}

function planDatetime(column: InputColumn, rows: Int32Array): Planned {
  const ms = new Float64Array(rows.length);
  for (let j = 0; j < rows.length; j++) ms[j] = toEpochMs(column.values[rows[j]!]);
  const present = ms.filter((v) => !Number.isNaN(v));
  if (present.length === 0) return { reason: 'all missing' };
  if (present.every((v) => v === present[0])) return { reason: 'constant' };
  const parts: { part: DatetimePart; impute: number; center: number; scale: number }[] = [];
  for (const part of ALL_PARTS) {
    const values = ms.map((v) => (Number.isNaN(v) ? Number.NaN : datetimePart(v, part)));
    const fitted = fitSlot(values);
    if (!('reason' in fitted)) parts.push({ part, ...fitted });
  }
  return { kind: 'datetime', step: { kind: 'datetime', column: column.name, parts } };
}

function planString(column: InputColumn, rows: Int32Array, o: Resolved): Planned {
  const counts = new Map<string, number>();
  let present = 0;
  let numeric = 0;
  let dates = 0;
  let words = 0;
  for (const i of rows) {
    const key = categoryKey(column.values[i]);
    if (key === undefined || key.trim() === '') continue;
    present++;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (Number.isFinite(numericValue(key))) numeric++;
    else if (!Number.isNaN(toEpochMs(key))) dates++;
    words += countWords(key);
  }
  if (present === 0) return { reason: 'all missing' };
  if (counts.size === 1) return { reason: 'constant' };
  if (numeric === present) return planNumeric(column, rows, 'numeric');
  if (dates === present) return planDatetime(column, rows);
  const distinct = counts.size;
  if (distinct <= o.maxCategories) return categorical(column.name, counts, distinct);
  if (words / present >= TEXT_WORDS) return planText(column, rows, o.textBuckets);
  if (distinct > o.idShare * present) return { reason: `identifier-like: ${distinct} distinct values in ${present} rows` };
  return categorical(column.name, counts, o.maxCategories);
}

/** The `keep` most frequent categories (ties by code point), listed in code-point order. */
function categorical(column: string, counts: Map<string, number>, keep: number): Planned {
  const byFrequency = [...counts.entries()].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
  const categories = byFrequency.slice(0, keep).map(([c]) => c).sort(compareText);
  return { kind: 'categorical', step: { kind: 'categorical', column, categories } };
}

/** Hashed token counts, scaled so the slots' root mean square over the training rows is 1. */
function planText(column: InputColumn, rows: Int32Array, buckets: number): Planned {
  const counts = new Float64Array(buckets);
  let sumSquares = 0;
  for (const i of rows) {
    const text = categoryKey(column.values[i]);
    if (text === undefined) continue;
    counts.fill(0);
    for (const token of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) counts[fnv1a32(token) % buckets]!++;
    for (const c of counts) sumSquares += c * c;
  }
  const rms = Math.sqrt(sumSquares / (rows.length * buckets));
  if (!(rms > 0)) return { reason: 'text without any [a-z0-9] token' };
  return { kind: 'text', step: { kind: 'text_hash', column: column.name, buckets, scale: rms } };
}

/** Median impute, then mean/std standardisation of one slot; NaN and ±Infinity are missing. */
function fitSlot(values: Float64Array): { impute: number; center: number; scale: number } | { reason: string } {
  const finite = values.filter(Number.isFinite).sort();
  if (finite.length === 0) return { reason: 'all missing' };
  if (finite[0] === finite[finite.length - 1]) return { reason: 'constant' };
  const mid = finite.length >> 1;
  const impute = finite.length % 2 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
  let sum = 0;
  for (const v of values) sum += Number.isFinite(v) ? v : impute;
  const mean = sum / values.length;
  if (!Number.isFinite(mean)) return { impute, center: 0, scale: 1 };
  const center = mean;
  let ss = 0;
  for (const v of values) ss += ((Number.isFinite(v) ? v : impute) - center) ** 2;
  const std = Math.sqrt(ss / values.length);
  return { impute, center, scale: std > 0 && Number.isFinite(std) && Number.isFinite((impute - center) / std) ? std : 1 };
}

function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = text.charCodeAt(i) <= 32;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
