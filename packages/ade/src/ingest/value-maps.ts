import type { ColumnInput } from '../catalog/index.js';
import type { Workspace } from '../engine/index.js';
import { quoteIdent, quoteLiteral } from '../kernel/index.js';
import { CANDIDATE_SPAN_SOURCE, redactBySpans, spanMayHoldPiiSql, type Tokenizer } from '../privacy/index.js';
import { spanTransform } from './span-transform.js';
import type { Detection } from './ingest-file.js';
import { distinctSql, type ColumnPlan } from './plan.js';

// The value maps of an ingest: what JavaScript computed for the distinct
// values (and free-text spans) DuckDB sent it, loaded back as small tables
// the clean SELECT joins.

export interface Maps {
  /** Map table per column name (absent when the map is empty). */
  readonly tables: ReadonlyMap<string, string>;
  /** Span maps per column name (spans plans with detections), and the table of texts with too many spans. */
  readonly spans: ReadonlyMap<string, { spans: string; many: string | undefined }>;
  /** Columns dropped because a detector fired (undeclared: drop). */
  readonly dropped: ReadonlySet<string>;
  /** Columns whose detections reject rows (undeclared: reject), with the map table flagging them. */
  readonly rejects: ReadonlyMap<string, string>;
  readonly detections: Detection[];
}

/** Spans spliced back per row in SQL; texts with more go to JavaScript whole. */
export const MAX_SPLICED_SPANS = 4;
export const CANDIDATES = quoteLiteral(CANDIDATE_SPAN_SOURCE);

/** Sends each distinct candidate value (or span) of every map column through its transform once, and loads the results into DuckDB. */
export async function buildMaps(ws: Workspace, plans: readonly ColumnPlan[], stage: string, tokenizer: Tokenizer): Promise<Maps> {
  const tables = new Map<string, string>();
  const spans = new Map<string, { spans: string; many: string | undefined }>();
  const dropped = new Set<string>();
  const rejects = new Map<string, string>();
  const detections: Detection[] = [];
  let i = 0;
  for (const plan of plans) {
    if (plan.how === 'spans') {
      const col = `CAST(${quoteIdent(plan.column.name)} AS VARCHAR)`;
      const table = `_ade_spans_${i++}`;
      const rows: (string | null)[][] = [];
      const counts = new Map<string, number>();
      let most = 0;
      await ws.stream(
        `SELECT v, count(*) AS n, max(k) AS k FROM (SELECT unnest(s) AS v, len(s) AS k FROM (SELECT regexp_extract_all(${col}, ${CANDIDATES}) AS s FROM ${stage} WHERE ${quoteIdent(plan.column.name)} IS NOT NULL)) WHERE ${spanMayHoldPiiSql('v')} GROUP BY 1`,
        (chunk) => {
          for (const [v, n, k] of chunk) {
            most = Math.max(most, Number(k));
            const r = spanTransform(v as string, tokenizer);
            if (!r) continue;
            for (const d of r.found) counts.set(d, (counts.get(d) ?? 0) + Number(n));
            rows.push([v as string, r.text, r.token, r.found.join(',')]);
          }
        },
      );
      const action = plan.dropColumn ? 'column dropped' : plan.wholeToken ? 'replaced' : 'redacted';
      for (const [detector, n] of counts) detections.push({ field: plan.column.path, detector, count: n, action });
      if (rows.length === 0) continue;
      if (plan.dropColumn) {
        dropped.add(plan.column.name);
        continue;
      }
      await ws.createVarcharTable(table, ['v', 't', 'tok', 'd'], rows);
      const many: (string | null)[][] = [];
      if (most > MAX_SPLICED_SPANS) await ws.stream(
        `SELECT v FROM (SELECT DISTINCT ${col} AS v FROM ${stage}) WHERE len(regexp_extract_all(v, ${CANDIDATES})) > ${MAX_SPLICED_SPANS}`,
        (chunk) => {
          for (const [v] of chunk) {
            const r = redactBySpans(v as string, tokenizer);
            if (r.found.length) many.push([v as string, r.text]);
          }
        },
      );
      let manyTable: string | undefined;
      if (many.length) {
        manyTable = `_ade_many_${i++}`;
        await ws.createVarcharTable(manyTable, ['v', 't'], many);
      }
      spans.set(plan.column.name, { spans: table, many: manyTable });
      continue;
    }
    if (plan.how !== 'map') continue;
    const table = `_ade_map_${i++}`;
    const rows: (string | null)[][] = [];
    const counts = new Map<string, number>();
    await ws.stream(distinctSql(plan, stage), (chunk) => {
      for (const [v, n] of chunk) {
        const value = v as string;
        const r = plan.transform(value);
        for (const d of r.found) counts.set(d, (counts.get(d) ?? 0) + Number(n));
        if (plan.complete || r.out !== value || r.found.length) rows.push([value, r.out, r.found.length ? r.found.join(',') : null]);
      }
    });
    if (plan.nameCategory && plan.sqlFast) {
      // Values DuckDB tokenised are counted here (JavaScript saw only the others).
      const [row] = await ws.all(`SELECT count(*) AS n FROM ${stage} WHERE ${quoteIdent(plan.column.name)} IS NOT NULL AND ${plan.sqlFast.when(`CAST(${quoteIdent(plan.column.name)} AS VARCHAR)`)}`);
      const n = Number(row?.n ?? 0);
      if (n > 0) counts.set(`name:${plan.nameCategory}`, (counts.get(`name:${plan.nameCategory}`) ?? 0) + n);
    }
    const action = plan.onFound === 'drop-column' ? 'column dropped' : plan.onFound === 'reject-row' ? 'rows quarantined' : plan.policy.startsWith('undeclared') ? 'replaced' : plan.policy;
    for (const [detector, n] of counts) detections.push({ field: plan.column.path, detector, count: n, action });
    if (plan.onFound === 'drop-column' && counts.size > 0) {
      dropped.add(plan.column.name);
      continue;
    }
    // An empty map (every value went through SQL, or nothing changed) is not joined at all.
    if (rows.length > 0) {
      await ws.createVarcharTable(table, ['v', 't', 'd'], rows);
      tables.set(plan.column.name, table);
    }
    if (plan.onFound === 'reject-row' && counts.size > 0) rejects.set(plan.column.name, table);
  }
  return { tables, spans, dropped, rejects, detections };
}

/** A clean column's privacy class and doc: which policy made it, from which input field. */
export function describeColumn(plans: readonly ColumnPlan[], maps: Maps, name: string): Pick<ColumnInput, 'privacy' | 'doc'> {
  const plan = plans.find((p) => p.column.name === name);
  if (!plan) return {};
  const from = plan.column.path !== name ? ` from input field ${plan.column.path}` : '';
  const found = maps.detections.filter((d) => d.field === plan.column.path).map((d) => d.detector);
  const policy = plan.how === 'drop' ? 'drop' : plan.policy;
  const pseudonymous = policy === 'tokenize' || policy === 'redact' || policy === 'nested' || found.length > 0;
  const detail = found.length ? `; found: ${[...new Set(found)].join(', ')}` : '';
  return { privacy: pseudonymous ? 'pseudonymous' : 'none', doc: `${policy}${from}${detail}` };
}
