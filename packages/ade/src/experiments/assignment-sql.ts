import { quoteIdent, quoteLiteral } from '../kernel/index.js';

/**
 * What bulk assignment needs of an experiment (an `ExperimentConfig` has it).
 * Status, targeting and forced variations are not part of it: they decide
 * who is eligible, not where an eligible unit lands.
 */
export interface AssignmentSpec {
  readonly key: string;
  /** Hash seed; default: the key. */
  readonly seed?: string;
  /** Relative weights ≥ 0, normalised by their sum. */
  readonly variants: readonly { readonly name: string; readonly weight: number }[];
  /** Share of units in the experiment, [0, 1]. */
  readonly coverage: number;
  readonly namespace?: { readonly name: string; readonly range: readonly [number, number] };
}

/** 2^32, as the bucket's denominator. */
const TWO_POW_32 = 4294967296;

/** The UTF-8 bytes of code point `cp` (a UBIGINT), as a UBIGINT list. */
const UTF8_BYTES = `CASE WHEN fnv_cp < 128 THEN [fnv_cp]
      WHEN fnv_cp < 2048 THEN [192 | (fnv_cp >> 6), 128 | (fnv_cp & 63)]
      WHEN fnv_cp < 65536 THEN [224 | (fnv_cp >> 12), 128 | ((fnv_cp >> 6) & 63), 128 | (fnv_cp & 63)]
      ELSE [240 | (fnv_cp >> 18), 128 | ((fnv_cp >> 12) & 63), 128 | ((fnv_cp >> 6) & 63), 128 | (fnv_cp & 63)] END`;

/**
 * A DuckDB expression (UBIGINT in [0, 2^32)) for FNV-1a 32-bit over the UTF-8
 * bytes of the VARCHAR expression `text`: ade's SQL copy of the SDK's
 * `fnv1a32`, written independently and checked against it on a million ids
 * (assignment.test.ts). DuckDB has no function from a BLOB to its bytes, so
 * the bytes are rebuilt from the code points (`string_split(text, '')`,
 * `unicode`) — about four times faster than parsing `hex(encode(text))`.
 * Each step is `h = (h xor byte) × 16777619 mod 2^32`, which fits a UBIGINT.
 *
 * @example
 * fnv1a32Sql(`'foobar'`); // evaluates to 3214735720 (0xbf9cf968)
 */
export function fnv1a32Sql(text: string): string {
  const codePoints = `list_transform(list_filter(string_split(${text}, ''), lambda fnv_c: fnv_c <> ''), lambda fnv_c: CAST(unicode(fnv_c) AS UBIGINT))`;
  const bytes = `flatten(list_transform(${codePoints}, lambda fnv_cp: ${UTF8_BYTES}))`;
  return `list_reduce(${bytes}, lambda fnv_h, fnv_b: (xor(fnv_h, fnv_b) * CAST(16777619 AS UBIGINT)) & CAST(4294967295 AS UBIGINT), CAST(2166136261 AS UBIGINT))`;
}

/** `x` (a UBIGINT SQL expression) bound to a lambda parameter, so it is evaluated once. */
function bind(x: string, name: string, body: string): string {
  return `list_transform([${x}], lambda ${name}: ${body})[1]`;
}

/**
 * A DuckDB expression for MurmurHash3's 32-bit finaliser over the UBIGINT
 * expression `h` in [0, 2^32): the SDK's `fmix32`. Each multiply of two
 * values below 2^32 fits a UBIGINT before it is cut back to 32 bits.
 *
 * @example
 * fmix32Sql('CAST(1 AS UBIGINT)'); // evaluates to 1364076727 (0x514e28b7)
 */
export function fmix32Sql(h: string): string {
  const mask = 'CAST(4294967295 AS UBIGINT)';
  const step1 = bind(h, 'fm_a', `(xor(fm_a, fm_a >> 16) * CAST(2246822507 AS UBIGINT)) & ${mask}`);
  const step2 = bind(step1, 'fm_b', `(xor(fm_b, fm_b >> 13) * CAST(3266489909 AS UBIGINT)) & ${mask}`);
  return bind(step2, 'fm_c', 'xor(fm_c, fm_c >> 16)');
}

/** The assignment hash in SQL, `fmix32(fnv1a32(text))`: the SDK's `bucketHash`. */
export function bucketHashSql(text: string): string {
  return fmix32Sql(fnv1a32Sql(text));
}

/**
 * Each variant's upper bound as an integer hash: `ceil(t × 2^32)` with `t`
 * the SDK's threshold `coverage × (w₀ + … + wᵢ) / Σw` (summed left to right
 * in doubles; the last exactly `coverage`). For an integer hash `h`,
 * `h < ceil(t × 2^32)` exactly when `h / 2^32 < t`, so SQL compares integers
 * and still agrees with the SDK to the last bit.
 *
 * @example
 * hashThresholds([1, 1], 1); // [2147483648, 4294967296]
 */
export function hashThresholds(weights: readonly number[], coverage: number): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  let running = 0;
  return weights.map((w, i) => {
    running += w;
    const t = total === 0 ? 0 : i === weights.length - 1 ? coverage : coverage * (running / total);
    return Math.ceil(t * TWO_POW_32);
  });
}

/**
 * A query assigning every row of `from` in bulk, as the SDK's `assign` does
 * for a running experiment without targeting: columns `unit_id` (VARCHAR),
 * `hash` (UBIGINT), `hash_value` (DOUBLE, `hash / 2^32`), `variation_index`
 * (INTEGER) and `variant` (VARCHAR) — both NULL for units outside the
 * namespace range or the coverage, and for NULL or empty unit ids.
 *
 * `from` is a relation built by the caller (a quoted table name or a
 * subquery); `unit` a column of it, quoted here.
 *
 * @example
 * assignmentSql(experiment, '"clean"."users"', 'user_id');
 * // SELECT unit_id, hash, …, variant FROM (SELECT CAST("user_id" AS VARCHAR) AS unit_id, … FROM "clean"."users")
 */
export function assignmentSql(spec: AssignmentSpec, from: string, unit: string): string {
  const seed = spec.seed ?? spec.key;
  const unitId = `CAST(${quoteIdent(unit)} AS VARCHAR)`;
  const ns = spec.namespace;
  const inner = [
    `${unitId} AS unit_id`,
    `${bucketHashSql(`${quoteLiteral(`${seed}:`)} || ${unitId}`)} AS hash`,
    ...(ns ? [`${bucketHashSql(`${quoteLiteral(`${ns.name}__`)} || ${unitId}`)} AS namespace_hash`] : []),
  ];
  const thresholds = hashThresholds(
    spec.variants.map((v) => v.weight),
    spec.coverage,
  );
  const outside = [
    `unit_id IS NULL OR unit_id = ''`,
    ...(ns ? [`namespace_hash < ${Math.ceil(ns.range[0] * TWO_POW_32)} OR namespace_hash >= ${Math.ceil(ns.range[1] * TWO_POW_32)}`] : []),
  ];
  const index = `CASE WHEN ${outside.join(' OR ')} THEN NULL ${thresholds.map((t, i) => `WHEN hash < ${t} THEN ${i}`).join(' ')} ELSE NULL END`;
  const names = `[${spec.variants.map((v) => quoteLiteral(v.name)).join(', ')}]`;
  return `SELECT unit_id, hash, CAST(hash AS DOUBLE) / ${TWO_POW_32} AS hash_value, variation_index, ${names}[variation_index + 1] AS variant
  FROM (SELECT *, CAST(${index} AS INTEGER) AS variation_index
          FROM (SELECT ${inner.join(',\n                       ')}
                  FROM ${from}))`;
}
