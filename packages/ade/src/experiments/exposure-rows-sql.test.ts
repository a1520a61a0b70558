import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestLake, type TestLake } from '../engine/test-support/test-lake.js';
import type { TableBinding } from '../engine/index.js';
import { quoteIdent, quoteLiteral } from '../kernel/index.js';
import type { ExperimentConfig, ExposureSource } from './experiment-config.js';
import { exposureRowsSql, unmappedExposuresSql } from './exposure-rows-sql.js';
import { unitsSql } from './metric-sql.js';

const T0 = Date.parse('2024-10-01T00:00:00Z');
const HOUR = 3_600_000;
const micros = (ms: number) => String(ms * 1000);
const at = (ms: number) => new Date(ms).toISOString();

const experiment = (exposures: ExposureSource, overrides: Partial<ExperimentConfig> = {}): ExperimentConfig => ({
  key: 'checkout',
  status: 'running',
  variants: [
    { name: 'control', weight: 1 },
    { name: 'green', weight: 1 },
  ],
  coverage: 1,
  seed: 'checkout',
  targeting: {},
  exposures,
  metrics: { primary: ['purchased'], secondary: [], guardrails: [] },
  alpha: 0.05,
  ...overrides,
});

/** A GA4 export row's user_properties entry as BigQuery exports it (INT64 as strings). */
const property = (key: string, value: string, setAt?: number) => ({ key, value: { string_value: value, int_value: null, set_timestamp_micros: setAt === undefined ? null : micros(setAt) } });
/** GA4 events: [user_pseudo_id, user_id, event time, user_properties]. */
const ga4: [string, string | null, number, object[]][] = [
  ['p1', 'c1', T0 + 2 * HOUR, [property('firebase_exp_12', '0', T0 + HOUR), property('first_open_time', '1727780400000', T0)]],
  ['p1', 'c1', T0 + 5 * HOUR, [property('firebase_exp_12', '0', T0 + HOUR)]],
  ['p2', null, T0 + 3 * HOUR, [property('firebase_exp_12', '1')]], // no set time: the event's
  ['p3', 'c3', T0 + 4 * HOUR, [property('firebase_exp_120', '1', T0 + HOUR)]], // another experiment
  ['p4', 'c4', T0 + 6 * HOUR, [property('firebase_exp_12', '2', T0 + 6 * HOUR)]], // a third variant ade does not know
  ['p5', 'c5', T0 + 7 * HOUR, []],
  ['p6', 'c6', T0 + 30 * HOUR, [property('firebase_exp_12', '1', T0 + 30 * HOUR)]], // after stop
];

describe('exposure rows from each tool', () => {
  let lake: TestLake;
  const tables: TableBinding[] = [];
  const query = async (sql: string) => {
    const session = await lake.engine.openSession(lake.as('engineer', tables));
    try {
      return (await session.query(sql)).rows;
    } finally {
      await session.close();
    }
  };
  const rows = async (e: ExperimentConfig, asOf: Date) =>
    (await query(`SELECT unit_id, variant, strftime(exposed_at, '%Y-%m-%dT%H:%M:%S.%g') AS exposed_at FROM (${exposureRowsSql(e, asOf)}) ORDER BY ALL`)).map((r) => [r.unit_id, r.variant, `${r.exposed_at}Z`]);
  const unmapped = async (e: ExperimentConfig, asOf: Date) => {
    const [r] = await query(unmappedExposuresSql(e, asOf)!);
    return { rows: Number(r!.unmapped_rows), units: Number(r!.unmapped_units), ids: r!.variant_ids };
  };
  const iso = (ms: number) => at(ms).replace('Z', '').replace('T', ' ');

  before(async () => {
    lake = await openTestLake();
    // ade's own: the SDK's exposures, as the collector lands them.
    tables.push(
      await lake.table(
        'clean',
        'exposures',
        `SELECT * FROM (VALUES
          ('checkout', 'u1', 'control', TIMESTAMP '${iso(T0 + HOUR)}', 'web'),
          ('checkout', 'u1', 'control', TIMESTAMP '${iso(T0)}', 'web'),
          ('checkout', 'u2', 'green', TIMESTAMP '${iso(T0 + 2 * HOUR)}', 'web'),
          ('checkout', 'u2', 'control', TIMESTAMP '${iso(T0 + 3 * HOUR)}', 'web'),
          ('checkout', 'u3', NULL, TIMESTAMP '${iso(T0 + HOUR)}', 'web'),
          ('checkout', NULL, 'green', TIMESTAMP '${iso(T0 + HOUR)}', 'web'),
          ('checkout', 'u4', 'green', TIMESTAMP '${iso(T0 - HOUR)}', 'web'),
          ('checkout', 'u5', 'green', TIMESTAMP '${iso(T0 + 30 * HOUR)}', 'web'),
          ('checkout', 'u6', 'green', TIMESTAMP '${iso(T0 + 4 * HOUR)}', 'ios'),
          ('other', 'u7', 'green', TIMESTAMP '${iso(T0 + HOUR)}', 'web'),
          ('checkout', 'u8', 'purple', TIMESTAMP '${iso(T0 + HOUR)}', 'web')
        ) AS t(experiment, user_id, variant, ts, platform)`,
      ),
    );
    // GA4 as ingest lands it: lists as JSON text, INT64 as digit strings.
    const text = (v: unknown) => (v === null ? 'NULL' : quoteLiteral(String(v)));
    tables.push(
      await lake.table(
        'clean',
        'ga4_events',
        `SELECT * FROM (VALUES ${ga4.map(([p, u, t, props]) => `(${text(p)}, ${text(u)}, ${text(micros(t))}, 'user_engagement', ${text(JSON.stringify(props))})`).join(', ')})
           AS t(user_pseudo_id, user_id, event_timestamp, event_name, user_properties)`,
      ),
    );
    // The same export read natively (a LIST of STRUCTs, INT64 as integers), as from Parquet.
    const struct = (props: object[]) =>
      `[${(props as ReturnType<typeof property>[]).map((x) => `{'key': ${text(x.key)}, 'value': {'string_value': ${text(x.value.string_value)}, 'int_value': NULL::BIGINT, 'set_timestamp_micros': ${x.value.set_timestamp_micros ?? 'NULL'}::BIGINT}}`).join(', ')}]`;
    tables.push(
      await lake.table(
        'clean',
        'ga4_native',
        `SELECT user_pseudo_id, user_id, event_timestamp, CASE WHEN len(user_properties) = 0 THEN NULL ELSE user_properties END AS user_properties FROM (VALUES ${ga4
          .filter(([, , , props]) => props.length)
          .map(([p, u, t, props]) => `(${text(p)}, ${text(u)}, ${micros(t)}::BIGINT, ${struct(props)})`)
          .join(', ')}) AS t(user_pseudo_id, user_id, event_timestamp, user_properties)`,
      ),
    );
    // GrowthBook's experiment_viewed: variation ids are indexes, or keys when the experiment names them.
    tables.push(
      await lake.table(
        'clean',
        'experiment_viewed',
        `SELECT * FROM (VALUES
          ('g1', 'a1', TIMESTAMP '${iso(T0 + HOUR)}', 'checkout-button', '0'),
          ('g1', 'a1', TIMESTAMP '${iso(T0 + 2 * HOUR)}', 'checkout-button', '0'),
          ('g2', 'a2', TIMESTAMP '${iso(T0 + HOUR)}', 'checkout-button', '1'),
          ('g3', 'a3', TIMESTAMP '${iso(T0 + HOUR)}', 'checkout-button', 'green'),
          (NULL, 'a4', TIMESTAMP '${iso(T0 + HOUR)}', 'checkout-button', '1'),
          ('g5', 'a5', TIMESTAMP '${iso(T0 + HOUR)}', 'checkout-button', '5'),
          ('g6', 'a6', TIMESTAMP '${iso(T0 + HOUR)}', 'pricing', '1')
        ) AS t(user_id, anonymous_id, timestamp, experiment_id, variation_id)`,
      ),
    );
    // Exposure times as exports write them: ISO text with or without an offset, epoch seconds, milliseconds, microseconds.
    tables.push(
      await lake.table(
        'clean',
        'viewed_text',
        `SELECT * FROM (VALUES
          ('t1', '2024-10-01T03:00:00Z'), ('t2', '2024-10-01 05:00:00+02:00'), ('t3', '2024-10-01 03:00:00'), ('t4', '2024-10-01T03:00:00.250-01'),
          ('t5', '${(T0 + 3 * HOUR) / 1000}'), ('t6', '${T0 + 3 * HOUR}'), ('t7', '${micros(T0 + 3 * HOUR)}'), ('t8', 'soon'), ('t9', 'NaN')
        ) AS t(user_id, timestamp)`,
      ),
    );
    // Optimizely decisions: numeric ids, epoch-millisecond times, holdbacks.
    tables.push(
      await lake.table(
        'clean',
        'decisions',
        `SELECT * FROM (VALUES
          ('v1', ${T0 + HOUR}::BIGINT, '9001', '7001', false, TIMESTAMP '${iso(T0 + HOUR)}'),
          ('v2', ${T0 + 2 * HOUR}::BIGINT, '9001', '7002', false, TIMESTAMP '${iso(T0 + 2 * HOUR)}'),
          ('v3', ${T0 + 2 * HOUR}::BIGINT, '9001', '7002', true, TIMESTAMP '${iso(T0 + 2 * HOUR)}'),
          ('v4', ${T0 + 3 * HOUR}::BIGINT, '9001', '7003', false, TIMESTAMP '${iso(T0 + 3 * HOUR)}'),
          ('v5', ${T0 + 3 * HOUR}::BIGINT, '9002', '7001', false, TIMESTAMP '${iso(T0 + 3 * HOUR)}'),
          ('v6', ${T0 + 40 * HOUR}::BIGINT, '9001', '7001', NULL, TIMESTAMP '${iso(T0 + 40 * HOUR)}')
        ) AS t(visitor_id, timestamp, experiment_id, variation_id, is_holdback, decision_timestamp)`,
      ),
    );
  });
  after(async () => {
    await lake.close();
  });

  it('should read ade exposures exactly as the units query always has', async () => {
    const e = experiment(
      { table: { zone: 'clean', name: 'exposures' }, unit: 'user_id', variant: 'variant', time: 'ts', key: 'experiment', where: "platform = 'web'" },
      { start: new Date(T0), stop: new Date(T0 + 24 * HOUR) },
    );
    const asOf = new Date(T0 + 48 * HOUR);
    // The units query before exposure-rows-sql.ts, verbatim.
    const c = (x: string) => quoteIdent(x);
    const ts = (d: Date) => `TIMESTAMP ${quoteLiteral(iso(d.getTime()))}`;
    const before = `SELECT CAST(${c('user_id')} AS VARCHAR) AS unit_id,
       any_value(CAST(${c('variant')} AS VARCHAR)) AS variant,
       min(hash(CAST(${c('variant')} AS VARCHAR))) = max(hash(CAST(${c('variant')} AS VARCHAR))) AS single_variant,
       CAST(min(${c('ts')}) AS TIMESTAMP) AS exposed_at
  FROM "clean"."exposures"
 WHERE ${c('ts')} < ${ts(asOf)} AND ${c('user_id')} IS NOT NULL AND ${c('variant')} IS NOT NULL AND CAST(${c('experiment')} AS VARCHAR) = 'checkout'
   AND ${c('ts')} >= ${ts(e.start!)} AND ${c('ts')} < ${ts(e.stop!)} AND (platform = 'web')
 GROUP BY 1`;
    const strip = (rs: readonly Record<string, unknown>[]) => rs.map((r) => [r.unit_id, r.single_variant ? r.variant : '*', String(r.exposed_at)]).sort();
    const now = strip(await query(unitsSql(e, asOf)));
    assert.deepEqual(now, strip(await query(before)));
    assert.deepEqual(now, [
      ['u1', 'control', at(T0).replace('.000Z', '')],
      ['u2', '*', at(T0 + 2 * HOUR).replace('.000Z', '')],
      ['u8', 'purple', at(T0 + HOUR).replace('.000Z', '')],
    ]);
    assert.equal(unmappedExposuresSql(e, asOf), undefined, 'ade variants are names: nothing to map');
  });

  it('should map ade exposures through import: when given, counting ids it does not name', async () => {
    const e = experiment(
      { table: { zone: 'clean', name: 'exposures' }, unit: 'user_id', variant: 'variant', time: 'ts', key: 'experiment' },
      { import: { id: 'checkout', variants: { control: 'control', green: 'green' } } },
    );
    const asOf = new Date(T0 + 10 * HOUR);
    assert.deepEqual((await rows(e, asOf)).map(([u, v]) => `${u}:${v}`), ['u1:control', 'u1:control', 'u2:control', 'u2:green', 'u4:green', 'u6:green']);
    assert.deepEqual(await unmapped(e, asOf), { rows: 1, units: 1, ids: ['purple'] });
  });

  for (const name of ['ga4_events', 'ga4_native']) {
    it(`should read Firebase's firebase_exp_<id> user property from GA4 events (${name === 'ga4_events' ? 'JSON text, as ingested' : 'a LIST of STRUCTs'})`, async () => {
      const e = experiment({ format: 'firebase', table: { zone: 'clean', name }, unit: 'user_pseudo_id', variant: 'user_properties', time: 'event_timestamp' }, { import: { id: '12' }, stop: new Date(T0 + 24 * HOUR) });
      const asOf = new Date(T0 + 48 * HOUR);
      assert.deepEqual(await rows(e, asOf), [
        ['p1', 'control', at(T0 + HOUR)], // the property's set time, on each event that carries it
        ['p1', 'control', at(T0 + HOUR)],
        ['p2', 'green', at(T0 + 3 * HOUR)], // no set time: the event's
      ]);
      assert.deepEqual(await unmapped(e, asOf), { rows: 1, units: 1, ids: ['2'] });
      // By user_id: events without one are left out.
      assert.deepEqual((await rows({ ...e, exposures: { ...e.exposures, unit: 'user_id' } }, asOf)).map(([u]) => u), ['c1', 'c1']);
      // The experiment's window: as of 2h only p1's exposure; from 2h on only p2's.
      assert.deepEqual((await rows(e, new Date(T0 + 2 * HOUR))).map(([u]) => u), ['p1', 'p1']);
      assert.deepEqual((await rows({ ...e, start: new Date(T0 + 2 * HOUR) }, asOf)).map(([u]) => u), ['p2']);
      // The unit's first exposure, one row per unit.
      const units = await query(`SELECT unit_id, variant, single_variant FROM (${unitsSql(e, asOf)}) ORDER BY unit_id`);
      assert.deepEqual(units.map((r) => [r.unit_id, r.variant, r.single_variant]), [
        ['p1', 'control', true],
        ['p2', 'green', true],
      ]);
    });
  }

  it('should name the Firebase property in full too, and map indexes through import.variants', async () => {
    const e = experiment(
      { format: 'firebase', table: { zone: 'clean', name: 'ga4_events' }, unit: 'user_pseudo_id', variant: 'user_properties', time: 'event_timestamp' },
      { import: { id: 'firebase_exp_12', variants: { '1': 'control', '2': 'green' } } },
    );
    const asOf = new Date(T0 + 24 * HOUR);
    assert.deepEqual((await rows(e, asOf)).map(([u, v]) => `${u}:${v}`), ['p2:control', 'p4:green']);
    assert.deepEqual(await unmapped(e, asOf), { rows: 2, units: 1, ids: ['0'] });
  });

  it("should read GrowthBook's experiment_viewed, variation ids as indexes or names", async () => {
    const gb: ExposureSource = { format: 'growthbook', table: { zone: 'clean', name: 'experiment_viewed' }, unit: 'user_id', variant: 'variation_id', time: 'timestamp', key: 'experiment_id' };
    const e = experiment(gb, { import: { id: 'checkout-button' } });
    const asOf = new Date(T0 + 24 * HOUR);
    assert.deepEqual(await rows(e, asOf), [
      ['g1', 'control', at(T0 + HOUR)],
      ['g1', 'control', at(T0 + 2 * HOUR)],
      ['g2', 'green', at(T0 + HOUR)],
      ['g3', 'green', at(T0 + HOUR)],
    ]);
    assert.deepEqual(await unmapped(e, asOf), { rows: 1, units: 1, ids: ['5'] });
    assert.deepEqual((await rows({ ...e, exposures: { ...gb, unit: 'anonymous_id' } }, asOf)).map(([u]) => u), ['a1', 'a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(await rows(e, new Date(T0 + HOUR)), [], 'as of the first exposure: none yet');
  });

  it('should read exposure times whatever their type: timestamps, ISO text, epoch numbers', async () => {
    const e = experiment({ format: 'growthbook', table: { zone: 'clean', name: 'viewed_text' }, unit: 'user_id', variant: 'user_id', time: 'timestamp' }, { import: { id: 'x', variants: Object.fromEntries(['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9'].map((t) => [t, 'control'])) } });
    assert.deepEqual(await rows(e, new Date(T0 + 24 * HOUR)), [
      ['t1', 'control', at(T0 + 3 * HOUR)],
      ['t2', 'control', at(T0 + 3 * HOUR)],
      ['t3', 'control', at(T0 + 3 * HOUR)],
      ['t4', 'control', at(T0 + 4 * HOUR + 250)],
      ['t5', 'control', at(T0 + 3 * HOUR)],
      ['t6', 'control', at(T0 + 3 * HOUR)],
      ['t7', 'control', at(T0 + 3 * HOUR)],
    ]);
  });

  it('should read Optimizely decisions through the variation map, leaving holdbacks out', async () => {
    const op: ExposureSource = { format: 'optimizely', table: { zone: 'clean', name: 'decisions' }, unit: 'visitor_id', variant: 'variation_id', time: 'timestamp', key: 'experiment_id', holdback: 'is_holdback' };
    const e = experiment(op, { import: { id: '9001', variants: { '7001': 'control', '7002': 'green' } } });
    const asOf = new Date(T0 + 24 * HOUR);
    const want = [
      ['v1', 'control', at(T0 + HOUR)],
      ['v2', 'green', at(T0 + 2 * HOUR)],
    ];
    assert.deepEqual(await rows(e, asOf), want, 'epoch milliseconds');
    assert.deepEqual(await rows({ ...e, exposures: { ...op, time: 'decision_timestamp' } }, asOf), want, 'a timestamp column');
    assert.deepEqual(await unmapped(e, asOf), { rows: 1, units: 1, ids: ['7003'] });
    assert.deepEqual((await rows(e, new Date(T0 + 48 * HOUR))).map(([u]) => u), ['v1', 'v2', 'v6'], 'a NULL holdback is not one');
  });
});
