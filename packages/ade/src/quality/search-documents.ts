/**
 * What catalog search finds: per table one `table` document, and per column
 * of its current schema a `column` and (once profiled) a `profile` document,
 * plus one `check` document per check with its latest result. Documents are
 * written in words people search for ("customer null", "failing"); values
 * of personal and sensitive columns never enter them.
 */
import type { CatalogStore, CheckResult, Column, SearchDoc, SearchHit, StoredProfile, TableInfo } from '../catalog/index.js';
import { formatTableRef, readableZones, type Role, type TableRef } from '../kernel/index.js';

/** Key prefixes of the documents this module writes (one per kind). */
export const SEARCH_KEY_PREFIXES = ['table:', 'column:', 'profile:', 'check:'] as const;

/** Most check results indexed per table (latest result of each check). */
const MAX_CHECKS = 1000;
/** Longest value (min, max, top) written into a profile document. */
const MAX_VALUE_CHARS = 40;

const HIDDEN = new Set<string>(['personal', 'sensitive']);

/** `customer_id` → `customer_id customer id`, so that searching "customer" finds it. */
function nameWords(name: string): string {
  const parts = name.split('_').filter((p) => p !== '');
  return parts.length > 1 ? `${name} ${parts.join(' ')}` : name;
}

const count = (n: number) => n.toLocaleString('en-US');

function value(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS - 1)}…` : s;
}

/** A sentence list: drops empty parts, ends each with a period. */
const sentences = (parts: readonly (string | false | undefined)[]) => parts.filter((p): p is string => Boolean(p)).map((p) => (/[.!?]$/.test(p) ? p : `${p}.`)).join(' ');

function tableDoc(table: TableInfo, columns: readonly Column[]): SearchDoc {
  const ref = formatTableRef(table);
  return {
    key: `table:${ref}`,
    kind: 'table',
    zone: table.zone,
    table: ref,
    title: ref,
    body: sentences([
      table.description,
      `${table.kind} in the ${table.zone} zone`,
      table.owner && `owner ${table.owner}`,
      table.tags.length > 0 && `tags ${table.tags.join(', ')}`,
      columns.length > 0 && `columns ${columns.map((c) => nameWords(c.name)).join(', ')}`,
    ]),
  };
}

function columnDoc(table: TableInfo, c: Column): SearchDoc {
  const ref = formatTableRef(table);
  return {
    key: `column:${ref}.${c.name}`,
    kind: 'column',
    zone: table.zone,
    table: ref,
    title: `${ref}.${c.name}`,
    body: sentences([
      nameWords(c.name),
      `type ${c.type}`,
      c.nullable ? 'nullable' : 'required',
      `privacy ${c.privacy}${HIDDEN.has(c.privacy) ? ' data' : ''}`,
      c.doc,
    ]),
  };
}

/** The part of a stored profile's column this module reads (see quality/profile-table.ts). */
interface ProfiledColumn {
  readonly name: string;
  readonly type?: string;
  readonly privacy?: string;
  readonly nulls: number;
  readonly nullRatio?: number;
  readonly distinct?: number;
  readonly distinctExact?: boolean;
  readonly min?: unknown;
  readonly max?: unknown;
  readonly mean?: number;
  readonly top?: readonly { readonly value: unknown; readonly count: number }[];
}

function profiledColumns(profile: unknown): Map<string, ProfiledColumn> {
  const columns = (profile as { columns?: unknown } | null)?.columns;
  const out = new Map<string, ProfiledColumn>();
  if (!Array.isArray(columns)) return out;
  for (const c of columns as unknown[]) {
    const p = c as Partial<ProfiledColumn> | null;
    if (p && typeof p.name === 'string' && typeof p.nulls === 'number') out.set(p.name, p as ProfiledColumn);
  }
  return out;
}

function nullWords(rows: number, p: ProfiledColumn): string {
  if (rows === 0) return 'empty, no rows';
  if (p.nulls === 0) return 'complete, every row has a value';
  const ratio = `${((p.nullRatio ?? p.nulls / rows) * 100).toFixed(1)}%`;
  if (p.nulls >= rows) return `entirely null: all ${count(rows)} values are null, empty, missing`;
  return `has nulls: ${count(p.nulls)} nulls, null ratio ${ratio}, missing values`;
}

function distinctWords(rows: number, p: ProfiledColumn): string | undefined {
  if (p.distinct === undefined) return undefined;
  const about = p.distinctExact === false ? 'about ' : '';
  const shape = p.distinct === 1 ? ', constant: a single value' : p.distinct > 1 && p.distinct >= rows - p.nulls ? ', unique values' : '';
  return `distinct ${about}${count(p.distinct)}${shape}`;
}

function profileDoc(table: TableInfo, c: Column, stored: StoredProfile, p: ProfiledColumn): SearchDoc {
  const ref = formatTableRef(table);
  // The catalog's class decides, and a profile that says personal is believed too.
  const showValues = !HIDDEN.has(c.privacy) && !(p.privacy !== undefined && HIDDEN.has(p.privacy));
  const top = showValues && p.top && p.top.length > 0 ? `top values ${p.top.map((t) => value(t.value)).join(', ')}` : undefined;
  return {
    key: `profile:${ref}.${c.name}`,
    kind: 'profile',
    zone: table.zone,
    table: ref,
    title: `${ref}.${c.name} profile`,
    body: sentences([
      `${nameWords(c.name)}: ${nullWords(stored.rows, p)}`,
      distinctWords(stored.rows, p),
      `${count(stored.rows)} rows in snapshot ${stored.snapshotId}`,
      showValues && p.min !== undefined && p.min !== null && `min ${value(p.min)}`,
      showValues && p.max !== undefined && p.max !== null && `max ${value(p.max)}`,
      showValues && typeof p.mean === 'number' && `mean ${Number(p.mean.toPrecision(6))}`,
      top,
    ]),
  };
}

const STATUS_WORDS: Readonly<Record<string, string>> = {
  fail: 'failing, fail, failed',
  pass: 'passing, pass, passed, ok',
  error: 'error, errored, broken: the check could not run',
  skipped: 'skipped, skip',
};

function checkDoc(table: TableInfo, r: CheckResult): SearchDoc {
  const ref = formatTableRef(table);
  return {
    key: `check:${r.checkId}`,
    kind: 'check',
    zone: table.zone,
    table: ref,
    title: r.check,
    body: sentences([
      STATUS_WORDS[r.status] ?? r.status,
      r.severity === 'warn' ? 'severity warn, warning' : `severity ${r.severity}`,
      r.message,
      r.failing !== undefined && `${count(r.failing)} failing rows`,
      `check ${r.checkId} on ${ref}`,
    ]),
  };
}

/** The documents of one table, built from what the catalog holds (pure). */
export function tableDocuments(table: TableInfo, columns: readonly Column[], profile: StoredProfile | undefined, checks: readonly CheckResult[]): SearchDoc[] {
  const profiled = profile ? profiledColumns(profile.profile) : new Map<string, ProfiledColumn>();
  const docs: SearchDoc[] = [tableDoc(table, columns)];
  for (const c of columns) {
    docs.push(columnDoc(table, c));
    const p = profiled.get(c.name);
    if (profile && p) docs.push(profileDoc(table, c, profile, p));
  }
  for (const r of checks) docs.push(checkDoc(table, r));
  return docs;
}

/** Reads a table's current schema, latest profile and latest check results into documents. */
async function buildDocuments(catalog: CatalogStore, table: TableInfo): Promise<SearchDoc[]> {
  const ref = formatTableRef(table);
  const [schema, profiles, checks] = await Promise.all([
    catalog.getSchema(table.currentSchemaId),
    catalog.listProfiles(ref, { scope: 'table', limit: 1 }),
    catalog.listCheckResults({ table: ref, latest: true, limit: MAX_CHECKS }),
  ]);
  return tableDocuments(table, schema.columns, profiles[0], checks);
}

/**
 * Rebuilds the search documents of one table; returns how many it wrote.
 * A table that does not exist (any more) is left without documents (0).
 *
 * @example
 * await indexTable(lake.catalog, { zone: 'clean', name: 'orders' });
 */
export async function indexTable(catalog: CatalogStore, ref: TableRef): Promise<number> {
  const table = await catalog.getTable(ref);
  const docs = table ? await buildDocuments(catalog, table) : [];
  // Built before removing: the table is missing from search only between two short transactions.
  await catalog.removeSearchDocs({ table: formatTableRef(ref) });
  await catalog.putSearchDocs(docs);
  return docs.length;
}

/** Removes the search documents of one table (after a drop). */
export async function removeTableDocs(catalog: CatalogStore, ref: TableRef): Promise<void> {
  await catalog.removeSearchDocs({ table: formatTableRef(ref) });
}

/**
 * Rebuilds the documents of every live table, and drops those of tables that
 * no longer exist; returns how many documents it wrote.
 */
export async function indexAllTables(catalog: CatalogStore): Promise<number> {
  const tables = await catalog.listTables();
  const docs: SearchDoc[] = [];
  for (const t of tables) docs.push(...(await buildDocuments(catalog, t)));
  for (const keyPrefix of SEARCH_KEY_PREFIXES) await catalog.removeSearchDocs({ keyPrefix });
  await catalog.putSearchDocs(docs);
  return docs.length;
}

/**
 * Searches the catalog as `role` may: only documents of zones the role may
 * read (intersected with `opts.zones` when given).
 *
 * @example
 * const hits = await searchCatalog(lake.catalog, principal.role, 'customer null', { kinds: ['column', 'profile'] });
 */
export async function searchCatalog(
  catalog: CatalogStore,
  role: Role,
  query: string,
  opts: { zones?: readonly string[]; kinds?: readonly string[]; limit?: number } = {},
): Promise<SearchHit[]> {
  const readable: readonly string[] = readableZones(role);
  const zones = opts.zones ? opts.zones.filter((z) => readable.includes(z)) : readable;
  return catalog.search(query, { ...opts, zones });
}
