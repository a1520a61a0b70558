import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Scorer } from '@ade/sdk';
import { PermissionError, ValidationError, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { MlError } from '../ml/ml-error.js';
import { asArtifactError, ModelRegistry } from '../ml/model-registry.js';
import { parseModelRef } from '../ml/model-ref.js';

export interface ModelRouteDeps {
  readonly lake: Lake;
  /** The server's ade version (recorded as the code version of nothing here, but the registry needs one). */
  readonly version: string;
  /** Rows one predict request may carry (default 100,000; the body limit applies too). */
  readonly maxPredictRows?: number;
  /** Compiled scorers kept in memory, by version (default 32). */
  readonly scorerCache?: number;
}

type Authed = FastifyRequest & { principal?: Principal };

/**
 * The model registry over HTTP. Every role reads: `GET /v1/models`,
 * `GET /v1/models/<model>` (versions, aliases, the manifest of the version
 * it names), `GET /v1/models/<model>/artifact` (the artifact JSON, exactly
 * the registered bytes, for the SDK's `fetchScorer`) and
 * `POST /v1/models/<model>/predict` (`{ rows: [...] }` → `{ model, version,
 * predictions }`, scored by the SDK's `Scorer`, so an app scoring locally
 * gets the same numbers). Admins move aliases: `POST /v1/models/<name>/promote`
 * (`{ version, alias }`, or the version in the path as `name@vN`) and
 * `POST /v1/models/<name>/rollback` (`{ alias }`). `<model>` is `name`,
 * `name@vN` or `name@alias`.
 */
export function registerModelRoutes(app: FastifyInstance, deps: ModelRouteDeps): void {
  const registry = new ModelRegistry(deps.lake, { codeVersion: deps.version });
  const maxRows = deps.maxPredictRows ?? 100_000;
  const cacheSize = deps.scorerCache ?? 32;
  // Versions are immutable: a compiled scorer is good for as long as its bytes are the registered ones.
  const scorers = new Map<string, Scorer>();
  const scorerFor = async (principal: Principal, ref: string) => {
    const resolved = await registry.resolve(principal, ref);
    const key = `${resolved.name}@v${resolved.version}:${resolved.record.artifactSha256}`;
    let scorer = scorers.get(key);
    if (scorer) {
      scorers.delete(key);
    } else {
      const text = await registry.artifactText(resolved.record);
      try {
        scorer = Scorer.load(text);
      } catch (e) {
        throw asArtifactError(e, `${resolved.name}@v${resolved.version}`);
      }
      if (scorers.size >= cacheSize) scorers.delete(scorers.keys().next().value!);
    }
    scorers.set(key, scorer);
    return { resolved, scorer };
  };
  const param = (request: FastifyRequest) => (request.params as { model: string }).model;
  // Refused before anything else is looked at: a non-admin learns nothing about the model.
  const assertAdmin = (principal: Principal) => {
    if (principal.role !== 'admin') throw new PermissionError(`the role ${principal.role} may not move model aliases`, { hint: 'promotions and rollbacks change what applications score with: they need an admin token' });
  };

  app.get('/v1/models', async (request: Authed) => {
    const models = await registry.list(request.principal!);
    return models.map((m) => ({
      name: m.name,
      versions: m.versions,
      aliases: Object.fromEntries(m.aliases.map((a) => [a.alias, a.version])),
      latest: { version: m.latest.version, task: m.latest.task, target: m.latest.target, metric: m.latest.metric, cvScore: m.latest.cvScore ?? null, table: m.latest.trainingTable, createdAt: m.latest.createdAt },
    }));
  });

  app.get('/v1/models/:model', async (request: Authed) => {
    const shown = await registry.show(request.principal!, param(request));
    return {
      model: shown.resolved.name,
      version: shown.resolved.version,
      ref: shown.resolved.ref,
      ...(shown.alias ? { resolvedThrough: shown.alias } : {}),
      manifest: shown.resolved.manifest,
      versions: shown.versions.map((v) => ({ version: v.version, aliases: v.aliases, metric: v.manifest.metric, cvScore: v.manifest.cvScore ?? null, createdAt: v.manifest.createdAt, createdBy: v.manifest.createdBy })),
      aliases: shown.aliases.map((a) => ({ alias: a.alias, version: a.version, updatedAt: a.updatedAt, updatedBy: a.updatedBy })),
      history: shown.history,
    };
  });

  app.get('/v1/models/:model/artifact', async (request: Authed, reply) => {
    const resolved = await registry.resolve(request.principal!, param(request));
    const text = await registry.artifactText(resolved.record);
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('etag', `"${resolved.record.artifactSha256}"`)
      .header('x-ade-model', `${resolved.name}@v${resolved.version}`)
      .send(text);
  });

  app.post('/v1/models/:model/predict', async (request: Authed) => {
    const body = (request.body ?? {}) as { rows?: unknown };
    const rows = body.rows;
    if (!Array.isArray(rows) || rows.some((r) => r === null || typeof r !== 'object' || Array.isArray(r))) {
      throw new ValidationError('the body needs rows: a list of objects keyed by input column', { hint: '{"rows": [{"tenure": 12, "plan": "pro"}]}' });
    }
    if (rows.length > maxRows) throw new ValidationError(`at most ${maxRows} rows per request, got ${rows.length}`, { hint: 'split the rows over several requests, or score a table with ade ml predict' });
    const { resolved, scorer } = await scorerFor(request.principal!, param(request));
    let predictions;
    try {
      predictions = scorer.predictMany(rows as Record<string, unknown>[]);
    } catch (e) {
      throw asArtifactError(e, `scoring with ${resolved.name}@v${resolved.version}`);
    }
    return { model: `${resolved.name}@v${resolved.version}`, version: resolved.version, ...(resolved.alias ? { alias: resolved.alias } : {}), predictions };
  });

  app.post('/v1/models/:model/promote', async (request: Authed) => {
    assertAdmin(request.principal!);
    const body = (request.body ?? {}) as { version?: unknown; alias?: unknown };
    const ref = parseModelRef(param(request));
    const alias = body.alias === undefined ? 'champion' : body.alias;
    if (typeof alias !== 'string') throw new ValidationError('alias must be a string', { hint: '{"version": 3, "alias": "champion"}' });
    let target: string;
    if (ref.kind === 'default') {
      if (typeof body.version !== 'number' || !Number.isSafeInteger(body.version)) {
        throw new MlError('ml.bad_option', 'say which version to promote', { hint: `POST /v1/models/${ref.name}/promote {"version": 3, "alias": "champion"}, or POST /v1/models/${ref.name}@v3/promote` });
      }
      target = `${ref.name}@v${body.version}`;
    } else {
      if (body.version !== undefined) throw new MlError('ml.bad_option', 'the path names the version already; leave version out of the body');
      target = param(request);
    }
    return registry.promote(request.principal!, target, alias);
  });

  app.post('/v1/models/:model/rollback', async (request: Authed) => {
    assertAdmin(request.principal!);
    const body = (request.body ?? {}) as { alias?: unknown };
    const alias = body.alias === undefined ? 'champion' : body.alias;
    if (typeof alias !== 'string') throw new ValidationError('alias must be a string', { hint: '{"alias": "champion"}' });
    return registry.rollback(request.principal!, param(request), alias);
  });
}
