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

/** `line` undefined: a missing key, reported by its path alone. */
function failsAt(lines: string[], line: number | undefined, message: RegExp, hint?: RegExp): void {
  withProject(lines, (dir) =>
    assert.throws(
      () => loadProject(dir, {}),
      (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'config.invalid');
        assert.ok(e.message.startsWith(`${join(dir, 'ade.yaml')}${line === undefined ? '' : `:${line}`}: `), e.message);
        assert.match(e.message, message);
        if (hint) assert.match(e.hint ?? '', hint);
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

  it("should read exposures imported from Firebase, GrowthBook and Optimizely with each tool's column names", () => {
    const yaml = [
      ...HEAD,
      ...METRICS,
      'exposures: { format: firebase, table: clean.ga4_events }',
      'experiments:',
      '  onboarding:',
      '    variants: [control, short]',
      '    import: { id: 12 }',
      '    metrics: { primary: [purchased] }',
      '  checkout:',
      '    variants: [control, green]',
      '    exposures: { format: growthbook, table: clean.experiment_viewed, unit: anonymous_id }',
      '    import: { id: checkout-button }',
      '    metrics: { primary: [purchased] }',
      '  pricing:',
      '    variants: [control, cheaper]',
      '    exposures: { format: optimizely, table: clean.decisions, time: decision_timestamp }',
      '    import:',
      '      id: "20123456789"',
      '      variants: { "20111111111": control, 20122222222: cheaper }',
      '    metrics: { primary: [purchased] }',
      '  own:',
      '    variants: [control, green]',
      '    exposures: { table: clean.app, unit: user_id, variant: v, time: ts }',
      '    metrics: { primary: [purchased] }',
    ];
    withProject(yaml, (dir) => {
      const [firebase, growthbook, optimizely, own] = loadProject(dir, {}).experiments;
      assert.deepEqual(firebase!.exposures, { format: 'firebase', table: { zone: 'clean', name: 'ga4_events' }, unit: 'user_pseudo_id', variant: 'user_properties', time: 'event_timestamp' });
      assert.deepEqual(firebase!.import, { id: '12' });
      assert.deepEqual(growthbook!.exposures, { format: 'growthbook', table: { zone: 'clean', name: 'experiment_viewed' }, unit: 'anonymous_id', variant: 'variation_id', time: 'timestamp', key: 'experiment_id' });
      assert.deepEqual(growthbook!.import, { id: 'checkout-button' });
      assert.deepEqual(optimizely!.exposures, {
        format: 'optimizely',
        table: { zone: 'clean', name: 'decisions' },
        unit: 'visitor_id',
        variant: 'variation_id',
        time: 'decision_timestamp',
        key: 'experiment_id',
        holdback: 'is_holdback',
      });
      assert.deepEqual(optimizely!.import, { id: '20123456789', variants: { '20111111111': 'control', '20122222222': 'cheaper' } });
      assert.equal(own!.exposures.format, undefined, 'ade exposures read as before');
      assert.equal(own!.import, undefined);
    });
  });

  it('should ask an imported experiment for its id in the tool, and check the variant map', () => {
    const exp = (exposures: string, ...body: string[]) => [...HEAD, ...METRICS, `exposures: ${exposures}`, 'experiments:', '  checkout:', '    variants: [control, green]', '    metrics: { primary: [purchased] }', ...body];
    const line = HEAD.length + METRICS.length + 3;
    failsAt(exp('{ format: firebase, table: clean.ga4_events }'), undefined, /experiments\.checkout\.import\.id: firebase exposures need the experiment's id in firebase/, /import: \{ id: 12 \}.*firebase_exp_12/);
    failsAt(exp('{ format: growthbook, table: clean.viewed }', '    import: { variants: { "0": control } }'), undefined, /experiments\.checkout\.import\.id: growthbook exposures need the experiment's id/, /experiment_id/);
    failsAt(exp('{ format: optimizely, table: clean.decisions }', '    import: { id: 9001 }'), undefined, /experiments\.checkout\.import\.variants: optimizely exposures need the variation ids mapped/);
    failsAt(exp('{ format: optimizely, table: clean.decisions }', '    import: { id: 9001, variants: { "7001": control, "7002": blue } }'), line + 3, /import\.variants\.7002: "blue" is not a variant of this experiment/, /variants: control, green/);
    failsAt(exp('{ format: amplitude, table: clean.decisions }'), HEAD.length + METRICS.length + 1, /exposures\.format: unknown exposure format "amplitude"/, /formats are ade, firebase, growthbook, optimizely/);
    failsAt(exp('{ format: firebase, table: clean.ga4_events, key: experiment_id }', '    import: { id: 12 }'), HEAD.length + METRICS.length + 1, /exposures\.key: firebase exposures find the experiment by its user property/);
    failsAt(exp('{ format: growthbook, table: clean.viewed }', '    import: { id: x, experiment: y }'), line + 3, /import\.experiment: unknown key/);
  });
});
