import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatTableRef, parseTableRef, readableZones, ValidationError, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';

export interface QualityRouteDeps {
  readonly lake: Lake;
}

type Authed = FastifyRequest & { principal?: Principal };

/** A `limit` query parameter: 1 … max, default `fallback`. */
function limitParam(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ValidationError(`limit must be a whole number from 1 to ${max}`, { code: 'validation.limit', details: { limit: value } });
  return n;
}

/**
 * Quality over time, for the web UI and scripts, each scoped to the zones
 * the token's role may read:
 *
 * - `GET /v1/checks/history?table=&check=&limit=`: check results, newest
 *   first, not only each check's latest (an anomaly check's band over time).
 * - `GET /v1/tables/<t>/profile/history?limit=`: per stored snapshot profile,
 *   each column's nulls and null ratio (null ratio over time), oldest first.
 * - `GET /v1/quality/staged?all=true`: writes blocked by error checks (all
 *   states with `all`), with rows, files and why; never the rows themselves.
 * - `GET /v1/alerts?state=open|closed`: alerts of failing checks.
 */
export function registerQualityRoutes(app: FastifyInstance, deps: QualityRouteDeps): void {
  const { lake } = deps;
  const readable = (request: Authed) => new Set<string>(readableZones(request.principal!.role));
  const inZones = (zones: Set<string>, table: string) => zones.has(table.split('.')[0]!);

  app.get('/v1/checks/history', async (request: Authed) => {
    const { table, check, limit } = request.query as { table?: string; check?: string; limit?: string };
    const zones = readable(request);
    const results = await lake.catalog.listCheckResults({
      limit: limitParam(limit, 200, 1000),
      ...(table ? { table: formatTableRef(parseTableRef(table)) } : {}),
      ...(check ? { checkId: check } : {}),
    });
    return results.filter((r) => inZones(zones, r.table));
  });

  app.get('/v1/tables/:table/profile/history', async (request: Authed) => {
    const ref = parseTableRef((request.params as { table: string }).table);
    // Pinning checks that the role may read the table (and that it exists).
    await lake.pin(request.principal!, ref);
    const limit = limitParam((request.query as { limit?: string }).limit, 30, 200);
    const stored = await lake.catalog.listProfiles(formatTableRef(ref), { scope: 'table', limit });
    return {
      table: formatTableRef(ref),
      points: stored
        .map((p) => {
          const profile = p.profile as { rows?: number; columns?: { name: string; nulls: number; nullRatio: number }[] };
          return {
            snapshotId: p.snapshotId,
            profiledAt: p.createdAt.toISOString(),
            rows: profile.rows ?? p.rows,
            columns: (profile.columns ?? []).map((c) => ({ name: c.name, nulls: c.nulls, nullRatio: c.nullRatio })),
          };
        })
        .reverse(),
    };
  });

  app.get('/v1/quality/staged', async (request: Authed) => {
    const zones = readable(request);
    const all = (request.query as { all?: string }).all === 'true';
    const list = await lake.catalog.listStagedSnapshots(all ? { limit: 500 } : { state: 'blocked', limit: 500 });
    return list
      .filter((s) => inZones(zones, s.table))
      .map((s) => ({
        id: s.id,
        table: s.table,
        operation: s.operation,
        state: s.state,
        batchId: s.batchId,
        reason: s.reason,
        committer: s.committer,
        createdAt: s.createdAt.toISOString(),
        ...(s.closedAt ? { closedAt: s.closedAt.toISOString() } : {}),
        files: s.files.length,
        rows: s.files.reduce((n, f) => n + f.rows, 0),
      }));
  });

  app.get('/v1/alerts', async (request: Authed) => {
    const zones = readable(request);
    const state = (request.query as { state?: string }).state;
    if (state !== undefined && state !== 'open' && state !== 'closed') throw new ValidationError('state must be open or closed', { hint: 'GET /v1/alerts?state=open' });
    const alerts = await lake.catalog.listAlerts({ limit: 500, ...(state ? { state } : {}) });
    return alerts.filter((a) => inZones(zones, a.table));
  });
}
