/**
 * Full-text search over catalog documents (tables, columns, profiles, check
 * results). Documents live in `search_docs` in both dialects; SQLite indexes
 * them with an FTS5 external-content table (`search_fts`, kept in step by
 * triggers), Postgres with a generated, weighted `tsvector` and a GIN index.
 *
 * User text never reaches either query language as syntax: it is split into
 * words of letters and digits, every word must match (AND), and the last word
 * also matches as a prefix ("cust" finds customer) — ranked below whole words.
 */
import { assertZone, ValidationError } from '../kernel/index.js';
import { checkCount, checkText, type CatalogContext } from './catalog-context.js';
import { chunked, placeholders, type SqlExecutor, type SqlValue } from './sql-driver.js';

/** One searchable document. Replaced as a whole by `key`. */
export interface SearchDoc {
  /** Unique, e.g. `table:clean.orders`, `column:clean.orders.email`, `check:<checkId>`. */
  readonly key: string;
  readonly kind: 'table' | 'column' | 'profile' | 'check' | (string & {});
  /** The zone of the table the document describes (searches are filtered by readable zones). */
  readonly zone: string;
  /** `zone.name` of the table the document describes. */
  readonly table: string;
  /** Short and weighted higher than the body. */
  readonly title: string;
  readonly body: string;
}

/** One search result. */
export interface SearchHit {
  readonly key: string;
  readonly kind: string;
  readonly zone: string;
  readonly table: string;
  readonly title: string;
  /** A short extract of the body with matched words between `«` and `»`. */
  readonly snippet: string;
  /** Higher is better; comparable only within one result list. */
  readonly score: number;
}

export interface SearchOptions {
  /** Only documents of these zones (an empty list finds nothing). */
  readonly zones?: readonly string[];
  /** Only documents of these kinds (an empty list finds nothing). */
  readonly kinds?: readonly string[];
  /** Most hits returned (default 20, at most 200). */
  readonly limit?: number;
}

export const SEARCH_DEFAULT_LIMIT = 20;
export const SEARCH_MAX_LIMIT = 200;
/** Most words a query may have. */
export const SEARCH_MAX_WORDS = 16;

/** Markers around matched words in snippets. */
export const SNIPPET_START = '«';
export const SNIPPET_END = '»';

/** Title hits count this many times a body hit (bm25 column weights; Postgres A vs B weights). */
const TITLE_WEIGHT = 5;

/** Postgres text search configuration: stems like SQLite's porter tokenizer (nulls → null, failing → fail). */
export const PG_TS_CONFIG = 'english';

const SEARCH_HINT = 'search for words, e.g. ade search "customer null"';

/**
 * The words of a user query: runs of letters and digits, lower-cased. Every
 * other character (quotes, `*`, `-`, `:`, parentheses) only separates words,
 * exactly as both indexes tokenize text.
 */
export function queryWords(query: string): string[] {
  if (typeof query !== 'string' || query.trim() === '') {
    throw new ValidationError('the search query is empty', { code: 'validation.search_query', hint: SEARCH_HINT });
  }
  const words = query.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
  if (words.length === 0) {
    throw new ValidationError(`the search query ${JSON.stringify(query)} has no words to search for`, {
      code: 'validation.search_query',
      hint: SEARCH_HINT,
      details: { query },
    });
  }
  if (words.length > SEARCH_MAX_WORDS) {
    throw new ValidationError(`the search query has ${words.length} words; at most ${SEARCH_MAX_WORDS} are allowed`, {
      code: 'validation.search_query',
      hint: 'search for fewer, more specific words',
      details: { words: words.length },
    });
  }
  return words;
}

/**
 * The FTS5 query for `queryWords`: quoted words joined by AND, the last one
 * whole or as a prefix. The whole-word alternative counts twice in bm25, so
 * `null` ranks columns with nulls above merely nullable ones.
 * `["customer", "null"]` → `"customer" AND ("null" OR "null"*)`.
 */
export function sqliteMatch(words: readonly string[]): string {
  const quoted = words.map((w) => `"${w.replaceAll('"', '""')}"`);
  const last = quoted.pop()!;
  return [...quoted, `(${last} OR ${last}*)`].join(' AND ');
}

/**
 * The `to_tsquery` inputs for `queryWords`: `prefix` matches (the last word
 * as a prefix), `exact` adds to the rank of whole-word matches.
 * `["customer", "null"]` → `customer & null:*` and `customer & null`.
 */
export function postgresQueries(words: readonly string[]): { prefix: string; exact: string } {
  return { prefix: `${words.join(' & ')}:*`, exact: words.join(' & ') };
}

/** Adds or replaces (by key) documents. */
export async function putSearchDocs(tx: SqlExecutor, _ctx: CatalogContext, docs: readonly SearchDoc[]): Promise<void> {
  for (const d of docs) {
    checkText('key', d.key);
    checkText('kind', d.kind);
    assertZone(d.zone);
    for (const field of ['table', 'title', 'body'] as const) {
      if (typeof d[field] !== 'string') throw new ValidationError(`search document ${d.key}: ${field} must be a string`, { code: 'validation.invalid' });
    }
  }
  // The last document of a key wins, as if they were put one after the other.
  const byKey = new Map(docs.map((d) => [d.key, d]));
  for (const batch of chunked([...byKey.values()], 100)) {
    const values: SqlValue[] = batch.flatMap((d) => [d.key, d.kind, d.zone, d.table, d.title, d.body]);
    await tx.run(
      `INSERT INTO search_docs (doc_key, kind, zone, table_ref, title, body) VALUES ${batch.map(() => `(${placeholders(6)})`).join(', ')}
       ON CONFLICT (doc_key) DO UPDATE SET kind = excluded.kind, zone = excluded.zone, table_ref = excluded.table_ref, title = excluded.title, body = excluded.body`,
      values,
    );
  }
}

/**
 * Removes the documents of a table (`zone.name`), or those whose key starts
 * with `keyPrefix` (`''` removes every document), or both filters at once.
 * Returns how many were removed.
 */
export async function removeSearchDocs(tx: SqlExecutor, filter: { table?: string; keyPrefix?: string }): Promise<number> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (filter.table !== undefined) {
    where.push('table_ref = ?');
    params.push(checkText('table', filter.table));
  }
  if (filter.keyPrefix !== undefined && filter.keyPrefix !== '') {
    // Code points, as substr counts them in both dialects.
    where.push('substr(doc_key, 1, ?) = ?');
    params.push([...filter.keyPrefix].length, filter.keyPrefix);
  }
  if (filter.table === undefined && filter.keyPrefix === undefined) {
    throw new ValidationError('removing search documents needs a table or a key prefix', {
      code: 'validation.invalid',
      hint: "pass { table: 'clean.orders' }, { keyPrefix: 'column:' }, or { keyPrefix: '' } for every document",
    });
  }
  const r = await tx.run(`DELETE FROM search_docs${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, params);
  return r.changes;
}

type HitRow = { doc_key: string; kind: string; zone: string; table_ref: string; title: string; snippet: string | null; score: number | string };

/**
 * Documents matching every word of `query`, best first: title matches weigh
 * more than body matches (SQLite bm25, Postgres ts_rank_cd).
 * `validation.search_query` for a query without words.
 *
 * @example
 * const hits = await searchDocs(tx, ctx, 'customer null', { zones: ['clean', 'model'], limit: 10 });
 */
export async function searchDocs(tx: SqlExecutor, ctx: CatalogContext, query: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
  const words = queryWords(query);
  const limit = Math.min(checkCount('limit', opts.limit ?? SEARCH_DEFAULT_LIMIT), SEARCH_MAX_LIMIT);
  if (limit === 0 || opts.zones?.length === 0 || opts.kinds?.length === 0) return [];
  const where: string[] = [];
  const params: SqlValue[] = [];
  for (const [column, values] of [['d.zone', opts.zones], ['d.kind', opts.kinds]] as const) {
    if (values === undefined) continue;
    where.push(`${column} IN (${placeholders(values.length)})`);
    params.push(...values.map(String));
  }
  const filters = where.map((w) => ` AND ${w}`).join('');
  let rows: HitRow[];
  if (ctx.dialect === 'sqlite') {
    rows = await tx.query<HitRow>(
      `SELECT d.doc_key, d.kind, d.zone, d.table_ref, d.title,
              snippet(search_fts, 1, ?, ?, '…', 12) AS snippet,
              -bm25(search_fts, ${TITLE_WEIGHT}.0, 1.0) AS score
       FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid
       WHERE search_fts MATCH ?${filters}
       ORDER BY score DESC, d.doc_key
       LIMIT ${limit}`,
      [SNIPPET_START, SNIPPET_END, sqliteMatch(words), ...params],
    );
  } else {
    const q = postgresQueries(words);
    const weights = `'{0, 0, ${(1 / TITLE_WEIGHT).toFixed(2)}, 1}'`;
    // Ranked in the inner query; headlines (the costly part) only for the rows returned.
    rows = await tx.query<HitRow>(
      `SELECT h.doc_key, h.kind, h.zone, h.table_ref, h.title, ts_headline('${PG_TS_CONFIG}', h.body, h.q, ?) AS snippet, h.score
       FROM (
         SELECT d.doc_key, d.kind, d.zone, d.table_ref, d.title, d.body, q.q,
                ts_rank_cd(${weights}, d.tsv, q.q, 1) + ts_rank_cd(${weights}, d.tsv, e.e, 1) AS score
         FROM search_docs d, to_tsquery('${PG_TS_CONFIG}', ?) AS q(q), to_tsquery('${PG_TS_CONFIG}', ?) AS e(e)
         WHERE d.tsv @@ q.q${filters}
         ORDER BY score DESC, d.doc_key
         LIMIT ${limit}
       ) h
       ORDER BY h.score DESC, h.doc_key`,
      [
        `StartSel=${SNIPPET_START}, StopSel=${SNIPPET_END}, MaxWords=18, MinWords=6, ShortWord=1, MaxFragments=1, FragmentDelimiter=" … "`,
        q.prefix,
        q.exact,
        ...params,
      ],
    );
  }
  return rows.map((r) => ({
    key: r.doc_key,
    kind: r.kind,
    zone: r.zone,
    table: r.table_ref,
    title: r.title,
    snippet: r.snippet ?? '',
    score: Number(r.score),
  }));
}
