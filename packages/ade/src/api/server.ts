import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Writable } from 'node:stream';
import { writeArrow } from '../engine/index.js';
import { formatTableRef, parseTableRef, PermissionError, readableZones, RESTRICTED_ZONES, ValidationError, type Principal } from '../kernel/index.js';
import { mentionsTable, type Lake } from '../lake/index.js';
import type { QualityService } from '../quality/quality-service.js';
import { searchCatalog } from '../quality/search-documents.js';
import { authenticate } from './api-tokens.js';
import { httpError } from './http-errors.js';
import { openApiDocument } from './openapi.js';

/** Limits that keep one client from holding the server. */
export interface ServerLimits {
  /** Largest request body (bytes). */
  readonly bodyLimit: number;
  /** Time to receive a request's headers. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request. */
  readonly requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Rows a query returns at most (a request may ask for fewer). */
  readonly maxRows: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  bodyLimit: 1 << 20,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxRows: 1_000_000,
};

export interface ApiServerDeps {
  readonly lake: Lake;
  readonly quality: QualityService;
  /** Keys token hashes (checked to be strong before the server is built). */
  readonly secret: string;
  readonly version: string;
  readonly limits?: Partial<ServerLimits>;
  /** Where request failures with a 5xx are logged (with their cause). */
  readonly onError?: (e: unknown, request: string) => void;
}

type Authed = FastifyRequest & { principal?: Principal & { tokenId: string } };

const FORMATS = { json: 'application/json', ndjson: 'application/x-ndjson', csv: 'text/csv; charset=utf-8', arrow: 'application/vnd.apache.arrow.stream' } as const;

/**
 * The HTTP API over a lake: health and readiness (open), everything else
 * behind a bearer token and the token's role (deny by default), errors as
 * `{ error: { code, message, hint } }` mapped in one place (http-errors.ts).
 */
export function createApiServer(deps: ApiServerDeps): FastifyInstance {
  const limits = { ...DEFAULT_SERVER_LIMITS, ...deps.limits };
  const app = Fastify({
    bodyLimit: limits.bodyLimit,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.requestTimeoutMs,
    return503OnClosing: true,
    logger: false,
    forceCloseConnections: 'idle',
  });
  app.server.headersTimeout = limits.headersTimeoutMs;
  const { lake } = deps;
  const open = new Set(['/health', '/ready']);

  app.addHook('onRequest', async (request: Authed) => {
    const path = request.url.split('?')[0]!;
    if (open.has(path)) return;
    request.principal = await authenticate(lake.catalog, deps.secret, request.headers.authorization);
    void lake.catalog.touchApiToken(request.principal.tokenId).catch(() => undefined);
  });

  app.setErrorHandler(async (e, request, reply) => {
    const { status, body } = httpError(e);
    if (status >= 500) deps.onError?.(e, `${request.method} ${request.url}`);
    if (status === 401 || status === 403) {
      await lake.catalog
        .audit({ actor: (request as Authed).principal?.name ?? 'anonymous', action: 'api.denied', target: `${request.method} ${request.url.split('?')[0]}`, details: { code: body.error.code } })
        .catch(() => undefined);
    }
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply.status(404).send({ error: { code: 'http.not_found', message: `no route ${request.method} ${request.url.split('?')[0]}`, hint: 'GET /openapi.json lists the routes' } }),
  );

  app.get('/health', async () => ({ status: 'ok', version: deps.version }));
  app.get('/ready', async (_request, reply) => {
    try {
      await lake.catalog.listTables({ zones: ['clean'] });
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ error: { code: 'server.not_ready', message: 'the catalog cannot be reached' } });
    }
  });
  app.get('/openapi.json', async () => openApiDocument(deps.version));

  app.get('/v1/tables', async (request: Authed) => {
    const tables = await lake.tables(request.principal!);
    return tables.map((t) => ({ table: formatTableRef(t), kind: t.kind, description: t.description, owner: t.owner, tags: t.tags, snapshotId: t.currentSnapshotId ?? null }));
  });

  app.get('/v1/tables/:table', async (request: Authed) => {
    const ref = parseTableRef((request.params as { table: string }).table);
    const pinned = await lake.pin(request.principal!, ref);
    const history = await lake.catalog.history(ref, { limit: 20 });
    return {
      table: formatTableRef(ref),
      kind: pinned.table.kind,
      description: pinned.table.description,
      owner: pinned.table.owner,
      tags: pinned.table.tags,
      columns: pinned.schema.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, privacy: c.privacy, ...(c.doc ? { doc: c.doc } : {}) })),
      rows: pinned.files.reduce((n, f) => n + f.rows, 0),
      snapshots: history.map((s) => ({ id: s.id, operation: s.operation, committedAt: s.committedAt, committer: s.committer, summary: s.summary })),
    };
  });

  app.get('/v1/tables/:table/profile', async (request: Authed) => {
    const ref = parseTableRef((request.params as { table: string }).table);
    const pinned = await lake.pin(request.principal!, ref);
    if (!pinned.snapshot) return { table: formatTableRef(ref), snapshotId: null, rows: 0, columns: [] };
    const [stored] = await lake.catalog.listProfiles(formatTableRef(ref), { snapshotId: pinned.snapshot.id, scope: 'table', limit: 1 });
    if (stored) return stored.profile;
    const { profileTable } = await import('../quality/profile-table.js');
    return profileTable(lake, request.principal!, ref, { snapshotId: pinned.snapshot.id });
  });

  app.get('/v1/checks', async (request: Authed) => {
    const zones = new Set<string>(readableZones(request.principal!.role));
    const table = (request.query as { table?: string }).table;
    return (await lake.catalog.listCheckResults({ latest: true, limit: 1000, ...(table ? { table } : {}) })).filter((r) => zones.has(r.table.split('.')[0]!));
  });

  app.get('/v1/search', async (request: Authed) => {
    const { q, limit, kind } = request.query as { q?: string; limit?: string; kind?: string };
    if (!q) throw new ValidationError('missing q', { hint: 'GET /v1/search?q=customer+null' });
    return searchCatalog(lake.catalog, request.principal!.role, q, { ...(limit ? { limit: Number(limit) } : {}), ...(kind ? { kinds: kind.split(',') } : {}) });
  });

  app.post('/v1/query', async (request: Authed, reply) => {
    const body = (request.body ?? {}) as { sql?: unknown; format?: unknown; limit?: unknown };
    if (typeof body.sql !== 'string' || !body.sql.trim()) throw new ValidationError('the body needs sql: one SELECT', { hint: '{"sql": "SELECT …", "format": "json", "limit": 1000}' });
    const format = (body.format ?? 'json') as keyof typeof FORMATS;
    if (!(format in FORMATS)) throw new ValidationError(`unknown format ${JSON.stringify(body.format)}`, { hint: `use ${Object.keys(FORMATS).join(', ')}` });
    const limit = body.limit === undefined ? limits.maxRows : Number(body.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > limits.maxRows) throw new ValidationError(`limit must be 1 … ${limits.maxRows}`);
    const principal = request.principal!;
    const sql = body.sql.trim().replace(/;\s*$/, '');
    // A zone the role may not read is refused by name (403), not left to look missing.
    const readable = new Set<string>(readableZones(principal.role));
    const denied = RESTRICTED_ZONES.filter((z) => !readable.has(z) && new RegExp(`(^|[^a-z0-9_])"?${z}"?\\s*\\.`, 'i').test(sql));
    if (denied.length) throw new PermissionError(`the role ${principal.role} may not read the ${denied.join(', ')} zone`, { hint: 'ask for a token with a role that may (engineer reads raw, quarantine and archive)' });
    const session = await lake.session(principal, { forSql: sql });
    try {
      await auditRawReads(lake, principal, sql);
      await stream(reply, session, `SELECT * FROM (${sql}) AS _query LIMIT ${limit}`, format);
    } finally {
      await session.close();
    }
    return reply;
  });

  return app;
}

/** Every read of a restricted zone (raw, quarantine, archive) through the API goes into the audit log. */
async function auditRawReads(lake: Lake, principal: Principal, sql: string): Promise<void> {
  const tables = (await lake.tables(principal)).filter((t) => (RESTRICTED_ZONES as readonly string[]).includes(t.zone) && mentionsTable(sql, t.zone, t.name));
  if (tables.length) {
    await lake.catalog.audit({ actor: principal.name, action: 'query.restricted_read', target: tables.map(formatTableRef).join(','), details: { sql: sql.slice(0, 2000) } });
  }
}

/**
 * Streams a result: the status and headers go out with the first bytes, so a
 * query that fails before producing any (bad SQL, a refused table) still gets
 * a proper error status; one that fails later cuts the connection.
 */
async function stream(reply: FastifyReply, session: Awaited<ReturnType<Lake['session']>>, sql: string, format: keyof typeof FORMATS): Promise<void> {
  const raw = reply.raw;
  let started = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (!started) {
        started = true;
        reply.hijack();
        raw.writeHead(200, { 'content-type': FORMATS[format] });
      }
      if (raw.write(chunk)) done();
      else raw.once('drain', () => done());
    },
  });
  try {
    if (format === 'arrow') await writeArrow(session.stream(sql), out);
    else await session.writeTo(sql, format, out);
  } catch (e) {
    if (!started) throw e;
    raw.destroy(e as Error);
    return;
  }
  if (!started) {
    reply.hijack();
    raw.writeHead(200, { 'content-type': FORMATS[format] });
  }
  raw.end();
}
