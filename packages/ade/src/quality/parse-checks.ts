import { createHash } from 'node:crypto';
import { formatTableRef, parseDuration, parseTableRef, validateName, type TableRef } from '../kernel/index.js';
import type { CheckSeverity } from '../catalog/index.js';
import { checkAnomalyRule, type AnomalyRule } from './detect-anomaly.js';

/** What a check tests. Row checks look at the rows a write adds; table checks at the whole staged table. */
export type CheckSpec =
  | { readonly kind: 'not_null'; readonly column: string }
  | { readonly kind: 'unique'; readonly columns: readonly string[] }
  | { readonly kind: 'accepted_values'; readonly column: string; readonly values: readonly (string | number | boolean)[] }
  | { readonly kind: 'range'; readonly column: string; readonly min?: number | string; readonly max?: number | string }
  | { readonly kind: 'regex'; readonly column: string; readonly pattern: string }
  | { readonly kind: 'type'; readonly column: string; readonly type: string }
  | { readonly kind: 'row_count'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'freshness'; readonly column?: string; readonly maxLagMs: number }
  | { readonly kind: 'relationships'; readonly column: string; readonly to: TableRef; readonly field: string }
  | { readonly kind: 'sql'; readonly sql: string }
  | {
      readonly kind: 'anomaly';
      readonly metric: AnomalyMetric;
      readonly column?: string;
      /** Buckets of the time column (day, hour) or the table's commits (batch). */
      readonly by: 'day' | 'hour' | 'batch';
      /** The time column buckets are cut by (default: the table's event time). */
      readonly time?: string;
      readonly rule: AnomalyRule;
    };

export type AnomalyMetric = 'rows' | 'null_ratio' | 'distinct' | 'mean';
export type CheckKind = CheckSpec['kind'];
export const CHECK_KINDS: readonly CheckKind[] = [
  'not_null',
  'unique',
  'accepted_values',
  'range',
  'regex',
  'type',
  'row_count',
  'freshness',
  'relationships',
  'sql',
  'anomaly',
];

/** One declared check on one table. */
export interface CheckDef {
  /** Stable identity: `<zone.table>/<name>`; results and alerts hang off it. */
  readonly id: string;
  readonly table: TableRef;
  readonly name: string;
  /** `error` blocks the write (write-audit-publish); `warn` publishes and alerts. */
  readonly severity: CheckSeverity;
  readonly spec: CheckSpec;
  /** Where it was declared: `ade.yaml` or a model file. */
  readonly origin: string;
}

/** Reports a problem at a path inside the declaration (throws). */
export type CheckFail = (path: readonly (string | number)[], message: string, hint?: string) => never;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Parses the `checks:` section of ade.yaml: a mapping from `zone.table` to a
 * list of checks.
 *
 * @example
 * checks:
 *   clean.orders:
 *     - not_null: [order_id, customer_id]
 *     - unique: order_id
 *     - range: { column: amount, min: 0 }
 *     - anomaly: { metric: rows, by: day, seasonality: weekday, window: 10, sensitivity: 2 }
 */
export function parseChecksSection(raw: unknown, fail: CheckFail, origin = 'ade.yaml'): CheckDef[] {
  if (raw === undefined || raw === null) return [];
  if (!isObj(raw)) fail(['checks'], 'must map tables (zone.table) to lists of checks');
  const out: CheckDef[] = [];
  for (const [table, list] of Object.entries(raw as Obj)) {
    let ref: TableRef;
    try {
      ref = parseTableRef(table);
    } catch {
      return fail(['checks', table], `${JSON.stringify(table)} is not a table (zone.table)`);
    }
    out.push(...parseCheckList(ref, list, (path, m, h) => fail(['checks', table, ...path], m, h), origin));
  }
  return dedupe(out, fail);
}

/** Parses one table's list of checks (ade.yaml, or a model header's `checks:`). */
export function parseCheckList(table: TableRef, raw: unknown, fail: CheckFail, origin: string): CheckDef[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail([], 'must be a list of checks', 'e.g. - not_null: [order_id]');
  const out: CheckDef[] = [];
  (raw as unknown[]).forEach((item, i) => {
    const at = (...p: (string | number)[]) => [i, ...p];
    if (!isObj(item)) fail(at(), 'a check must be a mapping such as `not_null: email`');
    const entries = Object.entries(item as Obj).filter(([k]) => k !== 'severity' && k !== 'name');
    const unknown = entries.filter(([k]) => !(CHECK_KINDS as readonly string[]).includes(k));
    if (unknown.length) fail(at(unknown[0]![0]), `unknown check ${JSON.stringify(unknown[0]![0])}`, `checks are ${CHECK_KINDS.join(', ')}`);
    if (entries.length !== 1) fail(at(), 'each list item declares exactly one check', `found ${entries.map(([k]) => k).join(', ') || 'none'}`);
    const [kind, args] = entries[0]! as [CheckKind, unknown];
    const severityRaw = (item as Obj).severity ?? (kind === 'anomaly' || kind === 'freshness' ? 'warn' : 'error');
    if (severityRaw !== 'error' && severityRaw !== 'warn') fail(at('severity'), 'must be error or warn');
    const name = (item as Obj).name;
    if (name !== undefined && (typeof name !== 'string' || !name.trim())) fail(at('name'), 'must be a non-empty string');
    for (const spec of parseSpec(kind, args, (p, m, h) => fail(at(kind, ...p), m, h))) {
      const n = typeof name === 'string' ? name.trim() : defaultName(spec);
      out.push({ id: `${formatTableRef(table)}/${n}`, table, name: n, severity: severityRaw as CheckSeverity, spec, origin });
    }
  });
  return out;
}

function dedupe(defs: CheckDef[], fail: CheckFail): CheckDef[] {
  const seen = new Set<string>();
  for (const d of defs) {
    if (seen.has(d.id)) fail(['checks', formatTableRef(d.table)], `the check ${d.name} is declared twice`, 'give one of them a name: …');
    seen.add(d.id);
  }
  return defs;
}

const column = (v: unknown, path: (string | number)[], fail: CheckFail): string => {
  if (typeof v !== 'string') fail(path, 'must be a column name');
  try {
    return validateName('column', v as string);
  } catch (e) {
    return fail(path, (e as Error).message);
  }
};

const columns = (v: unknown, fail: CheckFail): string[] => {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) fail([], 'needs at least one column');
  return list.map((c, i) => column(c, Array.isArray(v) ? [i] : [], fail));
};

const bound = (v: unknown, path: string, fail: CheckFail): number | string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim()) return v;
  if (v instanceof Date) return v.toISOString();
  return fail([path], 'must be a number (or a date/time as text)');
};

const count = (v: unknown, path: string, fail: CheckFail): number | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return fail([path], 'must be a whole number ≥ 0');
  return v;
};

function args(v: unknown, fail: CheckFail, allowed: readonly string[], shorthand?: string): Obj {
  if (!isObj(v)) {
    if (shorthand !== undefined && v !== undefined && v !== null) return { [shorthand]: v };
    return fail([], `needs ${allowed.join(', ')}`, `e.g. { ${allowed.slice(0, 2).map((a) => `${a}: …`).join(', ')} }`);
  }
  for (const k of Object.keys(v)) if (!allowed.includes(k)) fail([k], `unknown option ${JSON.stringify(k)}`, `options are ${allowed.join(', ')}`);
  return v;
}

function parseSpec(kind: CheckKind, raw: unknown, fail: CheckFail): CheckSpec[] {
  switch (kind) {
    case 'not_null':
      return columns(isObj(raw) ? args(raw, fail, ['columns']).columns : raw, fail).map((c) => ({ kind, column: c }));
    case 'unique':
      return [{ kind, columns: columns(isObj(raw) ? args(raw, fail, ['columns']).columns : raw, fail) }];
    case 'accepted_values': {
      const a = args(raw, fail, ['column', 'values']);
      if (!Array.isArray(a.values) || a.values.length === 0 || !a.values.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) {
        fail(['values'], 'must be a non-empty list of values');
      }
      return [{ kind, column: column(a.column, ['column'], fail), values: a.values as (string | number | boolean)[] }];
    }
    case 'range': {
      const a = args(raw, fail, ['column', 'min', 'max']);
      const min = bound(a.min, 'min', fail);
      const max = bound(a.max, 'max', fail);
      if (min === undefined && max === undefined) fail([], 'needs min, max or both');
      return [{ kind, column: column(a.column, ['column'], fail), ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) }];
    }
    case 'regex': {
      const a = args(raw, fail, ['column', 'pattern']);
      if (typeof a.pattern !== 'string' || !a.pattern) fail(['pattern'], 'must be a regular expression');
      try {
        new RegExp(a.pattern as string);
      } catch (e) {
        fail(['pattern'], `is not a valid regular expression: ${(e as Error).message}`);
      }
      return [{ kind, column: column(a.column, ['column'], fail), pattern: a.pattern as string }];
    }
    case 'type': {
      const a = args(raw, fail, ['column', 'type']);
      if (typeof a.type !== 'string' || !/^[A-Za-z][A-Za-z0-9_ (),]*$/.test(a.type)) fail(['type'], 'must be a type such as BIGINT or VARCHAR');
      return [{ kind, column: column(a.column, ['column'], fail), type: (a.type as string).toUpperCase() }];
    }
    case 'row_count': {
      const a = args(raw, fail, ['min', 'max']);
      const min = count(a.min, 'min', fail);
      const max = count(a.max, 'max', fail);
      if (min === undefined && max === undefined) fail([], 'needs min, max or both');
      if (min !== undefined && max !== undefined && min > max) fail(['min'], 'is above max');
      return [{ kind, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) }];
    }
    case 'freshness': {
      const a = args(raw, fail, ['column', 'max_lag'], 'max_lag');
      let maxLagMs: number;
      try {
        maxLagMs = parseDuration(String(a.max_lag ?? ''), 'max_lag');
      } catch {
        return fail(['max_lag'], 'must be a duration such as 36h or 2d');
      }
      return [{ kind, maxLagMs, ...(a.column !== undefined ? { column: column(a.column, ['column'], fail) } : {}) }];
    }
    case 'relationships': {
      const a = args(raw, fail, ['column', 'to', 'field']);
      let to: TableRef;
      try {
        to = parseTableRef(String(a.to ?? ''));
      } catch {
        return fail(['to'], 'must name a table (zone.table)');
      }
      const c = column(a.column, ['column'], fail);
      return [{ kind, column: c, to, field: a.field === undefined ? c : column(a.field, ['field'], fail) }];
    }
    case 'sql': {
      const sql = isObj(raw) ? args(raw, fail, ['query']).query : raw;
      if (typeof sql !== 'string' || !/^\s*(with|select|from|\()/i.test(sql)) fail([], 'must be one SELECT that returns the failing rows');
      return [{ kind, sql: (sql as string).trim().replace(/;\s*$/, '').trimEnd() }];
    }
    case 'anomaly': {
      const a = args(raw, fail, ['metric', 'column', 'by', 'time', 'seasonality', 'window', 'sensitivity', 'direction', 'floor', 'trend', 'min_history']);
      const metric = a.metric ?? 'rows';
      if (!['rows', 'null_ratio', 'distinct', 'mean'].includes(String(metric))) fail(['metric'], 'must be rows, null_ratio, distinct or mean');
      const by = a.by ?? 'day';
      if (!['day', 'hour', 'batch'].includes(String(by))) fail(['by'], 'must be day, hour or batch');
      if (metric !== 'rows' && a.column === undefined) fail(['column'], `is required for ${String(metric)}`);
      if (by === 'batch' && metric !== 'rows') fail(['metric'], 'by: batch watches rows per commit only');
      const seasonality = a.seasonality ?? 'none';
      const num = (k: string, fallback: number) => {
        const v = a[k] ?? fallback;
        if (typeof v !== 'number' || !Number.isFinite(v)) fail([k], 'must be a number');
        return v as number;
      };
      // Read outside the try below: a failure here already names its option.
      const numbers = {
        window: num('window', 10),
        sensitivity: num('sensitivity', 3),
        floor: num('floor', 0),
        ...(a.min_history !== undefined ? { minHistory: num('min_history', 3) } : {}),
      };
      let rule: AnomalyRule;
      try {
        rule = checkAnomalyRule({
          seasonality: seasonality as AnomalyRule['seasonality'],
          direction: (a.direction ?? 'both') as AnomalyRule['direction'],
          trend: (a.trend ?? 'none') as NonNullable<AnomalyRule['trend']>,
          ...numbers,
        });
      } catch (e) {
        return fail([], (e as Error).message);
      }
      if (by === 'batch' && rule.seasonality !== 'none') fail(['seasonality'], 'by: batch has no seasons; use by: day or by: hour');
      if (by === 'day' && rule.seasonality === 'hour_of_week') fail(['seasonality'], 'hour_of_week needs by: hour');
      return [
        {
          kind,
          metric: metric as AnomalyMetric,
          by: by as 'day' | 'hour' | 'batch',
          rule,
          ...(a.column !== undefined ? { column: column(a.column, ['column'], fail) } : {}),
          ...(a.time !== undefined ? { time: column(a.time, ['time'], fail) } : {}),
        },
      ];
    }
  }
}

/** The check's default name, e.g. `not_null(email)`, `unique(order_id,line)`, `anomaly(rows by day)`. */
export function defaultName(spec: CheckSpec): string {
  switch (spec.kind) {
    case 'not_null':
    case 'accepted_values':
    case 'range':
    case 'regex':
    case 'type':
      return `${spec.kind}(${spec.column})`;
    case 'unique':
      return `unique(${spec.columns.join(',')})`;
    case 'row_count':
      return 'row_count';
    case 'freshness':
      return `freshness${spec.column ? `(${spec.column})` : ''}`;
    case 'relationships':
      return `relationships(${spec.column}→${formatTableRef(spec.to)}.${spec.field})`;
    case 'sql':
      return `sql(${createHash('sha256').update(spec.sql).digest('hex').slice(0, 8)})`;
    case 'anomaly':
      return `anomaly(${spec.metric}${spec.column ? ` of ${spec.column}` : ''} by ${spec.by})`;
  }
}
