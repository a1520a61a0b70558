import type { FastifyInstance, FastifyRequest } from 'fastify';
import { analyzeExperiment, type ExperimentAnalysis } from '../experiments/analyze-experiment.js';
import type { ExperimentConfig, MetricConfig } from '../experiments/experiment-config.js';
import { NotFoundError, PermissionError, roleAtLeast, ValidationError, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import type { QualityService } from '../quality/quality-service.js';
import { dayBoundaries, DEFAULT_TIMELINE_POINTS, experimentTimeline, MAX_TIMELINE_POINTS } from '../experiments/experiment-timeline.js';

export interface ExperimentRouteDeps {
  readonly lake: Lake;
  readonly quality: QualityService;
  readonly experiments: readonly ExperimentConfig[];
  readonly metrics: readonly MetricConfig[];
}

type Authed = FastifyRequest & { principal?: Principal };

const CORRECTIONS = ['holm', 'benjamini-hochberg', 'none'] as const;

/**
 * The experiments of ade.yaml over HTTP: `GET /v1/experiments`,
 * `GET /v1/experiments/<key>` (definition, stored analyses, the latest one)
 * for every role, and `POST /v1/experiments/<key>/analyze` (analyst and up:
 * it runs queries) which stores and returns a new analysis.
 */
export function registerExperimentRoutes(app: FastifyInstance, deps: ExperimentRouteDeps): void {
  const find = (key: string) => {
    const e = deps.experiments.find((x) => x.key === key);
    if (!e) throw new NotFoundError('experiment', key, { hint: 'GET /v1/experiments lists them' });
    return e;
  };

  app.get('/v1/experiments', async () =>
    Promise.all(
      deps.experiments.map(async (e) => {
        const [latest] = await deps.lake.catalog.listExperimentAnalyses(e.key, { limit: 1 });
        return { key: e.key, status: e.status, hypothesis: e.hypothesis ?? null, owner: e.owner ?? null, variants: e.variants, metrics: e.metrics, lastAnalysis: latest?.asOf ?? null };
      }),
    ),
  );

  app.get('/v1/experiments/:key', async (request) => {
    const experiment = find((request.params as { key: string }).key);
    const analyses = await deps.lake.catalog.listExperimentAnalyses(experiment.key, { limit: 50 });
    return {
      experiment,
      analyses: analyses.map((a) => ({ id: a.id, asOf: a.asOf, computedAt: a.computedAt, computedBy: a.computedBy })),
      latest: (analyses[0]?.result as ExperimentAnalysis | undefined) ?? null,
    };
  });

  // Cumulative effect over time: the stored analyses by as-of time (each one is cumulative up to its as-of).
  app.get('/v1/experiments/:key/timeline', async (request) => {
    const experiment = find((request.params as { key: string }).key);
    return experimentTimeline(experiment.key, await deps.lake.catalog.listExperimentAnalyses(experiment.key, { limit: MAX_TIMELINE_POINTS * 4 }));
  });

  // Fills the timeline: up to `days` analyses at day boundaries since the start, stored as analyze stores them.
  app.post('/v1/experiments/:key/timeline', async (request: Authed) => {
    const principal = request.principal!;
    if (!roleAtLeast(principal.role, 'analyst')) throw new PermissionError(`the role ${principal.role} may not run analyses`, { hint: 'analyses run queries: they need an analyst token or stronger' });
    const experiment = find((request.params as { key: string }).key);
    const body = (request.body ?? {}) as { days?: unknown };
    const days = body.days === undefined ? DEFAULT_TIMELINE_POINTS : Number(body.days);
    if (!Number.isInteger(days) || days < 1 || days > MAX_TIMELINE_POINTS) throw new ValidationError(`days must be a whole number from 1 to ${MAX_TIMELINE_POINTS}`, { hint: '{"days": 14}' });
    for (const asOf of dayBoundaries(experiment, deps.lake.clock.now(), days)) {
      // Back-dated analyses record no sample-ratio check (that belongs to the latest data): no `quality`.
      await analyzeExperiment(deps.lake, principal, experiment, deps.metrics, { asOf, correction: 'holm' });
    }
    return experimentTimeline(experiment.key, await deps.lake.catalog.listExperimentAnalyses(experiment.key, { limit: MAX_TIMELINE_POINTS * 4 }));
  });

  app.post('/v1/experiments/:key/analyze', async (request: Authed) => {
    const principal = request.principal!;
    if (!roleAtLeast(principal.role, 'analyst')) throw new PermissionError(`the role ${principal.role} may not run analyses`, { hint: 'analyses run queries: they need an analyst token or stronger' });
    const experiment = find((request.params as { key: string }).key);
    const body = (request.body ?? {}) as { asOf?: unknown; correction?: unknown };
    let asOf: Date | undefined;
    if (body.asOf !== undefined) {
      asOf = typeof body.asOf === 'string' ? new Date(body.asOf) : new Date(NaN);
      if (Number.isNaN(asOf.getTime())) throw new ValidationError('asOf must be an ISO time', { hint: '{"asOf": "2026-11-01T00:00:00Z"}' });
    }
    const correction = body.correction ?? 'holm';
    if (!CORRECTIONS.includes(correction as (typeof CORRECTIONS)[number])) throw new ValidationError(`correction must be one of ${CORRECTIONS.join(', ')}`);
    return analyzeExperiment(deps.lake, principal, experiment, deps.metrics, {
      ...(asOf ? { asOf } : {}),
      correction: correction as (typeof CORRECTIONS)[number],
      quality: deps.quality,
    });
  });
}

