import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadProject } from '../cli/project.js';

const HEAD = ['name: shop', 'storage:', '  kind: local', '  root: .ade/lake', 'catalog:', '  kind: sqlite'];
const METRICS = [
  'metrics:',
  '  purchased:',
  '    type: binomial',
  '    table: model.order_f',
  '    unit: customer_id',
  '    time: ordered_at',
  "    where: status = 'completed'",
  '    window: 7d',
  '  revenue:',
  '    table: model.order_f',
  '    unit: customer_id',
  '    time: ordered_at',
  '    value: total',
  '    covariate: 14d',
  '  revenue_per_session:',
  '    type: ratio',
  '    numerator: { table: model.order_f, unit: customer_id, time: ordered_at, value: total }',
  '    denominator: { table: model.session_day_d, unit: customer_id, time: started_at }',
  '  p90_order:',
  '    type: quantile',
  '    quantile: 0.9',
  '    table: model.order_f',
  '    unit: customer_id',
  '    time: ordered_at',
  '    value: total',
];
const EXPOSURES = ['exposures: { table: clean.app_events, unit: user_id, variant: properties_variation_id, time: timestamp, key: properties_experiment_key }'];

function withProject<T>(lines: string[], fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'ade-exp-config-'));
  try {
    writeFileSync(join(dir, 'ade.yaml'), [...lines, ''].join('\n'));
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function failsAt(lines: string[], line: number, message: RegExp): void {
  withProject(lines, (dir) =>
    assert.throws(
      () => loadProject(dir, {}),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'config.invalid');
        assert.ok(e.message.startsWith(`${join(dir, 'ade.yaml')}:${line}: `), e.message);
        assert.match(e.message, message);
        return true;
      },
    ),
  );
}

describe('experiments and metrics in ade.yaml', () => {
  it('should read metrics of every type and an experiment with its defaults', () => {
    const yaml = [
      ...HEAD,
      ...METRICS,
      ...EXPOSURES,
      'experiments:',
      '  checkout_button:',
      '    hypothesis: A green button sells more',
      '    owner: growth',
      '    status: running',
      '    variants: [control, { name: green, weight: 2 }]',
      '    namespace: { name: checkout, range: [0, 0.5] }',
      '    targeting: { country: [US, GB] }',
      '    start: 2026-10-01',
      '    metrics: { primary: [purchased], secondary: [revenue, revenue_per_session], guardrails: [p90_order] }',
      '    mde: 0.02',
    ];
    withProject(yaml, (dir) => {
      const p = loadProject(dir, {});
      assert.deepEqual(p.metrics.map((m) => [m.name, m.type]), [
        ['purchased', 'binomial'],
        ['revenue', 'mean'],
        ['revenue_per_session', 'ratio'],
        ['p90_order', 'quantile'],
      ]);
      assert.equal(p.metrics[0]!.windowMs, 7 * 86_400_000);
      assert.equal(p.metrics[1]!.covariateMs, 14 * 86_400_000);
      assert.equal(p.metrics[2]!.denominator!.value, '1');
      const [e] = p.experiments;
      assert.equal(e!.key, 'checkout_button');
      assert.deepEqual(e!.variants, [
        { name: 'control', weight: 1 },
        { name: 'green', weight: 2 },
      ]);
      assert.equal(e!.seed, 'checkout_button');
      assert.equal(e!.coverage, 1);
      assert.equal(e!.alpha, 0.05);
      assert.equal(e!.exposures.key, 'properties_experiment_key');
      assert.deepEqual(e!.targeting, { country: ['US', 'GB'] });
      assert.equal(e!.start!.toISOString(), '2026-10-01T00:00:00.000Z');
    });
  });

  it('should say which line is wrong and why', () => {
    const exp = (...body: string[]) => [...HEAD, ...METRICS, ...EXPOSURES, 'experiments:', '  checkout:', ...body];
    failsAt(exp('    variants: [control]', '    metrics: { primary: [purchased] }'), HEAD.length + METRICS.length + 4, /variants: needs at least two variants/);
    failsAt(exp('    variants: [a, b]', '    metrics: { primary: [bought] }'), HEAD.length + METRICS.length + 5, /no metric "bought"/);
    failsAt(exp('    variants: [a, b]', '    metrics: { secondary: [revenue] }'), HEAD.length + METRICS.length + 5, /at least one primary metric/);
    failsAt(exp('    status: live', '    variants: [a, b]', '    metrics: { primary: [purchased] }'), HEAD.length + METRICS.length + 4, /unknown status "live"/);
    failsAt([...HEAD, 'metrics:', '  m:', '    type: mean', '    table: orders', '    unit: c', '    time: t'], HEAD.length + 4, /metrics\.m\.table: "orders" is not zone\.table/);
    failsAt([...HEAD, 'metrics:', '  m:', '    type: quantile', '    quantile: 2', '    table: a.b', '    unit: c', '    time: t'], HEAD.length + 4, /quantile: must be a number between 0 and 1/);
    failsAt([...HEAD, 'metrics:', '  m:', '    table: a.b', '    unit: c', '    time: t', '    where: x = 1; DROP TABLE y'], HEAD.length + 6, /one SQL expression/);
    failsAt([...HEAD, 'metrics:', '  m:', '    table: a.b', '    unit: c', '    time: t', '    window: soon'], HEAD.length + 6, /"soon" is not a duration/);
    failsAt([...HEAD, 'experiments:', '  e:', '    variants: [a, b]'], HEAD.length + 3, /exposures: is required/);
  });
});
