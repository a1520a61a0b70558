import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { checkSqlParams } from '../engine/index.js';
import { formatTableRef, jsonDepth, NotFoundError, parseTableRef, PermissionError, readableZones, RESTRICTED_ZONES, roleAtLeast, ValidationError, type Principal } from '../kernel/index.js';
import { loadModels, ModelGraph, projectTimeColumns, runModels, selectModels } from '../models/index.js';
import type { SchedulerStatus } from '../schedule/index.js';
import type { Lake } from '../lake/index.js';
import type { QualityService } from '../quality/quality-service.js';
import { searchCatalog } from '../quality/search-documents.js';
import { AuthError, cachedAuthenticator, type AuthCacheOptions } from './api-tokens.js';
import type { Collector } from '../collector/collector.js';
import { MAX_REQUEST_BYTES, normalizeSegmentBatch, normalizeSegmentEvent, parseEventList, SEGMENT_TYPES, type SerializedEvent } from '../collector/segment-spec.js';
import { registerCdcRoutes } from './cdc-routes.js';
import { browserCollectorPath, registerCollectorCors } from './collector-cors.js';
import { clientErrorHandler } from './client-errors.js';
import { httpError } from './http-errors.js';
import { openApiDocument } from './openapi.js';
import { registerExperimentRoutes } from './experiment-routes.js';
import { registerModelRoutes } from './model-routes.js';
import { registerQualityRoutes } from './quality-routes.js';
import { registerSavedRoutes } from './saved-routes.js';
import { isApiPath, registerUi } from './ui-routes.js';
import type { ExperimentConfig, MetricConfig } from '../experiments/experiment-config.js';
import { QueryPool, type QueryJob, type QueryPoolConfig } from './query-pool.js';

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
  /** Deepest nesting of arrays and objects a JSON body may have. */
  readonly maxJsonDepth: number;
  /** Sustained requests per second per token, and the burst above it (a token bucket); past it: 429 with Retry-After. */
  readonly requestsPerSecond: number;
  readonly burst: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  bodyLimit: 1 << 20,
  maxJsonDepth: 32,
  requestsPerSecond: 50,
  burst: 200,
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
  /** The event collector (Segment API, /v1/events); without it those routes answer 404. */
  readonly collector?: Collector;
  /** The project folder (models/) and the sources' event-time columns: for lineage and triggered runs. */
  readonly project?: { readonly dir: string; readonly timeColumns: ReadonlyMap<string, string> };
  /** The scheduler `ade serve` runs (cron schedules, commit triggers): GET /v1/schedules shows it; without it that route answers 404. */
  readonly schedules?: { status(): SchedulerStatus };
  /**
   * For bench/collector.mjs only: `POST /v1/_bench/batch` authenticates and validates like `/v1/batch` but appends
   * nothing (the parse-only baseline), and `GET /v1/_bench/stats` shows the collector's buffer; both take a write key.
   */
  readonly benchEndpoints?: boolean;
  /** How long a verified token is trusted without asking the catalog again (a revoked token works at most this long); see `cachedAuthenticator`. */
  readonly authCache?: Partial<AuthCacheOptions>;
  /** The worker processes POST /v1/query runs in (size, memory limit, timeout…; see `QueryPoolConfig`); started with the first query, stopped when the server closes. */
  readonly queryWorkers?: Partial<QueryPoolConfig>;
  /** Origins whose pages may send events to the collector from a browser (`*`: any); none by default. See `registerCollectorCors`. */
  readonly collectorOrigins?: readonly string[];
  /** The project's experiments and metrics (ade.yaml): /v1/experiments. */
  readonly experiments?: { readonly experiments: readonly ExperimentConfig[]; readonly metrics: readonly MetricConfig[] };
  /** The built web UI (packages/ui/dist), served at `/`; without it (or without its index.html) `/` says how to build it. */
  readonly uiDir?: string;
}

type Authed = FastifyRequest & { principal?: Principal & { tokenId: string; source?: string } };

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
    // Node checks the header and request timeouts only every connectionsCheckingInterval (30 s by default):
    // checked often enough, a client trickling its headers is cut at the header timeout, not up to 30 s later.
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headersTimeoutMs / 2)) },
    clientErrorHandler: clientErrorHandler(),
  });
  const { lake } = deps;
  const open = new Set(['/health', '/ready']);

  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: limits.bodyLimit }, (_request, body, done) => {
    const text = body as string;
    const depth = jsonDepth(text);
    if (depth > limits.maxJsonDepth) {
      done(new ValidationError(`the JSON body nests ${depth} levels deep (at most ${limits.maxJsonDepth})`, { code: 'validation.json_depth' }), undefined);
      return;
    }
    try {
      done(null, text.trim() === '' ? undefined : JSON.parse(text));
    } catch (e) {
      done(new ValidationError(`the body is not valid JSON: ${(e as Error).message}`, { code: 'validation.json' }), undefined);
    }
  });

  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit: limits.bodyLimit }, (_request, body, done) => done(null, body));

  const authenticate = cachedAuthenticator(lake.catalog, deps.secret, deps.authCache);
  const buckets = new Map<string, { tokens: number; at: number }>();
  const touched = new Map<string, number>();
  const collectorPath = (path: string) =>
    /^\/v1\/(track|identify|page|screen|group|alias|batch)$/.test(path) || path.startsWith('/v1/events/') || path.startsWith('/v1/cdc/') || (deps.benchEndpoints === true && path.startsWith('/v1/_bench/'));
  app.addHook('onRequest', async (request: Authed, reply) => {
    const path = request.url.split('?')[0]!;
    if (open.has(path)) return;
    // The UI's files need no token (the app logs in with one); the API's paths all do.
    if (!isApiPath(path)) return;
    // A browser's CORS preflight carries no credentials; registerCollectorCors answers it.
    if (request.method === 'OPTIONS' && browserCollectorPath(path)) return;
    const collecting = collectorPath(path);
    request.principal = await authenticate(request.headers.authorization, collecting ? 'ingest' : 'api');
    // Last use is recorded at most once a minute per token, so requests do not each take the catalog's write lock.
    const now = Date.now();
    if (now - (touched.get(request.principal.tokenId) ?? 0) > 60_000) {
      touched.set(request.principal.tokenId, now);
      void lake.catalog.touchApiToken(request.principal.tokenId).catch(() => undefined);
    }
    // Event senders are held back by the buffer's disk budget (429 when full), not by a request rate.
    if (collecting) return;
    // A token bucket per token: `burst` requests at once, `requestsPerSecond` sustained.
    const b = buckets.get(request.principal.tokenId) ?? { tokens: limits.burst, at: now };
    b.tokens = Math.min(limits.burst, b.tokens + ((now - b.at) / 1000) * limits.requestsPerSecond);
    b.at = now;
    buckets.set(request.principal.tokenId, b);
    if (b.tokens < 1) {
      const wait = Math.ceil((1 - b.tokens) / limits.requestsPerSecond);
      return reply
        .status(429)
        .header('retry-after', String(Math.max(1, wait)))
        .send({ error: { code: 'http.rate_limited', message: `more than ${limits.requestsPerSecond} requests per second with this token`, hint: 'retry after the Retry-After seconds' } });
    }
    b.tokens -= 1;
  });

  app.setErrorHandler(async (e, request, reply) => {
    const { status, body } = httpError(e);
    if (status >= 500) deps.onError?.(e, `${request.method} ${request.url}`);
    if (status === 401 || status === 403) {
      await lake.catalog
        .audit({ actor: (request as Authed).principal?.name ?? (e instanceof AuthError ? e.actor : undefined) ?? 'anonymous', action: 'api.denied', target: `${request.method} ${request.url.split('?')[0]}`, details: { code: body.error.code } })
        .catch(() => undefined);
    }
    if (e instanceof Error && ['collector.buffer_full', 'query.busy'].includes((e as { code?: string }).code ?? '')) {
      reply.header('retry-after', String((e as { retryAfterSeconds?: number }).retryAfterSeconds ?? 5));
    }
    return reply.status(status).send(body);
  });
  const ui = registerUi(app, deps.uiDir);
  app.setNotFoundHandler(
    async (request, reply) =>
      ui.fallback(request, reply) ??
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

  // Who the token is: the UI asks this when it logs in.
  app.get('/v1/whoami', async (request: Authed) => ({ name: request.principal!.name, role: request.principal!.role, kind: 'api' }));

  registerSavedRoutes(app, {
    ...(deps.project ? { projectDir: deps.project.dir } : {}),
    audit: (actor, action, target) => lake.catalog.audit({ actor, action, target, details: {} }),
  });

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

  // The collector: Segment's tracking API and arbitrary events, answered 200 once durably buffered.
  if (deps.collector) {
    const collector = deps.collector;
    const accept = (request: Authed, events: readonly SerializedEvent[]) => {
      const count = events.length;
      const json = events.map((e) => e.json);
      // While the events wait for the disk only their JSON is kept: the parsed body dies young instead of being promoted with every request in flight.
      request.body = undefined;
      return collector.appendJson(request.principal!.source!, json).then(() => ({ success: true, events: count }));
    };
    for (const type of SEGMENT_TYPES) {
      app.post(`/v1/${type}`, { bodyLimit: MAX_REQUEST_BYTES }, async (request: Authed) => accept(request, [normalizeSegmentEvent(type, request.body, new Date())]));
    }
    app.post('/v1/batch', { bodyLimit: MAX_REQUEST_BYTES }, async (request: Authed) => accept(request, normalizeSegmentBatch(request.body, new Date())));
    registerCdcRoutes(app, { collector, lake });
    if (deps.collectorOrigins?.length) registerCollectorCors(app, deps.collectorOrigins);
    app.post('/v1/events/:stream', { bodyLimit: MAX_REQUEST_BYTES }, async (request: Authed) => {
      const stream = (request.params as { stream: string }).stream;
      if (stream !== request.principal!.source) throw new PermissionError(`this write key sends to ${request.principal!.source}, not ${stream}`);
      return accept(request, parseEventList(request.body, new Date()));
    });
    if (deps.benchEndpoints) {
      app.post('/v1/_bench/batch', { bodyLimit: MAX_REQUEST_BYTES }, async (request: Authed) => {
        collector.source(request.principal!.source!);
        return { success: true, events: normalizeSegmentBatch(request.body, new Date()).length };
      });
      // How long the event loop was held up (ms), since the last `?reset=1`: what a request waits for behind other work.
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      app.addHook('onClose', async () => loop.disable());
      app.get('/v1/_bench/stats', async (request) => {
        const eventLoop = { p50Ms: loop.percentile(50) / 1e6, p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6 };
        if ((request.query as { reset?: string }).reset === '1') loop.reset();
        return { ...collector.stats(), eventLoop };
      });
    }
  }

  // The audit log is for admins (as `ade audit list`); reading it is itself an admin act, but not logged (it would log its own reading).
  registerExperimentRoutes(app, { lake, quality: deps.quality, experiments: deps.experiments?.experiments ?? [], metrics: deps.experiments?.metrics ?? [] });
  registerModelRoutes(app, { lake, version: deps.version });
  registerQualityRoutes(app, { lake });

  app.get('/v1/audit', async (request: Authed) => {
    const principal = request.principal!;
    if (principal.role !== 'admin') throw new PermissionError(`the role ${principal.role} may not read the audit log`, { hint: 'the audit log is for admin tokens' });
    const { limit } = request.query as { limit?: string };
    const n = limit === undefined ? 100 : Number(limit);
    if (!Number.isSafeInteger(n) || n < 1 || n > 10_000) throw new ValidationError(`limit must be 1 … 10000`, { hint: 'GET /v1/audit?limit=100' });
    return lake.catalog.listAudit({ limit: n });
  });

  app.get('/v1/runs', async (request) => {
    const { kind, limit } = request.query as { kind?: string; limit?: string };
    return lake.catalog.listRuns({ ...(kind ? { kind } : {}), limit: limit ? Math.min(1000, Number(limit)) : 100 });
  });
  app.get('/v1/runs/:id', async (request) => {
    const run = await lake.catalog.getRun((request.params as { id: string }).id);
    if (!run) throw new NotFoundError('run', (request.params as { id: string }).id, { hint: 'GET /v1/runs lists them' });
    return run;
  });

  const runsInFlight = new Set<Promise<unknown>>();
  app.post('/v1/runs', async (request: Authed, reply) => {
    const principal = request.principal!;
    if (!roleAtLeast(principal.role, 'engineer')) throw new PermissionError(`the role ${principal.role} may not build models`, { hint: 'builds need an engineer or admin token' });
    if (!deps.project) throw new ValidationError('this server has no project to build', { code: 'server.no_project' });
    const body = (request.body ?? {}) as { select?: unknown; fullRefresh?: unknown };
    const select = body.select === undefined ? undefined : Array.isArray(body.select) && body.select.every((x) => typeof x === 'string') ? (body.select as string[]) : undefined;
    if (body.select !== undefined && !select) throw new ValidationError('select must be a list of patterns', { hint: '{"select": ["model.order_f+"]}' });
    const graph = await modelGraph(lake, deps.project.dir);
    // Patterns as `ade run --select`: `model.order_f+` is the model and everything downstream.
    const timeColumns = projectTimeColumns(graph, deps.project.timeColumns);
    const work = runModels(lake, principal, graph, { ...(select ? { select: selectModels(graph, select) } : {}), fullRefresh: body.fullRefresh === true, timeColumns })
      .catch((e: unknown) => deps.onError?.(e, 'POST /v1/runs (background build)'))
      .finally(() => runsInFlight.delete(work));
    runsInFlight.add(work);
    await lake.catalog.audit({ actor: principal.name, action: 'models.run', target: select?.join(',') ?? 'all', details: { fullRefresh: body.fullRefresh === true } });
    return reply.status(202).send({ accepted: true, hint: 'GET /v1/runs shows the builds as they go' });
  });
  // A graceful stop lets triggered builds finish.
  app.addHook('onClose', async () => {
    await Promise.allSettled([...runsInFlight]);
  });

  // The scheduler's cron schedules (next and last run) and commit triggers; any token from analyst up may read them.
  if (deps.schedules) {
    const schedules = deps.schedules;
    app.get('/v1/schedules', async (request: Authed) => {
      if (!roleAtLeast(request.principal!.role, 'analyst')) throw new PermissionError(`the role ${request.principal!.role} may not read the schedules`, { hint: 'use an analyst, engineer or admin token' });
      return schedules.status();
    });
  }

  app.get('/v1/lineage/:table', async (request: Authed) => {
    const ref = parseTableRef((request.params as { table: string }).table);
    const name = formatTableRef(ref);
    if (!(readableZones(request.principal!.role) as readonly string[]).includes(ref.zone)) throw new PermissionError(`the role ${request.principal!.role} may not read the ${ref.zone} zone`);
    if (!deps.project) throw new ValidationError('this server has no project', { code: 'server.no_project' });
    const graph = await modelGraph(lake, deps.project.dir);
    const model = graph.models.get(name);
    if (!model && !(await lake.catalog.getTable(ref))) throw new NotFoundError('table or model', name, { hint: 'GET /v1/tables lists the tables' });
    const upstream = graph.upstream(name);
    const downstream = graph.downstream(name);
    // The direct reads among the table and its up- and downstream: the edges of the lineage graph.
    const nodes = new Set([name, ...upstream, ...downstream]);
    const edges = [...nodes].flatMap((n) => (graph.models.get(n)?.inputs ?? []).map(formatTableRef).filter((i) => nodes.has(i)).map((i) => [i, n] as const));
    return {
      table: name,
      model: model ? { file: model.file, kind: model.kind, inputs: model.inputs.map(formatTableRef) } : null,
      upstream,
      downstream,
      edges,
    };
  });

  // User SQL runs in worker processes with their own memory and time limits: a runaway query takes down a worker, never the server.
  const queries = new QueryPool(lake.engine.config, deps.queryWorkers);
  app.addHook('onClose', async () => {
    await queries.close();
  });
  app.post('/v1/query', async (request: Authed, reply) => {
    const body = (request.body ?? {}) as { sql?: unknown; format?: unknown; limit?: unknown; params?: unknown };
    if (typeof body.sql !== 'string' || !body.sql.trim()) throw new ValidationError('the body needs sql: one SELECT', { hint: '{"sql": "SELECT … WHERE x = ?", "params": [1], "format": "json", "limit": 1000}' });
    const params = body.params === undefined || body.params === null ? undefined : checkSqlParams(body.params);
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
    // The worker gets exactly what the role may read (restricted-zone reads are audited as they are bound); it never sees the catalog.
    const session = await lake.sessionSpec(principal, { forSql: sql });
    await stream(reply, queries, { session, sql, ...(params ? { params } : {}), format, limit });
    return reply;
  });

  return app;
}

/**
 * Streams a result from a query worker: the status and headers go out with
 * the first bytes, so a query that fails before producing any (bad SQL, a
 * refused table, a timeout) still gets a proper error status; one that fails
 * later cuts the connection. A client that goes away cancels its query.
 */
async function stream(reply: FastifyReply, pool: QueryPool, job: QueryJob): Promise<void> {
  const raw = reply.raw;
  const gone = new AbortController();
  raw.once('close', () => {
    if (!raw.writableFinished) gone.abort();
  });
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    reply.hijack();
    raw.writeHead(200, { 'content-type': FORMATS[job.format] });
  };
  const write = (chunk: Buffer): Promise<void> | void => {
    start();
    if (raw.write(chunk)) return;
    return new Promise<void>((resolve, reject) => {
      const drained = () => {
        raw.off('close', closed);
        resolve();
      };
      const closed = () => {
        raw.off('drain', drained);
        reject(new Error('the client closed the connection'));
      };
      raw.once('drain', drained);
      raw.once('close', closed);
    });
  };
  try {
    await pool.run(job, write, { signal: gone.signal });
  } catch (e) {
    if (!started && gone.signal.aborted) {
      reply.hijack(); // nobody is left to answer
      return;
    }
    if (!started) throw e;
    raw.destroy(e as Error);
    return;
  }
  start();
  raw.end();
}

/** The project's models as a graph over the catalog's tables. */
async function modelGraph(lake: Lake, dir: string): Promise<ModelGraph> {
  const tables = new Set((await lake.catalog.listTables()).map((t) => formatTableRef(t)));
  return new ModelGraph(await loadModels(dir), tables);
}
