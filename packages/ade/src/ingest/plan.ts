import { classifyFieldName, type Tokenizer } from '../privacy/index.js';
import { quoteIdent, quoteLiteral } from '../kernel/index.js';
import { plainPath, type FlatColumn } from './flatten.js';
import type { FieldPolicy, SourceConfig } from './source-config.js';
import { ASCII_TEXT, IPV4, ipv4NetworkSql, normalizeSql, tokenSql } from './sql-privacy.js';
import { ipTransform, jsonTransform, scanTransform, tokenizeTransform, tokenKind, type ValueTransform } from './value-transforms.js';

/**
 * Texts that could hold something a detector finds: a digit, `@`, `:`, or hex
 * pairs joined by `-`/`.` (MAC addresses without digits). A superset of every
 * built-in detector, evaluated by DuckDB so that only candidates reach JavaScript.
 */
export const CANDIDATE_REGEX = '[0-9@:]|[A-Fa-f]{2}-[A-Fa-f]{2}-|[A-Fa-f]{4}\\.[A-Fa-f]{4}';

/** How one flat input column reaches the clean table. */
export type ColumnPlan =
  | { readonly column: FlatColumn; readonly how: 'drop'; readonly why: string }
  | {
      readonly column: FlatColumn;
      /**
       * Free text, redacted span by span: DuckDB cuts candidate spans
       * (CANDIDATE_SPAN_SOURCE), the detectors see each distinct span once,
       * and DuckDB splices the replacements back.
       */
      readonly how: 'spans';
      readonly policy: string;
      /** A value that is one identifier and nothing else becomes its token (undeclared scan), not `[KIND:tok_…]`. */
      readonly wholeToken: boolean;
      /** undeclared: drop — a detection drops the column instead. */
      readonly dropColumn: boolean;
    }
  | { readonly column: FlatColumn; readonly how: 'sql'; readonly expr: (ref: string) => string; readonly policy: string }
  | {
      readonly column: FlatColumn;
      readonly how: 'map';
      readonly policy: string;
      /** Every non-null value is mapped (tokens, networks); else only values the transform changed. */
      readonly complete: boolean;
      /** Only values matching this regex are sent to JavaScript (the others cannot change). */
      readonly prefilter?: string;
      readonly transform: ValueTransform;
      /** Undeclared scan: what a detection means. */
      readonly onFound?: 'replace' | 'drop-column' | 'reject-row';
      /**
       * Values DuckDB transforms itself (once per distinct value, in parallel):
       * those `when` accepts get `expr`; only the rest go to JavaScript.
       * `expr` may use the one-row table `_ade_keys` (HMAC pads).
       */
      readonly sqlFast?: {
        readonly when: (v: string) => string;
        readonly expr: (v: string) => string;
        /** Cheap enough to evaluate on every row (no distinct values and join). */
        readonly perRow?: boolean;
      };
      /** The field-name heuristic that made this column personal (reported as `name:<category>`). */
      readonly nameCategory?: string;
    };

/** The policy that governs `path`: its own, or that of the nearest enclosing field. */
export function policyFor(fields: Readonly<Record<string, FieldPolicy>>, path: string): { policy: FieldPolicy; at: string } | undefined {
  const plain = plainPath(path);
  const parts = plain.split('.');
  for (let n = parts.length; n > 0; n--) {
    const at = parts.slice(0, n).join('.');
    for (const [p, policy] of Object.entries(fields)) if (plainPath(p) === at) return { policy, at: p };
  }
  return undefined;
}

/** Policies addressing paths strictly inside a JSON-text column (`items[].card` inside `items[]`), relative to it. */
function innerPolicies(fields: Readonly<Record<string, FieldPolicy>>, column: FlatColumn): Map<string, FieldPolicy> {
  const base = plainPath(column.path);
  const out = new Map<string, FieldPolicy>();
  for (const [p, policy] of Object.entries(fields)) {
    const plain = plainPath(p);
    if (plain.startsWith(`${base}.`)) out.set(plain.slice(base.length + 1), policy);
  }
  return out;
}

const text = (ref: string) => `CAST(${ref} AS VARCHAR)`;

/** SQL for policies DuckDB evaluates itself (mask, generalize of time, zip, coordinates, age). */
function sqlPolicy(policy: FieldPolicy): ((ref: string) => string) | undefined {
  switch (policy.action) {
    case 'keep':
      return (ref) => ref;
    case 'mask': {
      const n = policy.keepLast;
      return (ref) =>
        `CASE WHEN ${ref} IS NULL THEN NULL WHEN length(${text(ref)}) <= ${n} THEN repeat('*', length(${text(ref)})) ` +
        `ELSE repeat('*', length(${text(ref)}) - ${n}) || right(${text(ref)}, ${n}) END`;
    }
    case 'generalize':
      switch (policy.to) {
        case 'day':
          return (ref) => `CAST(date_trunc('day', TRY_CAST(${ref} AS TIMESTAMP)) AS DATE)`;
        case 'month':
          return (ref) => `strftime(TRY_CAST(${ref} AS TIMESTAMP), '%Y-%m')`;
        case 'year':
          return (ref) => `CAST(year(TRY_CAST(${ref} AS TIMESTAMP)) AS INTEGER)`;
        case 'zip':
          return (ref) => `left(upper(regexp_replace(${text(ref)}, '\\s+', '', 'g')), ${policy.digits})`;
        case 'coordinate':
          return (ref) => `round(TRY_CAST(${ref} AS DOUBLE), ${policy.decimals})`;
        case 'age': {
          const b = policy.band;
          const top = Math.ceil(90 / b) * b;
          return (ref) => {
            const age = `TRY_CAST(${ref} AS DOUBLE)`;
            const lo = `CAST(floor(${age} / ${b}) * ${b} AS INTEGER)`;
            return (
              `CASE WHEN ${age} IS NULL OR ${age} < 0 OR ${age} > 150 THEN NULL WHEN ${age} >= ${top} THEN '${top}+' ` +
              (b === 1 ? `ELSE CAST(${lo} AS VARCHAR) END` : `ELSE CAST(${lo} AS VARCHAR) || '-' || CAST(${lo} + ${b - 1} AS VARCHAR) END`)
            );
          };
        }
        default:
          return undefined;
      }
    default:
      return undefined;
  }
}

const SCANNED_TYPES = /^(VARCHAR|BIGINT|HUGEINT|UBIGINT|INTEGER)$/;

/**
 * Decides, for every flat input column, what reaches the clean table. Columns a
 * policy names follow it; the others (undeclared) are scanned by the
 * detectors and the field-name heuristics, and `undeclared` says what a
 * finding does. The event id and event time fields are kept unless a policy names them.
 */
export function planColumns(source: SourceConfig, columns: readonly FlatColumn[], tokenizer: Tokenizer): ColumnPlan[] {
  const plans: ColumnPlan[] = [];
  for (const column of columns) {
    const found = policyFor(source.fields, column.path);
    const inner = column.json ? innerPolicies(source.fields, column) : new Map<string, FieldPolicy>();
    if (found && (plainPath(found.at) === plainPath(column.path) || !column.json || inner.size === 0 || found.policy.action === 'drop')) {
      const { policy } = found;
      const name = policy.action === 'generalize' ? `generalize:${policy.to}` : policy.action;
      if (policy.action === 'drop') {
        plans.push({ column, how: 'drop', why: 'policy' });
        continue;
      }
      const sql = sqlPolicy(policy);
      if (sql) {
        plans.push({ column, how: 'sql', expr: sql, policy: name });
        continue;
      }
      if (policy.action === 'tokenize') {
        const kind = tokenKind(column.path, policy.kind);
        plans.push({
          column,
          how: 'map',
          policy: name,
          complete: true,
          transform: tokenizeTransform(tokenizer, kind),
          sqlFast: { when: ASCII_TEXT, expr: (v) => tokenSql(normalizeSql(kind, v), '_ade_keys') },
        });
      } else if (policy.action === 'redact') {
        plans.push({ column, how: 'spans', policy: name, wholeToken: false, dropColumn: false });
      } else if (policy.action === 'generalize' && policy.to === 'ip') {
        const prefix = policy.v4Prefix;
        plans.push({
          column,
          how: 'map',
          policy: name,
          complete: true,
          transform: ipTransform(policy.v4Prefix, policy.v6Prefix),
          sqlFast: { when: IPV4, expr: (v) => ipv4NetworkSql(v, prefix), perRow: true },
        });
      }
      continue;
    }
    if (column.json) {
      // Lists and objects: policies inside them apply, and their strings are scanned.
      plans.push({
        column,
        how: 'map',
        policy: inner.size ? 'nested' : `undeclared:${source.undeclared}`,
        complete: false,
        transform: jsonTransform(inner, plainPath(column.path), source.undeclared, tokenizer),
        onFound: source.undeclared === 'reject' ? 'reject-row' : 'replace',
      });
      continue;
    }
    const plain = plainPath(column.path);
    if (plain === source.eventId || plain === source.eventTime) {
      plans.push({ column, how: 'sql', expr: (ref) => ref, policy: 'keep' });
      continue;
    }
    const category = classifyFieldName(plain);
    if (!SCANNED_TYPES.test(column.type) || (column.type !== 'VARCHAR' && !category)) {
      // Numbers, times and booleans cannot hold the identifiers the detectors know; kept.
      plans.push({ column, how: 'sql', expr: (ref) => ref, policy: 'keep' });
      continue;
    }
    if (category) {
      // The name says it holds personal data: every value is tokenised.
      const kind = tokenKind(column.path);
      plans.push({
        column,
        how: 'map',
        policy: `undeclared:${source.undeclared}`,
        complete: source.undeclared !== 'reject',
        transform: scanTransform(tokenizer, category),
        nameCategory: category,
        onFound: source.undeclared === 'drop' ? 'drop-column' : source.undeclared === 'reject' ? 'reject-row' : 'replace',
        ...(source.undeclared === 'reject' ? {} : { sqlFast: { when: ASCII_TEXT, expr: (v: string) => tokenSql(normalizeSql(kind, v), '_ade_keys') } }),
      });
    } else if (source.undeclared === 'reject') {
      plans.push({
        column,
        how: 'map',
        policy: 'undeclared:reject',
        complete: false,
        prefilter: CANDIDATE_REGEX,
        transform: scanTransform(tokenizer, undefined),
        onFound: 'reject-row',
      });
    } else {
      plans.push({ column, how: 'spans', policy: `undeclared:${source.undeclared}`, wholeToken: true, dropColumn: source.undeclared === 'drop' });
    }
  }
  return plans;
}

/** The distinct-values query of a map plan (value as text and how many rows hold it). */
export function distinctSql(plan: ColumnPlan & { how: 'map' }, stage: string): string {
  const v = `CAST(${quoteIdent(plan.column.name)} AS VARCHAR)`;
  const filter =
    (plan.prefilter ? ` AND regexp_matches(${v}, ${quoteLiteral(plan.prefilter)})` : '') + (plan.sqlFast ? ` AND NOT coalesce(${plan.sqlFast.when(v)}, false)` : '');
  return `SELECT ${v} AS v, count(*) AS n FROM ${stage} WHERE ${quoteIdent(plan.column.name)} IS NOT NULL${filter} GROUP BY 1`;
}

/** The distinct values DuckDB transforms itself, with their results (joined into the clean SELECT). */
export function sqlFastSql(plan: ColumnPlan & { how: 'map' }, stage: string): string | undefined {
  if (!plan.sqlFast || plan.sqlFast.perRow) return undefined;
  const v = `CAST(${quoteIdent(plan.column.name)} AS VARCHAR)`;
  return `SELECT d.v AS v, ${plan.sqlFast.expr('d.v')} AS t FROM (SELECT DISTINCT ${v} AS v FROM ${stage} WHERE ${quoteIdent(plan.column.name)} IS NOT NULL AND ${plan.sqlFast.when(v)}) AS d, _ade_keys`;
}
