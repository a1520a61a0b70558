import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Lake } from '../lake/index.js';
import { openTempLake } from '../test-support/temp-lake.js';
import type { ExperimentConfig, MetricConfig } from './experiment-config.js';
import { exposureCountsSql, metricSumsSql, toVariantSums } from './metric-sql.js';

const ENGINEER = { name: 'test', role: 'engineer' } as const;
const DAY = 86_400_000;
const T0 = Date.parse('2026-10-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** 40 units: even ids see control, odd ids treatment, unit i first on day i % 5; unit 39 sees both (left out). */
const exposures = Array.from({ length: 40 }, (_, i) => ({ unit: `u${i}`, variant: i % 2 ? 'treatment' : 'control', at: T0 + (i % 5) * DAY }));
exposures.push({ unit: 'u39', variant: 'control', at: T0 + 6 * DAY }, { unit: 'u0', variant: 'control', at: T0 + 9 * DAY });
/** Orders: unit i orders i % 4 times, day 1, 3, 8 and 12 after its exposure, amount 10 + i; one order of unit 2 comes before its exposure. */
const orders = exposures.slice(0, 40).flatMap((e, i) => Array.from({ length: i % 4 }, (_, k) => ({ customer: e.unit, total: 10 + i, at: e.at + [1, 3, 8, 12][k]! * DAY + 3_600_000 })));
orders.push({ customer: 'u2', total: 99, at: T0 + 2 * DAY - 3 * DAY });

const experiment: ExperimentConfig = {
  key: 'checkout',
  status: 'running',
  variants: [
    { name: 'control', weight: 1 },
    { name: 'treatment', weight: 1 },
  ],
  coverage: 1,
  seed: 'checkout',
  targeting: {},
  exposures: { table: { zone: 'clean', name: 'exposures' }, unit: 'unit_id', variant: 'variant', time: 'exposed_at', key: 'experiment_key' },
  metrics: { primary: ['purchased'], secondary: [], guardrails: [] },
  alpha: 0.05,
};
const orderRows = { table: { zone: 'clean', name: 'orders' }, unit: 'customer_id', time: 'ordered_at', value: 'total' } as const;
const AS_OF = new Date(T0 + 30 * DAY);

/** What the SQL must give, computed here row by row. */
function expected(metric: 'binomial' | 'mean', windowDays: number | undefined, covariateDays?: number) {
  const units = new Map<string, { variant: string; at: number }>();
  const seen = new Map<string, Set<string>>();
  for (const e of exposures) {
    seen.set(e.unit, (seen.get(e.unit) ?? new Set()).add(e.variant));
    const u = units.get(e.unit);
    if (!u || e.at < u.at) units.set(e.unit, { variant: e.variant, at: e.at });
  }
  const out = new Map<string, { n: number; sumY: number; sumY2: number; sumX: number; sumX2: number; sumXY: number }>();
  for (const [unit, u] of units) {
    if (seen.get(unit)!.size > 1) continue;
    const mine = orders.filter((o) => o.customer === unit);
    const inWin = mine.filter((o) => o.at >= u.at && (windowDays === undefined || o.at < u.at + windowDays * DAY));
    const pre = covariateDays === undefined ? [] : mine.filter((o) => o.at < u.at && o.at >= u.at - covariateDays * DAY);
    const y = metric === 'binomial' ? (inWin.length ? 1 : 0) : inWin.reduce((s, o) => s + o.total, 0);
    const x = metric === 'binomial' ? (pre.length ? 1 : 0) : pre.reduce((s, o) => s + o.total, 0);
    const v = out.get(u.variant) ?? { n: 0, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0 };
    v.n++;
    v.sumY += y;
    v.sumY2 += y * y;
    v.sumX += x;
    v.sumX2 += x * x;
    v.sumXY += x * y;
    out.set(u.variant, v);
  }
  return out;
}

describe('experiment metrics in SQL', () => {
  let dir: string;
  let lake: Lake;

  before(async () => {
    ({ dir, lake } = await openTempLake('ade-metric-sql-'));
    const values = (rows: string[]) => rows.join(', ');
    await lake.writeSelect(ENGINEER, {
      table: { zone: 'clean', name: 'exposures' },
      mode: 'replace',
      sql: `SELECT * FROM (VALUES ${values(exposures.map((e) => `('checkout', '${e.unit}', '${e.variant}', TIMESTAMP '${iso(e.at)}')`))}, ('other', 'u1', 'control', TIMESTAMP '${iso(T0)}')) AS t(experiment_key, unit_id, variant, exposed_at)`,
    });
    await lake.writeSelect(ENGINEER, {
      table: { zone: 'clean', name: 'orders' },
      mode: 'replace',
      sql: `SELECT * FROM (VALUES ${values(orders.map((o) => `('${o.customer}', ${o.total}, TIMESTAMP '${iso(o.at)}')`))}) AS t(customer_id, total, ordered_at)`,
    });
  });
  after(async () => {
    await lake.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (sql: string) => {
    const session = await lake.session(ENGINEER);
    try {
      return (await session.query(sql)).rows;
    } finally {
      await session.close();
    }
  };

  for (const [name, metric, windowDays, covariateDays] of [
    ['binomial in 7 days', 'binomial', 7, undefined],
    ['mean in 10 days with a 5-day CUPED covariate', 'mean', 10, 5],
    ['mean until as-of', 'mean', undefined, undefined],
  ] as const) {
    it(`should aggregate ${name} per variant exactly as row-by-row`, async () => {
      const m: MetricConfig = {
        name: 'm',
        type: metric,
        source: orderRows,
        higherIsBetter: true,
        ...(windowDays ? { windowMs: windowDays * DAY } : {}),
        ...(covariateDays ? { covariateMs: covariateDays * DAY } : {}),
      };
      const got = (await run(metricSumsSql(experiment, m, AS_OF))).map(toVariantSums);
      const want = expected(metric, windowDays, covariateDays);
      assert.deepEqual(got.map((v) => v.variant), ['control', 'treatment']);
      for (const v of got) {
        const w = want.get(v.variant)!;
        assert.equal(v.n, w.n, `${v.variant} n`);
        assert.equal(v.sumY, w.sumY, `${v.variant} Σy`);
        assert.equal(v.sumY2, w.sumY2, `${v.variant} Σy²`);
        if (covariateDays) {
          assert.equal(v.sumX, w.sumX, `${v.variant} Σx`);
          assert.equal(v.sumXY, w.sumXY, `${v.variant} Σxy`);
        } else assert.equal(v.sumX, null);
      }
    });
  }

  it('should count units per variant and those seen in two variants apart', async () => {
    const rows = await run(exposureCountsSql(experiment, AS_OF));
    assert.deepEqual(
      rows.map((r) => [r.variant, Number(r.units)]),
      [
        ['control', 20],
        ['treatment', 19],
        [null, 1],
      ],
    );
  });

  it('should give a ratio metric the numerator and denominator sums and their cross product', async () => {
    const m: MetricConfig = { name: 'r', type: 'ratio', numerator: orderRows, denominator: { ...orderRows, value: '1' }, higherIsBetter: true };
    const got = (await run(metricSumsSql(experiment, m, AS_OF))).map(toVariantSums);
    const sums = expected('mean', undefined);
    const control = got.find((v) => v.variant === 'control')!;
    assert.equal(control.sumY, sums.get('control')!.sumY);
    const counts = exposures.slice(0, 39).filter((e, i) => i % 2 === 0 && e.unit !== 'u39').map((_, k) => (k * 2) % 4);
    assert.equal(control.sumX, counts.reduce((a, b) => a + b, 0));
  });

  it('should give a quantile metric its estimate inside an order-statistic interval', async () => {
    const m: MetricConfig = { name: 'q', type: 'quantile', source: orderRows, quantile: 0.5, higherIsBetter: true };
    const [control] = (await run(metricSumsSql(experiment, m, AS_OF))).map(toVariantSums);
    // 20 units: ranks ⌈10⌉ = 10, ⌊10 − 4.38⌋ = 5 and ⌈10 + 4.38⌉ = 15 of the sorted per-unit sums.
    const controlUnits = exposures.slice(0, 40).filter((e) => e.variant === 'control');
    const values = controlUnits.map((e) => orders.filter((o) => o.customer === e.unit && o.at >= e.at).reduce((a, o) => a + o.total, 0)).sort((a, b) => a - b);
    assert.deepEqual(control!.quantile, { estimate: values[9], lower: values[4], upper: values[14] });
  });
});
