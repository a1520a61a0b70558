// Experiments end to end: exposures and orders loaded into the lake, metrics
// and an experiment in ade.yaml, `ade exp list|analyze|show` and the HTTP
// routes, with the analysis stored once per as-of time and role-scoped.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adeAsync, createToken, initServerProject, serverEnv, startServer, type Ran } from './support/cli.js';

const YAML = `
metrics:
  purchased:
    type: binomial
    table: clean.orders
    unit: user_id
    time: ordered_at
    window: 14d
  revenue:
    table: clean.orders
    unit: user_id
    time: ordered_at
    value: amount
exposures: { table: clean.exposures, unit: user_id, variant: variant, time: exposed_at, key: experiment }
experiments:
  checkout:
    hypothesis: A one-page checkout converts more
    owner: growth
    status: running
    variants: [control, one_page]
    metrics: { primary: [purchased], secondary: [revenue] }
    mde: 0.1
`;

/** A small deterministic generator (an LCG), so the data and its answers are the same on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('ade exp', () => {
  let dir: string;
  let project: string;
  let server: ChildProcess | undefined;
  const env = serverEnv();
  const run = (...args: string[]): Promise<Ran> => adeAsync(project, args, env);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ade-exp-'));
    project = await initServerProject(dir, env, YAML);
    // 4,000 users; the one-page checkout converts 20% against the control's 10%.
    const rand = lcg(7);
    const exposures = ['experiment,user_id,variant,exposed_at'];
    const orders = ['user_id,ordered_at,amount'];
    for (let i = 0; i < 4000; i++) {
      const variant = i % 2 ? 'one_page' : 'control';
      const day = 1 + (i % 20);
      exposures.push(`checkout,u${i},${variant},2026-10-${String(day).padStart(2, '0')} 10:00:00`);
      if (rand() < (variant === 'control' ? 0.1 : 0.2)) orders.push(`u${i},2026-10-${String(day + 2).padStart(2, '0')} 12:00:00,${(20 + rand() * 40).toFixed(2)}`);
    }
    writeFileSync(join(dir, 'exposures.csv'), exposures.join('\n') + '\n');
    writeFileSync(join(dir, 'orders.csv'), orders.join('\n') + '\n');
    for (const t of ['exposures', 'orders']) {
      const r = await run('--as', 'engineer', 'load', join(dir, `${t}.csv`), '--table', `clean.${t}`);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('should list, analyse and show an experiment, finding its effect', async () => {
    const list = await run('--json', 'exp', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).map((e: any) => [e.key, e.status, e.lastAnalysis]), [['checkout', 'running', null]]);

    const analyzed = await run('--json', 'exp', 'analyze', 'checkout', '--as-of', '2026-11-01');
    assert.equal(analyzed.code, 0, analyzed.stderr);
    const a = JSON.parse(analyzed.stdout);
    assert.deepEqual(a.units, [
      { variant: 'control', units: 2000 },
      { variant: 'one_page', units: 2000 },
    ]);
    assert.equal(a.srm.mismatch, false);
    const purchased = a.metrics.find((m: any) => m.metric === 'purchased');
    const [cmp] = purchased.comparisons;
    assert.ok(cmp.adjustedPValue < 0.001, `p ${cmp.adjustedPValue}`);
    assert.ok(cmp.frequentist.relative.ci[0] > 0.3, 'a lift near 100% is found');

    // The human form draws the interval and names the methods.
    const text = await run('exp', 'analyze', 'checkout', '--as-of', '2026-11-01');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /purchased.*primary, binomial/);
    assert.match(text.stdout, /chance to win/);
    assert.match(text.stdout, /●/);

    const shown = await run('--json', 'exp', 'show', 'checkout');
    const show = JSON.parse(shown.stdout);
    assert.equal(show.analyses.length, 1, 'analysed three times as of the same time: stored once');
    assert.equal(show.latest.metrics[0].comparisons[0].adjustedPValue, cmp.adjustedPValue);

    const unknown = await run('exp', 'analyze', 'nope');
    assert.equal(unknown.code, 5, unknown.stderr);
    assert.match(unknown.stderr, /experiments in ade.yaml: checkout/);
  });

  it('should serve experiments and their analyses by role', async () => {
    let url: string;
    ({ server, url } = await startServer(project, env));
    const analyst = await createToken(project, env, 'exp-analyst', { role: 'analyst' });
    const viewer = await createToken(project, env, 'exp-viewer', { role: 'viewer' });
    const call = (path: string, token: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const list = (await (await call('/v1/experiments', viewer)).json()) as any[];
    assert.deepEqual(list.map((e) => e.key), ['checkout']);
    assert.equal((await call('/v1/experiments/checkout/analyze', viewer, {})).status, 403);
    const res = await call('/v1/experiments/checkout/analyze', analyst, { asOf: '2026-11-01T00:00:00Z' });
    assert.equal(res.status, 200);
    const a = (await res.json()) as any;
    assert.equal(a.metrics.length, 2);
    const detail = (await (await call('/v1/experiments/checkout', viewer)).json()) as any;
    assert.equal(detail.analyses.length, 1, 'the same as-of from the CLI and the API: one stored analysis');
    assert.equal((await call('/v1/experiments/nope', viewer)).status, 404);
    server!.kill('SIGTERM');
  });

});

const IMPORTED_YAML = `
sources:
  ga4_events:                       # GA4's BigQuery export of a Firebase app, as NDJSON
    format: ndjson
    fields:
      user_id: tokenize
      user_pseudo_id: keep
      event_timestamp: keep
      user_properties: keep
      event_params: keep
  experiment_viewed:                # GrowthBook's trackingCallback, exported as CSV
    format: csv
    fields:
      user_id: keep
      anonymous_id: keep
metrics:
  app_purchased:
    type: binomial
    table: model.ga4_event_f
    unit: user_pseudo_id
    time: event_at
    where: event_name = 'purchase'
  app_revenue:
    table: model.ga4_event_f
    unit: user_pseudo_id
    time: event_at
    value: coalesce(event_value_in_usd, 0)
  web_purchased:
    type: binomial
    table: clean.web_orders
    unit: user_id
    time: ordered_at
experiments:
  short_onboarding:
    status: running
    variants: [control, short]
    exposures: { format: firebase, table: clean.ga4_events }
    import: { id: 7 }
    metrics: { primary: [app_purchased], secondary: [app_revenue] }
  one_page_checkout:
    status: running
    variants: [control, one_page]
    exposures: { format: growthbook, table: clean.experiment_viewed }
    import: { id: checkout-one-page }
    metrics: { primary: [web_purchased] }
`;

/** A GA4 export row as BigQuery writes it to NDJSON: INT64 as strings, repeated records as lists, absent values as null. */
function ga4Event(user: { pseudo: string; id: string | null; props: object[] }, name: string, micros: number, extra: Record<string, unknown> = {}): object {
  return {
    event_date: new Date(micros / 1000).toISOString().slice(0, 10).replaceAll('-', ''),
    event_timestamp: String(micros),
    event_name: name,
    event_params: [
      { key: 'ga_session_id', value: { string_value: null, int_value: String(Math.floor(micros / 1e9)), float_value: null, double_value: null } },
      { key: 'firebase_screen_class', value: { string_value: name === 'purchase' ? 'CheckoutActivity' : 'MainActivity', int_value: null, float_value: null, double_value: null } },
    ],
    event_previous_timestamp: null,
    event_value_in_usd: null,
    event_bundle_sequence_id: '3',
    event_server_timestamp_offset: '412',
    user_id: user.id,
    user_pseudo_id: user.pseudo,
    privacy_info: { analytics_storage: null, ads_storage: null, uses_transient_token: 'No' },
    user_properties: user.props,
    user_first_touch_timestamp: String(micros),
    user_ltv: null,
    device: { category: 'mobile', mobile_brand_name: 'Google', mobile_model_name: 'Pixel 8', operating_system: 'Android', operating_system_version: 'Android 14', language: 'en-us', is_limited_ad_tracking: 'No' },
    geo: { continent: 'Europe', sub_continent: 'Western Europe', country: 'Germany', region: 'Berlin', city: 'Berlin', metro: '(not set)' },
    app_info: { id: 'com.example.shop', version: '3.2.1', install_store: null, firebase_app_id: '1:1234567890:android:0a1b2c3d4e5f', install_source: 'com.android.vending' },
    stream_id: '1234567890',
    platform: 'ANDROID',
    items: [],
    ...extra,
  };
}

describe('ade exp with exposures imported from Firebase and GrowthBook', () => {
  let dir: string;
  let project: string;
  const env = serverEnv();
  const run = (...args: string[]): Promise<Ran> => adeAsync(project, args, env);
  const DAY_US = 86_400_000_000;
  const T0_US = Date.parse('2024-10-01T08:00:00Z') * 1000;
  /** Users per Firebase variant index: 0 and 1 are ade's control and short; 2 is a third arm ade.yaml does not have. */
  const firebaseUsers = { '0': 0, '1': 0, '2': 0 } as Record<string, number>;
  /** Events of the third arm's users that carry its property (every one after activation). */
  let thirdArmEvents = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ade-exp-import-'));
    project = await initServerProject(dir, env, IMPORTED_YAML);
    const rand = lcg(11);
    const hex = () => Array.from({ length: 32 }, () => '0123456789ABCDEF'[Math.floor(rand() * 16)]).join('');
    // 430 app users: 420 in Firebase experiment 7 (the short onboarding lifts purchases from 12% to 35%), 10 only in experiment 3.
    const events: object[] = [];
    for (let i = 0; i < 430; i++) {
      const open = T0_US + (i % 14) * DAY_US + Math.floor(rand() * 36_000) * 1_000_000;
      const arm = i < 420 ? (i < 10 ? '2' : String(i % 2)) : undefined;
      const assigned = open + 60_000_000;
      const props = [
        { key: 'first_open_time', value: { string_value: null, int_value: String(Math.floor(open / 1000 / 3_600_000) * 3_600_000), float_value: null, double_value: null, set_timestamp_micros: String(open) } },
        arm === undefined
          ? { key: 'firebase_exp_3', value: { string_value: '1', int_value: null, float_value: null, double_value: null, set_timestamp_micros: String(assigned) } }
          : { key: 'firebase_exp_7', value: { string_value: arm, int_value: null, float_value: null, double_value: null, set_timestamp_micros: String(assigned) } },
      ];
      if (arm !== undefined) firebaseUsers[arm]!++;
      const user = { pseudo: hex(), id: rand() < 0.4 ? `cust-${1000 + i}` : null, props };
      // Before activation the event carries no experiment property yet.
      events.push(ga4Event({ ...user, props: props.slice(0, 1) }, 'first_open', open));
      events.push(ga4Event(user, 'screen_view', assigned + 5_000_000));
      events.push(ga4Event(user, 'screen_view', assigned + DAY_US));
      if (rand() < (arm === '1' ? 0.35 : 0.12)) {
        const value = Math.round((15 + rand() * 60) * 100) / 100;
        events.push(
          ga4Event(user, 'purchase', assigned + 2 * DAY_US, {
            event_value_in_usd: value,
            ecommerce: { total_item_quantity: '1', purchase_revenue_in_usd: value, transaction_id: `T${100000 + i}` },
            items: [{ item_id: `SKU_${i % 20}`, item_name: 'Coffee beans', price_in_usd: value, quantity: '1', item_revenue_in_usd: value }],
          }),
        );
      }
      if (arm === '2') thirdArmEvents += events.filter((e: any) => e.user_pseudo_id === user.pseudo && e.user_properties.length > 1).length;
    }
    writeFileSync(join(dir, 'events_20241001.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    // GrowthBook: 120 web users, variation ids as the SDK reports them by default (the index), a repeat view, another experiment's rows.
    const viewed = ['user_id,anonymous_id,timestamp,experiment_id,variation_id'];
    const orders = ['user_id,ordered_at,amount'];
    for (let i = 0; i < 120; i++) {
      const at = new Date(Date.parse('2024-10-02T09:00:00Z') + i * 3_600_000);
      viewed.push(`w${i},anon-${i},${at.toISOString()},checkout-one-page,${i % 2}`);
      if (i % 10 === 0) viewed.push(`w${i},anon-${i},${new Date(at.getTime() + 600_000).toISOString()},checkout-one-page,${i % 2}`);
      if (i % 3 === 0) viewed.push(`w${i},anon-${i},${at.toISOString()},pricing-page,${(i + 1) % 2}`);
      if (rand() < (i % 2 ? 0.6 : 0.2)) orders.push(`w${i},${new Date(at.getTime() + 3_600_000).toISOString().replace('T', ' ').slice(0, 19)},${(20 + rand() * 40).toFixed(2)}`);
    }
    writeFileSync(join(dir, 'experiment_viewed.csv'), viewed.join('\n') + '\n');
    writeFileSync(join(dir, 'web_orders.csv'), orders.join('\n') + '\n');
    mkdirSync(join(project, 'models', 'model'), { recursive: true });
    // GA4 times are microseconds; metrics read a fact with a timestamp.
    writeFileSync(
      join(project, 'models', 'model', 'ga4_event_f.sql'),
      "/*\nkind: fact\ntime: event_at\n*/\nSELECT user_pseudo_id, event_name, make_timestamp(CAST(event_timestamp AS BIGINT)) AS event_at, event_value_in_usd FROM ref('clean.ga4_events')\n",
    );
    for (const [source, file] of [
      ['ga4_events', 'events_20241001.ndjson'],
      ['experiment_viewed', 'experiment_viewed.csv'],
    ]) {
      const r = await run('--json', '--as', 'engineer', 'ingest', source!, join(dir, file!));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).quarantined, 0, r.stdout);
    }
    const loaded = await run('--as', 'engineer', 'load', join(dir, 'web_orders.csv'), '--table', 'clean.web_orders');
    assert.equal(loaded.code, 0, loaded.stderr);
    const built = await run('--as', 'engineer', 'run');
    assert.equal(built.code, 0, built.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("should analyse a Firebase A/B test from GA4's export: units by variant index, the effect, the unknown arm counted", async () => {
    const r = await run('--json', 'exp', 'analyze', 'short_onboarding', '--as-of', '2024-11-01');
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout);
    assert.deepEqual(a.units, [
      { variant: 'control', units: firebaseUsers['0'] },
      { variant: 'short', units: firebaseUsers['1'] },
    ]);
    assert.equal(a.multipleExposures, 0);
    assert.deepEqual(a.unmappedExposures, { rows: thirdArmEvents, units: 10, variantIds: ['2'] }, 'every event of the third arm after activation, left out');
    const [cmp] = a.metrics.find((m: any) => m.metric === 'app_purchased').comparisons;
    assert.equal(cmp.variant, 'short');
    assert.ok(cmp.adjustedPValue < 0.01, `p ${cmp.adjustedPValue}`);
    assert.ok(cmp.frequentist.relative.ci[0] > 0.5, `lift CI ${cmp.frequentist.relative.ci}`);
    const text = await run('exp', 'analyze', 'short_onboarding', '--as-of', '2024-11-01');
    assert.match(text.stdout, new RegExp(`unmapped: ${thirdArmEvents} exposures \\(10 units\\) with variant ids that name no variant: 2`));
  });

  it("should analyse a GrowthBook experiment from its experiment_viewed rows", async () => {
    const r = await run('--json', 'exp', 'analyze', 'one_page_checkout', '--as-of', '2024-11-01');
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout);
    assert.deepEqual(a.units, [
      { variant: 'control', units: 60 },
      { variant: 'one_page', units: 60 },
    ]);
    assert.deepEqual(a.unmappedExposures, { rows: 0, units: 0, variantIds: [] });
    const [cmp] = a.metrics[0].comparisons;
    assert.ok(cmp.adjustedPValue < 0.05, `p ${cmp.adjustedPValue}`);
    assert.ok(cmp.frequentist.absolute.estimate > 0.2, `effect ${cmp.frequentist.absolute.estimate}`);
  });
});
