import { AdeSdkError } from '../errors.js';
import { fnv1a32 } from '../fnv1a.js';
import type { FeatureStep } from './artifact.js';
import { datetimePart, toEpochMs } from './utc-datetime.js';
import { validateFeatures } from './validate-artifact.js';

/**
 * An input row: column name → value. Values the steps read: numbers,
 * bigints, strings, booleans, `Date`s; `null`, `undefined`, an absent column
 * and anything else count as missing.
 */
export type InputRow = Readonly<Record<string, unknown>>;

/** Feature steps compiled once (lookup maps, precomputed imputes) into a writer of rows. */
export interface CompiledFeatures {
  readonly featureCount: number;
  /** Writes the `featureCount` slots of `row` into `out` from `offset`. Allocates nothing for numeric, categorical and datetime-from-number/Date steps. */
  encodeInto(row: InputRow, out: Float64Array, offset: number): void;
}

type SlotWriter = (row: InputRow, out: Float64Array, offset: number) => void;

/**
 * A decimal number: optional sign, digits with an optional point (or a
 * leading point), optional exponent, surrounding whitespace. Not `0x1f`,
 * `1_000`, `Infinity` or the empty string (which `Number()` would accept).
 */
const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/**
 * The number a `numeric` step reads from a value, NaN when missing: numbers
 * as they are, bigints converted, booleans 1/0, strings only when the whole
 * string (trimmed) is a decimal literal (`" 12.5 "`, `"-3e2"`, `".5"`), so
 * `"12abc"`, `"0x10"`, `""` and `"Infinity"` are missing; anything else is
 * missing. A non-finite result is imputed by the caller.
 *
 * @example
 * numericValue('12.5'); // 12.5
 * numericValue(true);   // 1
 * numericValue('12abc'); // NaN
 */
export function numericValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return DECIMAL.test(value) ? Number(value) : Number.NaN;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  return Number.NaN;
}

/**
 * The string a `categorical` step compares with its categories, or
 * undefined when missing: strings exactly as they are (no trimming or case
 * folding); finite numbers and bigints as `String()` writes them (`3`, `2.5`,
 * `1e+21`; so `3.0` is `"3"`); booleans `"true"` / `"false"`. NaN, ±Infinity,
 * `Date`s, objects, `null` and `undefined` are missing.
 *
 * @example
 * categoryKey(3);     // '3'
 * categoryKey(false); // 'false'
 * categoryKey(null);  // undefined
 */
export function categoryKey(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** The text a `text_hash` step tokenises: strings, or numbers/bigints/booleans as `categoryKey` writes them. */
function textValue(value: unknown): string | undefined {
  return categoryKey(value);
}

function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122);
}

function compileStep(step: FeatureStep): SlotWriter {
  const column = step.column;
  switch (step.kind) {
    case 'numeric': {
      const { center, scale } = step;
      const imputed = (step.impute - center) / scale;
      return (row, out, o) => {
        const z = (numericValue(row[column]) - center) / scale;
        out[o] = Number.isFinite(z) ? z : imputed;
      };
    }
    case 'categorical': {
      const index = new Map<string, number>();
      step.categories.forEach((c, i) => index.set(c, i));
      const width = step.categories.length;
      return (row, out, o) => {
        out.fill(0, o, o + width);
        const key = categoryKey(row[column]);
        const i = key === undefined ? undefined : index.get(key);
        if (i !== undefined) out[o + i] = 1;
      };
    }
    case 'datetime': {
      const parts = step.parts.map((p) => ({ part: p.part, center: p.center, scale: p.scale, imputed: (p.impute - p.center) / p.scale }));
      return (row, out, o) => {
        const ms = toEpochMs(row[column]);
        for (let j = 0; j < parts.length; j++) {
          const p = parts[j] as (typeof parts)[number];
          const z = ms === ms ? (datetimePart(ms, p.part) - p.center) / p.scale : Number.NaN;
          out[o + j] = Number.isFinite(z) ? z : p.imputed;
        }
      };
    }
    case 'text_hash': {
      const { buckets, scale } = step;
      return (row, out, o) => {
        out.fill(0, o, o + buckets);
        const raw = textValue(row[column]);
        if (raw === undefined) return;
        const text = raw.toLowerCase();
        const n = text.length;
        let start = -1;
        for (let i = 0; i <= n; i++) {
          const inToken = i < n && isTokenChar(text.charCodeAt(i));
          if (inToken && start < 0) start = i;
          else if (!inToken && start >= 0) {
            const slot = o + (fnv1a32(text.slice(start, i)) % buckets);
            out[slot] = out[slot]! + 1;
            start = -1;
          }
        }
        for (let b = o; b < o + buckets; b++) if (out[b] !== 0) out[b] = out[b]! / scale;
      };
    }
  }
}

const compiledCache = new WeakMap<readonly FeatureStep[], CompiledFeatures>();

/**
 * Validates feature steps once and compiles them into a row encoder (cached
 * per `steps` array: treat steps as frozen data). Throws
 * `AdeSdkError('model.invalid')` naming the bad step, or when the steps make
 * a different number of slots than `featureCount`.
 *
 * @example
 * const enc = compileFeatures(artifact.features, artifact.featureCount);
 * enc.encodeInto({ age: 42 }, buffer, 0);
 */
export function compileFeatures(steps: readonly FeatureStep[], featureCount: number): CompiledFeatures {
  const cached = compiledCache.get(steps);
  if (cached !== undefined && cached.featureCount === featureCount) return cached;
  validateFeatures(steps, featureCount);
  const writers: SlotWriter[] = [];
  const offsets: number[] = [];
  let slot = 0;
  for (const step of steps) {
    writers.push(compileStep(step));
    offsets.push(slot);
    slot += stepWidth(step);
  }
  const count = writers.length;
  const compiled: CompiledFeatures = {
    featureCount,
    encodeInto(row, out, offset) {
      if (typeof row !== 'object' || row === null) {
        throw new AdeSdkError('model.input', `a row must be an object of column values, is ${row === null ? 'null' : typeof row}`, {
          hint: 'Pass rows as { column: value } objects.',
        });
      }
      for (let s = 0; s < count; s++) (writers[s] as SlotWriter)(row, out, offset + (offsets[s] as number));
    },
  };
  compiledCache.set(steps, compiled);
  return compiled;
}

/** The number of feature-vector slots a step writes. */
export function stepWidth(step: FeatureStep): number {
  switch (step.kind) {
    case 'numeric':
      return 1;
    case 'categorical':
      return step.categories.length;
    case 'datetime':
      return step.parts.length;
    case 'text_hash':
      return step.buckets;
  }
}

/**
 * Applies feature steps to rows: a row-major Float64Array of
 * `rows.length × featureCount`, every slot finite. Per step, as
 * artifact.ts's `FeatureStep` says, with these precise readings:
 *
 * - `numeric`: {@link numericValue} (`"12abc"` → missing); missing,
 *   non-finite, or a standardised value that overflows → the standardised
 *   impute `(impute - center) / scale`; else `(v - center) / scale`.
 * - `categorical`: {@link categoryKey} looked up in `categories`; the slot of
 *   the match is 1, the rest 0 (unseen or missing: all 0).
 * - `datetime`: a `Date`, epoch ms (number or bigint) or an ISO-8601 string
 *   (a date-time without a zone is UTC; `parseIsoUtc`); each part in UTC
 *   (`datetimePart`: weekday 0 = Sunday, month 1–12, epoch_days fractional);
 *   a missing or unparseable value → each part's standardised impute.
 * - `text_hash`: `String#toLowerCase`, tokens = maximal runs of `[a-z0-9]`,
 *   slot `fnv1a32(token) % buckets` counts its tokens, then each count is
 *   divided by `scale`; missing → all 0.
 *
 * @example
 * encodeRows([{ kind: 'numeric', column: 'age', impute: 30, center: 0, scale: 1 }], 1, [{ age: 42 }, {}]);
 * // Float64Array [42, 30]
 */
export function encodeRows(steps: readonly FeatureStep[], featureCount: number, rows: readonly InputRow[]): Float64Array {
  const enc = compileFeatures(steps, featureCount);
  const out = new Float64Array(rows.length * featureCount);
  for (let r = 0; r < rows.length; r++) enc.encodeInto(rows[r] as InputRow, out, r * featureCount);
  return out;
}

/**
 * Encodes one row, into `out` from `offset` when given (reuse a buffer to
 * score rows one by one without allocating), else into a new array.
 *
 * @example
 * const buf = new Float64Array(artifact.featureCount);
 * for (const row of rows) { encodeRow(artifact.features, artifact.featureCount, row, buf); … }
 */
export function encodeRow(steps: readonly FeatureStep[], featureCount: number, row: InputRow, out?: Float64Array, offset = 0): Float64Array {
  const target = out ?? new Float64Array(featureCount);
  if (target.length < offset + featureCount) {
    throw new AdeSdkError('model.input', `the output buffer holds ${target.length} values, encoding needs ${offset + featureCount}`, {
      hint: 'Pass a Float64Array of at least offset + featureCount values.',
    });
  }
  compileFeatures(steps, featureCount).encodeInto(row, target, offset);
  return target;
}
