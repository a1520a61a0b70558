import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { NotFoundError, PermissionError, roleAtLeast, validateName, ValidationError, type Principal } from '../kernel/index.js';

type Authed = FastifyRequest & { principal?: Principal };

export const CHART_TYPES = ['bar', 'line', 'area', 'scatter', 'histogram'] as const;
export type ChartType = (typeof CHART_TYPES)[number];

/** How a result is drawn: the chart type and the columns on its axes (`y` one column or several, `series` splits by a column's values). */
export interface ChartSpec {
  readonly type: ChartType;
  readonly x?: string;
  readonly y?: string | readonly string[];
  readonly series?: string;
  readonly [more: string]: unknown;
}

/** A saved query: `queries/<name>.sql` in the project, its title, description and chart in a leading comment header. */
export interface SavedQuery {
  readonly sql: string;
  readonly title?: string;
  readonly description?: string;
  readonly chart?: ChartSpec;
}

export interface DashboardTile {
  readonly query: string;
  readonly chart?: ChartSpec;
  readonly title?: string;
  readonly w?: number;
  readonly h?: number;
}

/** A dashboard: `dashboards/<name>.yaml` in the project. */
export interface Dashboard {
  readonly title: string;
  readonly description?: string;
  /** The date-range filter: the UI runs each tile's SQL with `$from` and `$to` (ISO dates) as named params. */
  readonly dateRange?: { readonly column?: string; readonly default?: string };
  readonly tiles: readonly DashboardTile[];
}

const HEADER = /^--\s*(title|description|chart):[ \t]?(.*)$/;

/** Reads `queries/<name>.sql`: leading `-- title:`, `-- description:` and `-- chart: {json}` lines, then the SQL. */
export function parseQueryFile(text: string, where = 'query'): SavedQuery {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const meta: { title?: string; description?: string; chart?: ChartSpec } = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = HEADER.exec(lines[i]!);
    if (!m) break;
    const value = m[2]!.trim();
    if (m[1] === 'chart') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch (e) {
        throw new ValidationError(`${where}: the -- chart: line is not JSON: ${(e as Error).message}`, { code: 'validation.chart' });
      }
      meta.chart = checkChart(parsed, 'chart');
    } else meta[m[1] as 'title' | 'description'] = value;
  }
  return { ...meta, sql: lines.slice(i).join('\n').trim() };
}

/** Writes a saved query as its file: the comment header, then the SQL. */
export function formatQueryFile(q: SavedQuery): string {
  const header = [q.title !== undefined ? `-- title: ${q.title}` : '', q.description !== undefined ? `-- description: ${q.description}` : '', q.chart ? `-- chart: ${JSON.stringify(q.chart)}` : ''].filter(Boolean);
  return `${[...header, q.sql.trim()].join('\n')}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(message: string, name: string, hint?: string): ValidationError {
  return new ValidationError(message, { code: 'validation.field', details: { field: name }, ...(hint ? { hint } : {}) });
}

function only(body: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) throw field(`${where} has unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`, `${where}.${extra[0]}`, `fields: ${allowed.join(', ')}`);
}

function oneLine(v: unknown, name: string, max: number, required = false): string | undefined {
  if (v === undefined || v === null) {
    if (required) throw field(`${name} is required: a string`, name);
    return undefined;
  }
  if (typeof v !== 'string' || /[\r\n]/.test(v) || v.length > max || (required && !v.trim())) throw field(`${name} must be one line of text (at most ${max} characters)`, name);
  return v;
}

function column(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !v || v.length > 200 || /[\r\n]/.test(v)) throw field(`${name} must be a column name`, name);
  return v;
}

/** Checks a chart spec, naming the bad field (`chart.type`…); other fields are kept as they are. */
export function checkChart(v: unknown, name: string): ChartSpec {
  if (!isObject(v)) throw field(`${name} must be an object like {"type": "bar", "x": "day", "y": "n"}`, name);
  if (!(CHART_TYPES as readonly unknown[]).includes(v.type)) throw field(`${name}.type must be one of ${CHART_TYPES.join(', ')}`, `${name}.type`);
  const x = column(v.x, `${name}.x`);
  const series = column(v.series, `${name}.series`);
  let y: string | string[] | undefined;
  if (Array.isArray(v.y)) y = v.y.map((c, i) => column(c, `${name}.y[${i}]`)!).filter(Boolean);
  else y = column(v.y, `${name}.y`);
  if (JSON.stringify(v).length > 4000) throw field(`${name} is too large (at most 4000 characters of JSON)`, name);
  return { ...v, type: v.type as ChartType, ...(x !== undefined ? { x } : {}), ...(y !== undefined ? { y } : {}), ...(series !== undefined ? { series } : {}) };
}

/** Checks a PUT /v1/queries/:name body. */
export function checkQueryBody(body: unknown, name: string): SavedQuery {
  if (!isObject(body)) throw field('the body must be an object {"sql": …, "title"?, "description"?, "chart"?}', 'body');
  only(body, ['sql', 'title', 'description', 'chart', 'name'], 'body');
  if (body.name !== undefined && body.name !== name) throw field(`name ${JSON.stringify(body.name)} is not the name in the path (${name})`, 'name');
  if (typeof body.sql !== 'string' || !body.sql.trim()) throw field('sql is required: the query text', 'sql');
  if (body.sql.length > 100_000) throw field('sql is too long (at most 100000 characters)', 'sql');
  const sql = body.sql.trim();
  if (HEADER.test(sql.split('\n')[0]!)) throw field('sql may not start with a -- title:, -- description: or -- chart: comment (those are the fields)', 'sql');
  const title = oneLine(body.title, 'title', 200);
  const description = oneLine(body.description, 'description', 2000);
  const chart = body.chart === undefined || body.chart === null ? undefined : checkChart(body.chart, 'chart');
  return { sql, ...(title !== undefined ? { title } : {}), ...(description !== undefined ? { description } : {}), ...(chart ? { chart } : {}) };
}

/** Checks a dashboard (a PUT body or a file's YAML), naming the bad field (`tiles[2].query`…). */
export function checkDashboard(body: unknown, name: string): Dashboard {
  if (!isObject(body)) throw field('the dashboard must be an object {"title": …, "dateRange"?, "tiles": [...]}', 'body');
  only(body, ['title', 'description', 'dateRange', 'date_range', 'tiles', 'name'], 'body');
  if (body.name !== undefined && body.name !== name) throw field(`name ${JSON.stringify(body.name)} is not the name in the path (${name})`, 'name');
  const title = oneLine(body.title, 'title', 200, true)!;
  const description = oneLine(body.description, 'description', 2000);
  const range = body.dateRange ?? body.date_range;
  let dateRange: Dashboard['dateRange'];
  if (range !== undefined && range !== null) {
    if (!isObject(range)) throw field('dateRange must be an object {"column"?: …, "default"?: "30d"}', 'dateRange');
    only(range, ['column', 'default'], 'dateRange');
    const col = column(range.column, 'dateRange.column');
    const def = oneLine(range.default, 'dateRange.default', 100);
    dateRange = { ...(col !== undefined ? { column: col } : {}), ...(def !== undefined ? { default: def } : {}) };
  }
  if (!Array.isArray(body.tiles)) throw field('tiles is required: a list of {"query": <saved query name>, "chart"?, "w"?, "h"?}', 'tiles');
  if (body.tiles.length > 100) throw field('tiles: at most 100', 'tiles');
  const tiles = body.tiles.map((t: unknown, i: number): DashboardTile => {
    const at = `tiles[${i}]`;
    if (!isObject(t)) throw field(`${at} must be an object {"query": …}`, at);
    only(t, ['query', 'chart', 'title', 'w', 'h'], at);
    if (typeof t.query !== 'string') throw field(`${at}.query is required: a saved query's name`, `${at}.query`);
    try {
      validateName('name', t.query);
    } catch {
      throw field(`${at}.query ${JSON.stringify(t.query)} is not a saved query's name`, `${at}.query`, 'names start with a lower-case letter and use only a-z, 0-9 and _');
    }
    const size = (v: unknown, k: 'w' | 'h') => {
      if (v === undefined || v === null) return undefined;
      if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 12) throw field(`${at}.${k} must be a whole number 1 … 12`, `${at}.${k}`);
      return v as number;
    };
    const w = size(t.w, 'w');
    const h = size(t.h, 'h');
    const tileTitle = oneLine(t.title, `${at}.title`, 200);
    const chart = t.chart === undefined || t.chart === null ? undefined : checkChart(t.chart, `${at}.chart`);
    return { query: t.query, ...(chart ? { chart } : {}), ...(tileTitle !== undefined ? { title: tileTitle } : {}), ...(w !== undefined ? { w } : {}), ...(h !== undefined ? { h } : {}) };
  });
  return { title, ...(description !== undefined ? { description } : {}), ...(dateRange ? { dateRange } : {}), tiles };
}

/** A dashboard as its YAML file (snake_case `date_range`, as ade.yaml writes keys). */
export function formatDashboardFile(d: Dashboard): string {
  const { dateRange, ...rest } = d;
  const doc = { title: rest.title, ...(rest.description !== undefined ? { description: rest.description } : {}), ...(dateRange ? { date_range: dateRange } : {}), tiles: rest.tiles };
  return stringifyYaml(doc, { lineWidth: 0 });
}

async function writeAtomic(dir: string, file: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${file}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, join(dir, file));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

async function readIf(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function names(dir: string, ext: string): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return files
    .filter((f) => f.endsWith(ext))
    .map((f) => f.slice(0, -ext.length))
    .filter((n) => /^[a-z][a-z0-9_]{0,62}$/.test(n))
    .sort();
}

function nameParam(request: FastifyRequest, what: string): string {
  const name = (request.params as { name: string }).name;
  try {
    return validateName('name', name);
  } catch {
    throw new ValidationError(`invalid ${what} name ${JSON.stringify(name)}`, { code: 'validation.name', hint: 'names start with a lower-case letter and use only a-z, 0-9 and _ (at most 63 characters)', details: { field: 'name' } });
  }
}

function mayWrite(request: Authed, what: string): Principal {
  const principal = request.principal!;
  if (!roleAtLeast(principal.role, 'analyst')) throw new PermissionError(`the role ${principal.role} may not change ${what}`, { hint: 'saving needs an analyst, engineer or admin token' });
  return principal;
}

/**
 * Saved queries and dashboards, stored as files in the project so they are
 * reviewed in git: `queries/<name>.sql` (a `-- title:` / `-- description:` /
 * `-- chart: {json}` comment header, then the SQL) and
 * `dashboards/<name>.yaml`. Any token reads them; analyst and up write and
 * delete them (writes are atomic: a temporary file renamed over the old one).
 */
export function registerSavedRoutes(app: FastifyInstance, deps: { readonly projectDir?: string; readonly audit: (actor: string, action: string, target: string) => Promise<unknown> }): void {
  const base = () => {
    if (!deps.projectDir) throw new ValidationError('this server has no project to keep queries and dashboards in', { code: 'server.no_project' });
    return deps.projectDir;
  };
  const queriesDir = () => join(base(), 'queries');
  const dashboardsDir = () => join(base(), 'dashboards');

  const readQuery = async (name: string): Promise<SavedQuery> => {
    const text = await readIf(join(queriesDir(), `${name}.sql`));
    if (text === undefined) throw new NotFoundError('query', name, { hint: 'GET /v1/queries lists the saved queries' });
    return parseQueryFile(text, `queries/${name}.sql`);
  };
  const readDashboard = async (name: string): Promise<Dashboard> => {
    const text = await readIf(join(dashboardsDir(), `${name}.yaml`));
    if (text === undefined) throw new NotFoundError('dashboard', name, { hint: 'GET /v1/dashboards lists the dashboards' });
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new ValidationError(`dashboards/${name}.yaml is not valid YAML: ${(e as Error).message}`, { code: 'validation.yaml' });
    }
    return checkDashboard(doc, name);
  };

  app.get('/v1/queries', async () => {
    const list = await Promise.all(
      (await names(queriesDir(), '.sql')).map(async (name) => {
        try {
          const q = await readQuery(name);
          return { name, title: q.title ?? name, ...(q.description !== undefined ? { description: q.description } : {}), ...(q.chart ? { chart: q.chart } : {}) };
        } catch (e) {
          return { name, title: name, error: (e as Error).message };
        }
      }),
    );
    return { queries: list };
  });
  app.get('/v1/queries/:name', async (request) => {
    const name = nameParam(request, 'query');
    return { name, ...(await readQuery(name)) };
  });
  app.put('/v1/queries/:name', async (request: Authed) => {
    const principal = mayWrite(request, 'saved queries');
    const name = nameParam(request, 'query');
    const q = checkQueryBody(request.body, name);
    await writeAtomic(queriesDir(), `${name}.sql`, formatQueryFile(q));
    await deps.audit(principal.name, 'query.save', `queries/${name}.sql`);
    return { name, ...q };
  });
  app.delete('/v1/queries/:name', async (request: Authed) => {
    const principal = mayWrite(request, 'saved queries');
    const name = nameParam(request, 'query');
    if ((await readIf(join(queriesDir(), `${name}.sql`))) === undefined) throw new NotFoundError('query', name, { hint: 'GET /v1/queries lists the saved queries' });
    await rm(join(queriesDir(), `${name}.sql`));
    await deps.audit(principal.name, 'query.delete', `queries/${name}.sql`);
    return { deleted: name };
  });

  app.get('/v1/dashboards', async () => {
    const list = await Promise.all(
      (await names(dashboardsDir(), '.yaml')).map(async (name) => {
        try {
          const d = await readDashboard(name);
          return { name, title: d.title, ...(d.description !== undefined ? { description: d.description } : {}), tiles: d.tiles.length };
        } catch (e) {
          return { name, title: name, error: (e as Error).message };
        }
      }),
    );
    return { dashboards: list };
  });
  app.get('/v1/dashboards/:name', async (request) => {
    const name = nameParam(request, 'dashboard');
    return { name, ...(await readDashboard(name)) };
  });
  app.put('/v1/dashboards/:name', async (request: Authed) => {
    const principal = mayWrite(request, 'dashboards');
    const name = nameParam(request, 'dashboard');
    const d = checkDashboard(request.body, name);
    await writeAtomic(dashboardsDir(), `${name}.yaml`, formatDashboardFile(d));
    await deps.audit(principal.name, 'dashboard.save', `dashboards/${name}.yaml`);
    return { name, ...d };
  });
  app.delete('/v1/dashboards/:name', async (request: Authed) => {
    const principal = mayWrite(request, 'dashboards');
    const name = nameParam(request, 'dashboard');
    if ((await readIf(join(dashboardsDir(), `${name}.yaml`))) === undefined) throw new NotFoundError('dashboard', name, { hint: 'GET /v1/dashboards lists the dashboards' });
    await rm(join(dashboardsDir(), `${name}.yaml`));
    await deps.audit(principal.name, 'dashboard.delete', `dashboards/${name}.yaml`);
    return { deleted: name };
  });
}
