import { join } from 'node:path';
import type { CheckStatus } from '../catalog/index.js';
import type { TableBinding } from '../engine/index.js';
import { formatTableRef, messageOf, quoteIdent, quoteLiteral, readableZones, type Principal, type TableRef } from '../kernel/index.js';
import { mentionsTable, type Lake } from '../lake/index.js';
import { detectAnomaly, type MetricPoint } from './detect-anomaly.js';
import type { CheckDef, CheckSpec } from './parse-checks.js';

/** Checks read every zone: they are declared by engineers in the project, not typed by users. */
export const QUALITY_PRINCIPAL: Principal = { name: 'ade:quality', role: 'admin' };

/** Zones whose rows are obfuscated at ingest: only their failing rows are kept as samples. */
const SAMPLE_ZONES = new Set(['clean', 'model', 'report', 'ml']);
/** Failing rows kept per result. */
export const SAMPLE_ROWS = 5;

/** The table as the checks see it: a staged write, or the current snapshot (`ade check`). */
export interface CheckTarget {
  readonly table: TableRef;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  /** Local paths of every file of the table as checked. */
  readonly files: readonly string[];
  /** Local paths of the rows a write adds (row checks look only at these); undefined: the whole table. */
  readonly addedFiles?: readonly string[];
  /** Rows in `files`. */
  readonly rows: number;
  /** Rows the write adds (for `anomaly … by: batch`); undefined: the table's last commit. */
  readonly addedRows?: number;
  /** The table's event time (for freshness and anomaly checks that name none). */
  readonly timeColumn?: string;
  /** Rows per earlier commit, oldest first (for `anomaly … by: batch`). */
  readonly commits?: readonly MetricPoint[];
}

/** What one check found. */
export interface CheckOutcome {
  readonly def: CheckDef;
  readonly status: CheckStatus;
  readonly message: string;
  readonly observed?: unknown;
  readonly expected?: unknown;
  /** Failing rows (or duplicated keys for unique). */
  readonly failing?: number;
  readonly sample?: readonly unknown[];
}

const ADDED_SUFFIX = '__added';
const n = (v: unknown) => Number(v ?? 0);
const fmt = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 3 });

/** A condition true for a failing row, for the row checks. */
function rowCondition(spec: CheckSpec): string | undefined {
  switch (spec.kind) {
    case 'not_null':
      return `${quoteIdent(spec.column)} IS NULL`;
    case 'accepted_values': {
      const c = quoteIdent(spec.column);
      const numeric = spec.values.every((v) => typeof v === 'number');
      const list = spec.values.map((v) => (numeric ? String(v) : quoteLiteral(String(v)))).join(', ');
      return `${c} IS NOT NULL AND ${numeric ? c : `CAST(${c} AS VARCHAR)`} NOT IN (${list})`;
    }
    case 'range': {
      const c = quoteIdent(spec.column);
      const lit = (v: number | string) => (typeof v === 'number' ? String(v) : quoteLiteral(v));
      const parts = [...(spec.min !== undefined ? [`${c} < ${lit(spec.min)}`] : []), ...(spec.max !== undefined ? [`${c} > ${lit(spec.max)}`] : [])];
      return parts.join(' OR ');
    }
    case 'regex':
      return `${quoteIdent(spec.column)} IS NOT NULL AND NOT regexp_matches(CAST(${quoteIdent(spec.column)} AS VARCHAR), ${quoteLiteral(spec.pattern)})`;
    case 'relationships':
      return `${quoteIdent(spec.column)} IS NOT NULL AND ${quoteIdent(spec.column)} NOT IN (SELECT ${quoteIdent(spec.field)} FROM ${quoteIdent(spec.to.zone)}.${quoteIdent(spec.to.name)} WHERE ${quoteIdent(spec.field)} IS NOT NULL)`;
    default:
      return undefined;
  }
}

function describeRowFailure(spec: CheckSpec, failing: number, scanned: number, scope: string): string {
  const rows = `${fmt(failing)} of ${fmt(scanned)} ${scope} row${scanned === 1 ? '' : 's'}`;
  switch (spec.kind) {
    case 'not_null':
      return `${rows} have ${spec.column} null`;
    case 'accepted_values':
      return `${rows} have ${spec.column} outside ${spec.values.map(String).join(', ')}`;
    case 'range':
      return `${rows} have ${spec.column} outside ${spec.min ?? '−∞'} … ${spec.max ?? '∞'}`;
    case 'regex':
      return `${rows} have ${spec.column} not matching /${spec.pattern}/`;
    case 'relationships':
      return `${rows} have a ${spec.column} that ${formatTableRef(spec.to)}.${spec.field} does not hold`;
    default:
      return rows;
  }
}

/** Columns a check names that the table lacks. */
function missingColumns(spec: CheckSpec, names: ReadonlySet<string>, timeColumn: string | undefined): string[] {
  const wanted: string[] = [];
  if ('column' in spec && spec.column) wanted.push(spec.column);
  if (spec.kind === 'unique') wanted.push(...spec.columns);
  if (spec.kind === 'freshness' || (spec.kind === 'anomaly' && spec.by !== 'batch')) {
    const t = (spec.kind === 'anomaly' ? spec.time : spec.column) ?? timeColumn;
    if (t) wanted.push(t);
  }
  return wanted.filter((c) => !names.has(c));
}

/**
 * Runs checks on a table in as few scans as it can: every row check in one
 * scan of the added rows (samples only for failing checks), then one query per
 * table check. A check that cannot run (a missing column, bad SQL) reports
 * status `error`, never throws.
 */
export async function runChecks(lake: Lake, defs: readonly CheckDef[], target: CheckTarget, opts: { now: Date }): Promise<CheckOutcome[]> {
  if (defs.length === 0) return [];
  const ref = target.table;
  const qualified = `${quoteIdent(ref.zone)}.${quoteIdent(ref.name)}`;
  // A write that adds the whole table (a first write, a replace) is checked like the table itself.
  const partial = target.addedFiles !== undefined && target.addedFiles.length < target.files.length;
  const added = partial ? `${quoteIdent(ref.zone)}.${quoteIdent(`${ref.name}${ADDED_SUFFIX}`)}` : qualified;
  const scope = target.addedFiles ? 'added' : '';
  const columns = target.columns.map((c) => ({ name: c.name, type: c.type }));
  const bindings: TableBinding[] = [{ zone: ref.zone, name: ref.name, columns, files: [...target.files] }];
  if (partial) bindings.push({ zone: ref.zone, name: `${ref.name}${ADDED_SUFFIX}`.slice(0, 63), columns, files: [...target.addedFiles] });
  // Other tables a check reads (relationships, custom SQL), at their current snapshots.
  const otherSql = defs.map((d) => (d.spec.kind === 'sql' ? d.spec.sql : d.spec.kind === 'relationships' ? `${formatTableRef(d.spec.to)}` : '')).join('\n');
  if (otherSql.trim()) {
    for (const b of await lake.bindingsFor(QUALITY_PRINCIPAL, { forSql: otherSql })) {
      if (!(b.zone === ref.zone && b.name === ref.name) && mentionsTable(otherSql, b.zone, b.name)) bindings.push(b);
    }
  }
  const allowedDirectories = readableZones(QUALITY_PRINCIPAL.role).map((z) => join(lake.store.localRoot(), z));
  const session = await lake.engine.openSession({ principal: QUALITY_PRINCIPAL, tables: bindings, allowedDirectories });
  const names = new Set(target.columns.map((c) => c.name));
  const out = new Map<CheckDef, CheckOutcome>();
  const sampleOf = async (sql: string): Promise<unknown[] | undefined> => {
    if (!SAMPLE_ZONES.has(ref.zone)) return undefined;
    const r = await session.query(`SELECT * FROM (${sql}) AS _failing LIMIT ${SAMPLE_ROWS}`);
    return r.rows.map((row) => JSON.parse(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))) as unknown);
  };
  try {
    const runnable: CheckDef[] = [];
    for (const d of defs) {
      const missing = missingColumns(d.spec, names, target.timeColumn);
      if (missing.length) out.set(d, { def: d, status: 'error', message: `${formatTableRef(ref)} has no column ${missing.join(', ')}` });
      else runnable.push(d);
    }

    // Row checks: one scan of the added rows for all of them.
    const rowChecks = runnable.filter((d) => rowCondition(d.spec) !== undefined);
    if (rowChecks.length) {
      const select = rowChecks.map((d, i) => `count(*) FILTER (WHERE ${rowCondition(d.spec)}) AS "f${i}"`);
      let counts: Record<string, unknown> | undefined;
      try {
        counts = (await session.query(`SELECT count(*) AS "rows", ${select.join(', ')} FROM ${added}`)).rows[0];
      } catch {
        // One bad check (say, a range bound of the wrong type) must not hide the others: run them one by one.
      }
      for (const [i, d] of rowChecks.entries()) {
        try {
          const cond = rowCondition(d.spec)!;
          const row = counts ?? (await session.query(`SELECT count(*) AS "rows", count(*) FILTER (WHERE ${cond}) AS "f0" FROM ${added}`)).rows[0];
          const failing = n(counts ? row?.[`f${i}`] : row?.f0);
          const scanned = n(row?.rows);
          out.set(d, {
            def: d,
            status: failing > 0 ? 'fail' : 'pass',
            failing,
            observed: failing,
            expected: 0,
            message: failing > 0 ? describeRowFailure(d.spec, failing, scanned, scope) : `all ${fmt(scanned)} ${scope ? `${scope} ` : ''}rows pass`,
            ...(failing > 0 ? { sample: await sampleOf(`SELECT * FROM ${added} WHERE ${cond}`) } : {}),
          });
        } catch (e) {
          out.set(d, { def: d, status: 'error', message: `the check could not run: ${messageOf(e)}` });
        }
      }
    }

    for (const d of runnable) {
      if (out.has(d)) continue;
      try {
        out.set(d, await tableCheck(d, d.spec));
      } catch (e) {
        out.set(d, { def: d, status: 'error', message: `the check could not run: ${messageOf(e)}` });
      }
    }
  } finally {
    await session.close();
  }
  return defs.map((d) => out.get(d)!);

  async function tableCheck(d: CheckDef, spec: CheckSpec): Promise<CheckOutcome> {
    switch (spec.kind) {
      case 'unique': {
        const cols = spec.columns.map(quoteIdent).join(', ');
        const notAllNull = spec.columns.map((c) => `${quoteIdent(c)} IS NOT NULL`).join(' OR ');
        // A write is checked for the duplicates it brings: only keys it adds are grouped (a semi join on them), so an
        // append of 1% does not group every key of the table; without added rows (`ade check`, a replace) the whole table is.
        const among = partial ? ` SEMI JOIN (SELECT DISTINCT ${cols} FROM ${added} WHERE ${notAllNull}) AS _new USING (${cols})` : '';
        const dups = `SELECT ${cols}, count(*) AS copies FROM ${qualified}${among} WHERE ${notAllNull} GROUP BY ${cols} HAVING count(*) > 1`;
        const r = (await session.query(`SELECT count(*) AS keys, coalesce(sum(copies), 0) AS rows FROM (${dups})`)).rows[0];
        const keys = n(r?.keys);
        return {
          def: d,
          status: keys > 0 ? 'fail' : 'pass',
          failing: keys,
          observed: keys,
          expected: 0,
          message: keys > 0 ? `${fmt(keys)} value${keys === 1 ? '' : 's'} of (${spec.columns.join(', ')}) repeat, in ${fmt(n(r?.rows))} rows` : `(${spec.columns.join(', ')}) is unique over ${fmt(target.rows)} rows`,
          ...(keys > 0 ? { sample: await sampleOf(`${dups} ORDER BY copies DESC`) } : {}),
        };
      }
      case 'type': {
        const col = target.columns.find((c) => c.name === spec.column)!;
        const ok = col.type.toUpperCase() === spec.type;
        return { def: d, status: ok ? 'pass' : 'fail', observed: col.type, expected: spec.type, message: ok ? `${spec.column} is ${col.type}` : `${spec.column} is ${col.type}, expected ${spec.type}` };
      }
      case 'row_count': {
        const ok = (spec.min === undefined || target.rows >= spec.min) && (spec.max === undefined || target.rows <= spec.max);
        const range = `${spec.min !== undefined ? fmt(spec.min) : '0'} … ${spec.max !== undefined ? fmt(spec.max) : '∞'}`;
        return { def: d, status: ok ? 'pass' : 'fail', observed: target.rows, expected: { min: spec.min ?? null, max: spec.max ?? null }, message: `${fmt(target.rows)} rows${ok ? '' : `, expected ${range}`}` };
      }
      case 'freshness': {
        const col = (spec.column ?? target.timeColumn)!;
        if (!col) return { def: d, status: 'error', message: 'freshness needs a column: the table has no event time' };
        const r = (await session.query(`SELECT CAST(epoch_ms(max(CAST(${quoteIdent(col)} AS TIMESTAMP))) AS DOUBLE) AS latest FROM ${qualified}`)).rows[0];
        if (r?.latest === null || r?.latest === undefined) return { def: d, status: 'fail', message: `${col} has no value: nothing arrived`, expected: { maxLagMs: spec.maxLagMs } };
        const lagMs = opts.now.getTime() - n(r.latest);
        const ok = lagMs <= spec.maxLagMs;
        const hours = (ms: number) => `${fmt(ms / 3_600_000)} h`;
        return {
          def: d,
          status: ok ? 'pass' : 'fail',
          observed: { latest: new Date(n(r.latest)).toISOString(), lagMs },
          expected: { maxLagMs: spec.maxLagMs },
          message: `the newest ${col} is ${hours(lagMs)} old${ok ? '' : `, more than ${hours(spec.maxLagMs)}`}`,
        };
      }
      case 'sql': {
        const r = (await session.query(`SELECT count(*) AS failing FROM (${spec.sql}) AS _check`)).rows[0];
        const failing = n(r?.failing);
        return {
          def: d,
          status: failing > 0 ? 'fail' : 'pass',
          failing,
          observed: failing,
          expected: 0,
          message: failing > 0 ? `the query returns ${fmt(failing)} failing row${failing === 1 ? '' : 's'}` : 'the query returns no rows',
          ...(failing > 0 ? { sample: await sampleOf(spec.sql) } : {}),
        };
      }
      case 'anomaly':
        return anomalyCheck(d, spec);
      default:
        throw new Error(`no table check for ${spec.kind}`);
    }
  }

  async function anomalyCheck(d: CheckDef, spec: Extract<CheckSpec, { kind: 'anomaly' }>): Promise<CheckOutcome> {
    let history: MetricPoint[];
    let point: MetricPoint | undefined;
    if (spec.by === 'batch') {
      const commits = [...(target.commits ?? [])];
      if (target.addedRows !== undefined) point = { at: opts.now, value: target.addedRows };
      else point = commits.pop();
      history = commits;
    } else {
      const time = quoteIdent((spec.time ?? target.timeColumn)!);
      const bucket = `date_trunc('${spec.by}', CAST(${time} AS TIMESTAMP))`;
      const c = spec.column ? quoteIdent(spec.column) : '';
      const metric =
        spec.metric === 'rows'
          ? 'count(*)'
          : spec.metric === 'null_ratio'
            ? `1 - count(${c}) / count(*)`
            : spec.metric === 'distinct'
              ? `count(DISTINCT ${c})`
              : `avg(CAST(${c} AS DOUBLE))`;
      const series = (
        await session.query(
          `SELECT CAST(epoch_ms(${bucket}) AS DOUBLE) AS at, CAST(${metric} AS DOUBLE) AS v FROM ${qualified} WHERE ${time} IS NOT NULL GROUP BY 1 ORDER BY 1`,
        )
      ).rows.map((r) => ({ at: new Date(n(r.at)), value: n(r.v) }));
      const judged = (await session.query(`SELECT CAST(epoch_ms(max(${bucket})) AS DOUBLE) AS at FROM ${added}`)).rows[0]?.at;
      if (judged === null || judged === undefined) return { def: d, status: 'skipped', message: 'no rows with a time to judge' };
      const at = n(judged);
      const step = spec.by === 'day' ? 86_400_000 : 3_600_000;
      const byTime = new Map(series.map((p) => [p.at.getTime(), p.value]));
      history = [];
      // Rows: a bucket with no rows counts as 0 (a day nothing arrived is the drop to catch). Other metrics have no value there.
      const first = series[0]?.at.getTime() ?? at;
      for (let t = first; t < at; t += step) {
        const v = byTime.get(t);
        if (v !== undefined) history.push({ at: new Date(t), value: v });
        else if (spec.metric === 'rows') history.push({ at: new Date(t), value: 0 });
      }
      point = { at: new Date(at), value: byTime.get(at) ?? 0 };
    }
    if (!point) return { def: d, status: 'skipped', message: 'no commit to judge yet' };
    const v = detectAnomaly(history, point, spec.rule, { metric: spec.metric === 'rows' ? (spec.by === 'batch' ? 'rows written' : 'rows') : `${spec.metric.replace('_', ' ')} of ${spec.column}` });
    const status: CheckStatus = v.status === 'fail' ? 'fail' : v.status === 'pass' ? 'pass' : 'skipped';
    return {
      def: d,
      status,
      observed: { at: point.at.toISOString(), value: v.observed },
      ...(v.expected !== undefined ? { expected: { value: v.expected, stddev: v.stddev, low: v.low, high: v.high, training: v.training.length } } : {}),
      message: v.message,
    };
  }
}
