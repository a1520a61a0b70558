import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Lake } from '../lake/index.js';
import { QualityService } from '../quality/quality-service.js';
import { openTempLake } from '../test-support/temp-lake.js';
import { analyzeExperiment } from './analyze-experiment.js';
import type { ExperimentConfig, MetricConfig } from './experiment-config.js';

const ENGINEER = { name: 'test', role: 'engineer' } as const;
const ANALYST = { name: 'analyst', role: 'analyst' } as const;
const AS_OF = new Date('2026-11-01T00:00:00Z');

/** A deterministic uniform in [0, 1) from an integer and a salt, in SQL. */
const u = (expr: string, salt: number) => `((hash(${expr} * 7919 + ${salt}) % 1000000) / 1000000.0)`;

const metrics: MetricConfig[] = [
  { name: 'purchased', type: 'binomial', source: { table: { zone: 'clean', name: 'orders' }, unit: 'user_id', time: 'ts', value: '1' }, windowMs: 14 * 86_400_000, higherIsBetter: true },
  { name: 'revenue', type: 'mean', source: { table: { zone: 'clean', name: 'orders' }, unit: 'user_id', time: 'ts', value: 'amount' }, covariateMs: 30 * 86_400_000, higherIsBetter: true },
  { name: 'sessions', type: 'mean', source: { table: { zone: 'clean', name: 'sessions' }, unit: 'user_id', time: 'ts', value: '1' }, higherIsBetter: true },
  {
    name: 'revenue_per_session',
    type: 'ratio',
    numerator: { table: { zone: 'clean', name: 'orders' }, unit: 'user_id', time: 'ts', value: 'amount' },
    denominator: { table: { zone: 'clean', name: 'sessions' }, unit: 'user_id', time: 'ts', value: '1' },
    higherIsBetter: true,
  },
  { name: 'p90_revenue', type: 'quantile', quantile: 0.9, source: { table: { zone: 'clean', name: 'orders' }, unit: 'user_id', time: 'ts', value: 'amount' }, higherIsBetter: true },
];

const experiment = (key: string, overrides: Partial<ExperimentConfig> = {}): ExperimentConfig => ({
  key,
  status: 'running',
  variants: [
    { name: 'control', weight: 1 },
    { name: 'treatment', weight: 1 },
  ],
  coverage: 1,
  seed: key,
  targeting: {},
  exposures: { table: { zone: 'clean', name: 'exposures' }, unit: 'user_id', variant: 'variant', time: 'ts', key: 'experiment' },
  metrics: { primary: ['purchased'], secondary: ['revenue', 'sessions', 'revenue_per_session'], guardrails: ['p90_revenue'] },
  mde: 0.05,
  alpha: 0.05,
  ...overrides,
});

describe('analyzing an experiment on the lake', () => {
  let dir: string;
  let lake: Lake;

  before(async () => {
    ({ dir, lake } = await openTempLake('ade-analyze-', { threads: 2 }));
    // 20,000 users split evenly in `checkout`; in `broken`, a tenth of the treatment's exposures never got logged.
    await lake.writeSelect(ENGINEER, {
      table: { zone: 'clean', name: 'exposures' },
      mode: 'replace',
      sql: `SELECT e.experiment, 'u' || i AS user_id, CASE WHEN hash(i + e.salt) % 2 = 0 THEN 'control' ELSE 'treatment' END AS variant,
                   TIMESTAMP '2026-10-01' + to_seconds(CAST(${u('i', 1)} * 864000 AS BIGINT)) AS ts
              FROM range(20000) AS t(i), (VALUES ('checkout', 0), ('broken', 3)) AS e(experiment, salt)
             WHERE e.experiment = 'checkout' OR hash(i + e.salt) % 2 = 0 OR ${u('i', 9)} > 0.1`,
    });
    // Converting: 10% in control, 13% in treatment (a true lift of 30%), one order of 20–80 within a week of exposure;
    // plus orders from the month before exposure (CUPED's covariate) and sessions with no effect at all.
    await lake.writeSelect(ENGINEER, {
      table: { zone: 'clean', name: 'orders' },
      mode: 'replace',
      sql: `WITH x AS (SELECT user_id, variant, ts, CAST(substr(user_id, 2) AS BIGINT) AS i FROM clean.exposures WHERE experiment = 'checkout')
            SELECT user_id, ts + INTERVAL 2 DAY AS ts, round(20 + 60 * ${u('i', 3)}, 2) AS amount FROM x
             WHERE ${u('i', 2)} < CASE variant WHEN 'control' THEN 0.10 ELSE 0.13 END
            UNION ALL
            SELECT user_id, ts - INTERVAL 10 DAY, round(10 + 40 * ${u('i', 5)}, 2) FROM x WHERE ${u('i', 4)} < 0.3`,
      readTables: [{ zone: 'clean', name: 'exposures' }],
    });
    await lake.writeSelect(ENGINEER, {
      table: { zone: 'clean', name: 'sessions' },
      mode: 'replace',
      sql: `SELECT 'u' || i AS user_id, TIMESTAMP '2026-10-12' + to_seconds(k * 3600) AS ts FROM range(20000) AS t(i), range(3) AS s(k) WHERE ${u('i * 3 + k', 6)} < 0.7`,
    });
  });
  after(async () => {
    await lake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should find the true effect, no effect where there is none, and store the analysis once per as-of', async () => {
    const a = await analyzeExperiment(lake, ANALYST, experiment('checkout'), metrics, { asOf: AS_OF });
    assert.equal(a.srm?.mismatch, false);
    assert.equal(a.units.reduce((n, x) => n + x.units, 0), 20_000);
    const by = new Map(a.metrics.map((m) => [m.metric, m]));
    assert.deepEqual([...by.keys()], ['purchased', 'revenue', 'sessions', 'revenue_per_session', 'p90_revenue']);
    for (const m of a.metrics) assert.equal(m.error, undefined, `${m.metric}: ${m.error?.message}`);

    const purchased = by.get('purchased')!;
    const [cmp] = purchased.comparisons;
    assert.ok(cmp!.frequentist.relative!.pValue < 1e-6, `p ${cmp!.frequentist.relative!.pValue}`);
    const [lo, hi] = cmp!.frequentist.relative!.ci;
    assert.ok(lo < 0.3 && 0.3 < hi, `the true lift 0.3 is inside [${lo}, ${hi}]`);
    assert.ok(cmp!.bayesian.relative!.chanceToWin > 0.999);
    assert.ok(cmp!.sequential.relative!.ci[0] > 0, 'the sequential interval excludes 0 too');
    assert.ok(cmp!.adjustedPValue >= cmp!.frequentist.relative!.pValue, 'Holm never lowers a p-value');
    assert.ok(purchased.power && purchased.power.mdeRelative! > 0 && purchased.power.unitsPerVariantForMde! > 10_000);

    const sessions = by.get('sessions')!.comparisons[0]!;
    assert.ok(sessions.frequentist.relative!.pValue > 0.05, `no effect on sessions: p ${sessions.frequentist.relative!.pValue}`);
    const revenue = by.get('revenue')!;
    assert.ok(revenue.cuped && Number.isFinite(revenue.cuped.theta), 'revenue is CUPED-adjusted');
    assert.ok(revenue.variants.every((v) => v.unadjusted !== undefined));

    const again = await analyzeExperiment(lake, ANALYST, experiment('checkout'), metrics, { asOf: AS_OF });
    // DuckDB sums in parallel, in no fixed order: the same data gives the same analysis up to the last bits of a double.
    const close = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
    again.metrics.forEach((m, i) =>
      m.variants.forEach((v, k) => {
        const was = a.metrics[i]!.variants[k]!;
        assert.equal(v.n, was.n);
        assert.ok(close(v.estimate, was.estimate), `${m.metric} ${v.variant}: ${v.estimate} vs ${was.estimate}`);
      }),
    );
    const stored = await lake.catalog.listExperimentAnalyses('checkout');
    assert.equal(stored.length, 1, 'analysed twice as of the same time: stored once');
    assert.deepEqual((stored[0]!.result as { units: unknown }).units, a.units);
  });

  it('should flag a broken split and raise a data-quality alert for it', async () => {
    const quality = new QualityService(lake, { project: 'test', checks: [], timeColumns: new Map(), sinks: [], profileOnCommit: false, deferProfiles: true });
    const a = await analyzeExperiment(lake, ANALYST, experiment('broken', { metrics: { primary: ['purchased'], secondary: [], guardrails: [] } }), metrics, { asOf: AS_OF, quality });
    assert.equal(a.srm?.mismatch, true, JSON.stringify(a.srm));
    const alerts = await lake.catalog.listAlerts({ state: 'open' });
    assert.deepEqual(alerts.map((x) => x.checkId), ['clean.exposures/srm(broken)']);
    const [result] = await lake.catalog.listCheckResults({ checkId: 'clean.exposures/srm(broken)', latest: true });
    assert.equal(result!.status, 'fail');
    assert.match(result!.message, /sample ratio mismatch/);
  });

  it('should say which metric an experiment names but nobody defined', async () => {
    await assert.rejects(
      analyzeExperiment(lake, ANALYST, experiment('checkout', { metrics: { primary: ['bought'], secondary: [], guardrails: [] } }), metrics),
      /names metric bought, which is not defined/,
    );
  });
});
