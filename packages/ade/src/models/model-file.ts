import { createHash } from 'node:crypto';
import { basename, dirname, relative, sep } from 'node:path';
import { parseDocument } from 'yaml';
import { AdeError, formatTableRef, parseTableRef, quoteIdent, validateName, type TableRef } from '../kernel/index.js';
import { surrogateKeySql } from './surrogate-key.js';
import type { ModelScript } from './ts-model.js';

/** How a model's rerun writes (see DESIGN.md, "Idempotent ETL"). */
export type ModelKind = 'dimension' | 'fact' | 'day' | 'report' | 'current';
export const MODEL_KINDS: readonly ModelKind[] = ['dimension', 'fact', 'day', 'report', 'current'];

/** Zones a model may build into. */
export const MODEL_ZONES = ['model', 'report', 'ml'] as const;

/** A model, read from `models/<zone>/<name>.sql` (or `.ts`, see ts-model.ts). */
export interface SqlModel {
  readonly table: TableRef;
  /** The file, relative to the project. */
  readonly file: string;
  readonly kind: ModelKind;
  /** Natural key columns (dimension, current). */
  readonly key: readonly string[];
  /** Partition/time column (day: the day; fact: the event time). */
  readonly time?: string;
  readonly description: string;
  /** Column docs by name. */
  readonly columns: Readonly<Record<string, string>>;
  /** Tables the model reads (`ref('zone.table')`), in order of first use. */
  readonly inputs: readonly TableRef[];
  /** The SELECT with every `ref(…)` replaced by the table's name. */
  readonly sql: string;
  /** `sha256:<hex>` of the file's text (a TypeScript model's bundle): a changed model rebuilds. */
  readonly codeVersion: string;
  /** A TypeScript model's build function; undefined for SQL models. */
  readonly script?: ModelScript;
  /** The header's `checks:` list as written (data quality parses it); undefined when none. */
  readonly checks?: unknown;
}

/** A model file that cannot be used. Names the file and, where known, the line. */
export class ModelError extends AdeError {
  constructor(file: string, message: string, options: { line?: number; hint?: string } = {}) {
    super('model.invalid', `${file}${options.line ? `:${options.line}` : ''}: ${message}`, {
      hint: options.hint,
      details: { file, ...(options.line ? { line: options.line } : {}) },
    });
  }
}

const REF = /\bref\(\s*(['"])([^'"]*)\1\s*\)/g;
const HEADER_KEYS = ['kind', 'key', 'time', 'description', 'columns', 'checks'];

/**
 * Parses a SQL model: an optional leading block comment holding YAML (`kind`,
 * `key`, `time`, `description`, `columns`), then one SELECT that reads its
 * inputs through `ref('zone.table')`.
 *
 * @example
 * /*
 * kind: dimension
 * key: customer_id
 * description: One row per customer.
 * *\/
 * SELECT customer_id, plan, country FROM ref('clean.customers')
 */
export function parseSqlModel(text: string, path: string, projectDir: string): SqlModel {
  const { file, table } = modelLocation(path, projectDir);
  const normalized = text.replace(/\r\n?/g, '\n');
  let header: Record<string, unknown> = {};
  let body = normalized;
  let bodyLine = 1;
  const m = /^\s*\/\*([\s\S]*?)\*\//.exec(normalized);
  if (m) {
    const headerStart = normalized.slice(0, m.index + m[0].indexOf('/*')).split('\n').length;
    const doc = parseDocument(m[1]!, { prettyErrors: false });
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      throw new ModelError(file, `the header is not valid YAML: ${e.message.split('\n')[0]}`, { line: headerStart + (e.linePos?.[0]?.line ?? 1) - 1 });
    }
    const js = doc.toJS() as unknown;
    if (js !== null && js !== undefined && (typeof js !== 'object' || Array.isArray(js))) {
      throw new ModelError(file, 'the header must be a YAML mapping (kind: …, key: …)', { line: headerStart });
    }
    header = (js ?? {}) as Record<string, unknown>;
    body = normalized.slice(m.index + m[0].length);
    bodyLine = normalized.slice(0, m.index + m[0].length).split('\n').length;
  }
  for (const k of Object.keys(header)) {
    if (!HEADER_KEYS.includes(k)) throw new ModelError(file, `unknown header key ${JSON.stringify(k)}`, { hint: `allowed: ${HEADER_KEYS.join(', ')}` });
  }
  const { kind, key, time } = checkKind(file, header);
  const columnsRaw = header.columns ?? {};
  if (typeof columnsRaw !== 'object' || Array.isArray(columnsRaw) || columnsRaw === null) throw new ModelError(file, 'columns must map column names to their docs');
  const columns = Object.fromEntries(Object.entries(columnsRaw as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]));

  // refs: outside comments and string literals, which may mention ref( harmlessly.
  const inputs: TableRef[] = [];
  const seen = new Set<string>();
  const masked = maskCommentsAndStrings(body);
  let sql = '';
  let at = 0;
  for (const r of masked.matchAll(REF)) {
    const target = r[2]!;
    let ref: TableRef;
    try {
      ref = parseTableRef(target);
    } catch {
      const line = bodyLine + body.slice(0, r.index).split('\n').length - 1;
      throw new ModelError(file, `ref(${JSON.stringify(target)}) does not name a table as zone.table`, { line });
    }
    const key = formatTableRef(ref);
    if (!seen.has(key)) {
      seen.add(key);
      inputs.push(ref);
    }
    sql += body.slice(at, r.index) + `${quoteIdent(ref.zone)}.${quoteIdent(ref.name)}`;
    at = r.index! + r[0].length;
  }
  sql = expandSurrogateKeys((sql + body.slice(at)).trim().replace(/;\s*$/, ''), file);
  if (!/^(with|select|from|\()/i.test(maskCommentsAndStrings(sql).trim())) throw new ModelError(file, 'the model must be one SELECT (WITH … SELECT is fine)', { line: bodyLine });
  if (seen.has(formatTableRef(table))) throw new ModelError(file, 'a model cannot ref() its own table');
  return {
    table,
    file,
    kind,
    key,
    ...(time ? { time } : {}),
    description: typeof header.description === 'string' ? header.description.trim() : '',
    columns,
    inputs,
    sql,
    codeVersion: `sha256:${createHash('sha256').update(normalized).digest('hex')}`,
    ...(header.checks !== undefined ? { checks: header.checks } : {}),
  };
}

const SK = /\bsk\(\s*(['"])([^'"]*)\1\s*,/g;

/**
 * Replaces every `sk('zone.table', expr, …)` with the dimension's surrogate
 * key computed from the natural key expressions: a fact gets its dimension
 * keys without a lookup (UUIDv5 of the table and the key, as the dimension
 * computes them).
 */
function expandSurrogateKeys(sql: string, file: string): string {
  for (;;) {
    const masked = maskCommentsAndStrings(sql);
    SK.lastIndex = 0;
    const m = SK.exec(masked);
    if (!m) return sql;
    const target = m[2]!;
    try {
      parseTableRef(target);
    } catch {
      throw new ModelError(file, `sk(${JSON.stringify(target)}, …) does not name a dimension as zone.table`, { hint: "e.g. sk('model.customer_d', customer_id)" });
    }
    // The key expressions: up to the parenthesis that closes sk(, split at top-level commas.
    const args: string[] = [];
    let depth = 0;
    let from = m.index + m[0].length;
    let end = -1;
    for (let i = from; i < masked.length; i++) {
      const c = masked[i];
      if (c === '(') depth++;
      else if (c === ')' && depth > 0) depth--;
      else if (c === ')') {
        args.push(sql.slice(from, i).trim());
        end = i;
        break;
      } else if (c === ',' && depth === 0) {
        args.push(sql.slice(from, i).trim());
        from = i + 1;
      }
    }
    if (end < 0 || args.some((a) => a === '')) throw new ModelError(file, `sk(${JSON.stringify(target)}, …) needs key expressions and a closing parenthesis`, { hint: "e.g. sk('model.customer_d', customer_id)" });
    sql = sql.slice(0, m.index) + surrogateKeySql(target, args.map((a) => `(${a})`)) + sql.slice(end + 1);
  }
}

/** Where a model file puts its table: `models/<zone>/<name>.<ext>`, the zone one of MODEL_ZONES, the name a valid table name. */
export function modelLocation(path: string, projectDir: string): { file: string; table: TableRef } {
  const file = relative(projectDir, path).split(sep).join('/');
  const zone = basename(dirname(path));
  const name = basename(path).replace(/\.[a-z]+$/i, '');
  if (!(MODEL_ZONES as readonly string[]).includes(zone)) {
    throw new ModelError(file, `models live in models/<zone>/, with zone one of ${MODEL_ZONES.join(', ')}`, { hint: `move it to models/model/${basename(path)}` });
  }
  try {
    validateName('table', name);
  } catch {
    throw new ModelError(file, `${JSON.stringify(name)} is not a valid table name`, { hint: 'use lower-case letters, digits and _, starting with a letter' });
  }
  return { file, table: { zone, name } };
}

/**
 * A model's kind, natural key and time column from its header (or a
 * TypeScript model's export): dimension and current need a key, day and
 * current a time column.
 */
export function checkKind(file: string, header: { kind?: unknown; key?: unknown; time?: unknown }): { kind: ModelKind; key: string[]; time: string | undefined } {
  const kind = header.kind ?? 'report';
  if (typeof kind !== 'string' || !(MODEL_KINDS as readonly string[]).includes(kind)) {
    throw new ModelError(file, `kind must be one of ${MODEL_KINDS.join(', ')}`, { hint: 'e.g. kind: dimension' });
  }
  const keyRaw = header.key ?? [];
  const key = (Array.isArray(keyRaw) ? keyRaw : [keyRaw]).map(String);
  if ((kind === 'dimension' || kind === 'current') && key.length === 0) {
    throw new ModelError(file, `a ${kind} model needs a natural key`, { hint: 'e.g. key: customer_id (or key: [order_id, line])' });
  }
  const time = header.time === undefined || header.time === null ? undefined : String(header.time);
  if (kind === 'day' && !time) throw new ModelError(file, 'a day model needs a time column (its day partitions)', { hint: 'e.g. time: event_at' });
  if (kind === 'current' && !time) throw new ModelError(file, "a current model needs a time column: the change's position, latest wins", { hint: 'e.g. time: ts_ms (and an op column: c, u, d or r)' });
  return { kind: kind as ModelKind, key, time };
}

/** The text with comments and string literals blanked out (same length), so that matches keep their offsets. */
function maskCommentsAndStrings(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '-' && s[i + 1] === '-') {
      const end = s.indexOf('\n', i);
      const j = end < 0 ? s.length : end;
      out += ' '.repeat(j - i);
      i = j;
    } else if (c === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      const j = end < 0 ? s.length : end + 2;
      out += s.slice(i, j).replace(/[^\n]/g, ' ');
      i = j;
    } else if (c === "'") {
      let j = i + 1;
      while (j < s.length && !(s[j] === "'" && s[j + 1] !== "'")) j += s[j] === "'" ? 2 : 1;
      // ref('x') and sk('x', …) must stay visible: only literals not directly inside ref( or sk( are masked.
      const before = s.slice(Math.max(0, i - 8), i);
      out += /\b(?:ref|sk)\(\s*$/.test(before) ? s.slice(i, j + 1) : ' '.repeat(Math.min(j + 1, s.length) - i);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
