import { api, ApiError } from '../api.js';
import type { Dashboard, DashboardTile, SavedQuery } from '../types.js';

/** Accepts the tile list under `tiles` (or `queries`), tiles as objects or bare query names. */
export function normalizeDashboard(raw: unknown, name: string): Dashboard {
  const d = (raw ?? {}) as { title?: unknown; tiles?: unknown; queries?: unknown; dashboard?: unknown };
  if (d.dashboard && typeof d.dashboard === 'object') return normalizeDashboard(d.dashboard, name);
  const list = Array.isArray(d.tiles) ? d.tiles : Array.isArray(d.queries) ? d.queries : [];
  const tiles: DashboardTile[] = list.flatMap((t: unknown) => (typeof t === 'string' ? [{ query: t }] : t && typeof t === 'object' && typeof (t as DashboardTile).query === 'string' ? [t as DashboardTile] : []));
  const extra = raw as { description?: unknown; dateRange?: unknown };
  return { name, title: typeof d.title === 'string' ? d.title : name, tiles, ...(extra.description !== undefined ? { description: extra.description } : {}), ...(extra.dateRange !== undefined ? { dateRange: extra.dateRange } : {}) };
}

export const dashboardPath = (name: string) => `/v1/dashboards/${encodeURIComponent(name)}`;
export const queryPath = (name: string) => `/v1/queries/${encodeURIComponent(name)}`;

/** A dashboard, or null when there is none by that name. */
export async function getDashboard(name: string): Promise<Dashboard | null> {
  try {
    return normalizeDashboard(await api.get<unknown>(dashboardPath(name)), name);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export async function putDashboard(name: string, d: Dashboard): Promise<void> {
  // The tiles go back as read (w, h and other fields kept); description and dateRange too.
  await api.put(dashboardPath(name), { title: d.title ?? name, ...(d.description !== undefined ? { description: d.description } : {}), ...(d.dateRange !== undefined ? { dateRange: d.dateRange } : {}), tiles: d.tiles });
}

/** Appends a tile for `query` to the dashboard `name`, creating the dashboard if it is missing. */
export async function addTile(name: string, tile: DashboardTile): Promise<Dashboard> {
  const d = (await getDashboard(name)) ?? { name, title: name, tiles: [] };
  const next = { ...d, tiles: [...d.tiles.filter((t) => t.query !== tile.query), tile] };
  await putDashboard(name, next);
  return next;
}

export function getQuery(name: string): Promise<SavedQuery> {
  return api.get<unknown>(queryPath(name)).then((raw) => {
    const q = raw as Partial<SavedQuery> & { query?: Partial<SavedQuery> };
    const body = q.query && typeof q.query === 'object' ? q.query : q;
    return { name, sql: String(body.sql ?? ''), ...(body.title ? { title: body.title } : {}), chart: body.chart ?? null };
  });
}

/** `$from` / `$to` in a query: the date-range filter passes only the ones it uses (an open end as a far date). */
export function rangeParams(sql: string, from: string, to: string): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  if (/\$from\b/.test(sql)) params.from = from || '1970-01-01';
  if (/\$to\b/.test(sql)) params.to = to || '9999-12-31';
  return Object.keys(params).length ? params : undefined;
}

/**
 * The range a dashboard opens with, from its `dateRange.default`: `30d`,
 * `12w`, `6m` (days, weeks, months up to `today`), `ytd`, `all`, or
 * `2026-01-01..2026-03-31`. Dates as `YYYY-MM-DD` (UTC); an empty end is
 * open. Anything else: undefined (the range stays open).
 */
export function defaultRange(spec: string | undefined, today: Date): { from: string; to: string } | undefined {
  if (!spec) return undefined;
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const text = spec.trim().toLowerCase();
  if (text === 'all') return { from: '', to: '' };
  if (text === 'ytd') return { from: `${today.getUTCFullYear()}-01-01`, to: day(today) };
  const fixed = /^(\d{4}-\d{2}-\d{2})?\s*\.\.\s*(\d{4}-\d{2}-\d{2})?$/.exec(text);
  if (fixed && (fixed[1] || fixed[2])) return { from: fixed[1] ?? '', to: fixed[2] ?? '' };
  const last = /^(\d{1,4})\s*([dwm])$/.exec(text);
  if (!last) return undefined;
  const n = Number(last[1]);
  const from = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  if (last[2] === 'd') from.setUTCDate(from.getUTCDate() - n);
  else if (last[2] === 'w') from.setUTCDate(from.getUTCDate() - 7 * n);
  else from.setUTCMonth(from.getUTCMonth() - n);
  return { from: day(from), to: day(today) };
}
