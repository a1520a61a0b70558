import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnProfile, DayProfile } from './profile-table.js';
import { isoWeek, rollupProfiles, type PeriodColumn } from './rollup-profiles.js';

describe('isoWeek', () => {
  it('should give the ISO week of known dates, across year ends', () => {
    const known: [string, string][] = [
      ['2026-01-01', '2026-W01'], // a Thursday: week 1 of its own year
      ['2024-12-30', '2025-W01'], // a Monday whose Thursday is in 2025
      ['2027-01-03', '2026-W53'], // a Sunday: 2026 has 53 weeks
      ['2026-12-28', '2026-W53'],
      ['2027-01-04', '2027-W01'],
      ['2021-01-03', '2020-W53'],
      ['2025-12-29', '2026-W01'],
      ['2026-11-29', '2026-W48'],
      ['2026-11-30', '2026-W49'],
    ];
    for (const [day, week] of known) assert.equal(isoWeek(day), week, day);
  });
});

// ---- known answers, computed directly from the values ----

type Values = readonly (number | null)[];
const present = (xs: Values) => xs.filter((x): x is number => x !== null);
const meanOf = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
/** The sample standard deviation, two-pass; undefined below two values (as DuckDB's stddev_samp gives NULL). */
const sdOf = (xs: readonly number[]) => {
  if (xs.length < 2) return undefined;
  const m = meanOf(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};

/** A numeric column's day profile as profileDays stores it (bounds as text). */
function numberColumn(name: string, xs: Values): ColumnProfile {
  const v = present(xs);
  const sd = sdOf(v);
  return {
    name,
    type: 'DOUBLE',
    privacy: 'none',
    nulls: xs.length - v.length,
    nullRatio: xs.length === 0 ? 0 : (xs.length - v.length) / xs.length,
    distinct: new Set(v).size,
    distinctExact: true,
    ...(v.length ? { min: String(Math.min(...v)), max: String(Math.max(...v)), mean: meanOf(v) } : {}),
    ...(sd !== undefined ? { stddev: sd } : {}),
  };
}

/** A text column's day profile (bounds as text, lengths). */
function textColumn(name: string, xs: readonly (string | null)[]): ColumnProfile {
  const v = xs.filter((x): x is string => x !== null);
  const sorted = [...v].sort();
  return {
    name,
    type: 'VARCHAR',
    privacy: 'none',
    nulls: xs.length - v.length,
    nullRatio: (xs.length - v.length) / xs.length,
    distinct: new Set(v).size,
    distinctExact: true,
    ...(v.length
      ? {
          min: sorted[0],
          max: sorted.at(-1),
          lengths: { min: Math.min(...v.map((s) => s.length)), mean: meanOf(v.map((s) => s.length)), max: Math.max(...v.map((s) => s.length)) },
        }
      : {}),
  };
}

/** The amounts and channels of each day; `rows` is the array length. Days straddle two ISO weeks and a month end. */
const DATA: Record<string, { amount: Values; channel: (string | null)[] }> = {
  '2026-11-27': { amount: [9, 10.5, null, 250, 3.25], channel: ['web', 'app', 'web', null, 'shop'] }, // Friday, W48
  '2026-11-28': { amount: [1000, 1001, 999.5], channel: ['web', 'web', 'web'] }, // Saturday, W48
  '2026-11-29': { amount: [null, null], channel: ['app', null] }, // Sunday, W48: no amounts at all
  '2026-11-30': { amount: [42], channel: ['kiosk'] }, // Monday, W49: one value, no stddev of its own
  '2026-12-01': { amount: [-5, 0, 5, 10, 15, 20, null, 7.75], channel: ['app', 'app', 'shop', 'web', null, null, 'web', 'app'] }, // W49
  '2026-12-06': { amount: [2, 4, 4, 4, 5, 5, 7, 9], channel: ['x', 'yy', 'zzz', 'x', 'yy', 'zzz', 'x', 'yy'] }, // Sunday, W49
  '2026-12-07': { amount: [100, 0.5], channel: [null, 'web'] }, // Monday, W50
};
const dayProfiles: DayProfile[] = Object.entries(DATA).map(([day, d]) => ({
  day,
  rows: d.amount.length,
  columns: [numberColumn('amount', d.amount), textColumn('channel', d.channel)],
}));

/** Checks a rolled-up column against the statistics of the concatenated values of `days`. */
function assertAmount(col: PeriodColumn, days: readonly string[]): void {
  const all = days.flatMap((d) => DATA[d]!.amount);
  const v = present(all);
  assert.equal(col.nulls, all.length - v.length);
  assert.ok(Math.abs(col.nullRatio - (all.length - v.length) / all.length) < 1e-12);
  assert.equal(Number(col.min), Math.min(...v));
  assert.equal(Number(col.max), Math.max(...v));
  assert.ok(Math.abs(col.mean! - meanOf(v)) < 1e-9, `mean ${col.mean} vs ${meanOf(v)}`);
  assert.ok(Math.abs(col.stddev! - sdOf(v)!) < 1e-9, `stddev ${col.stddev} vs ${sdOf(v)}`);
  const perDay = days.map((d) => new Set(present(DATA[d]!.amount)).size);
  assert.equal(col.distinctAtLeast, Math.max(...perDay));
  assert.equal(col.distinctAtMost, perDay.reduce((s, n) => s + n, 0));
  // The bounds hold the true distinct count of the period.
  assert.ok(col.distinctAtLeast <= new Set(v).size && new Set(v).size <= col.distinctAtMost);
}

describe('rollupProfiles', () => {
  it('should combine days into ISO weeks with exact rows, nulls, bounds, mean and stddev', () => {
    // Any order in: periods come out in day order.
    const weeks = rollupProfiles([...dayProfiles].reverse(), 'week');
    const expected: Record<string, string[]> = {
      '2026-W48': ['2026-11-27', '2026-11-28', '2026-11-29'],
      '2026-W49': ['2026-11-30', '2026-12-01', '2026-12-06'],
      '2026-W50': ['2026-12-07'],
    };
    assert.deepEqual(
      weeks.map((w) => w.period),
      Object.keys(expected),
    );
    for (const w of weeks) {
      const days = expected[w.period]!;
      assert.equal(w.days, days.length, w.period);
      assert.equal(w.rows, days.reduce((s, d) => s + DATA[d]!.amount.length, 0), w.period);
      assert.deepEqual(
        w.columns.map((c) => c.name),
        ['amount', 'channel'],
      );
      assertAmount(w.columns[0]!, days);
    }
  });

  it('should combine days into months the same way', () => {
    const months = rollupProfiles(dayProfiles, 'month');
    const expected: Record<string, string[]> = {
      '2026-11': ['2026-11-27', '2026-11-28', '2026-11-29', '2026-11-30'],
      '2026-12': ['2026-12-01', '2026-12-06', '2026-12-07'],
    };
    assert.deepEqual(
      months.map((m) => m.period),
      Object.keys(expected),
    );
    for (const m of months) {
      const days = expected[m.period]!;
      assert.equal(m.rows, days.reduce((s, d) => s + DATA[d]!.amount.length, 0));
      assertAmount(m.columns[0]!, days);
    }
    // One rollup over everything equals the statistics of all values.
    const total = rollupProfiles(
      dayProfiles.map((d) => ({ ...d, day: `2026-11-${d.day.slice(8)}` })),
      'month',
    );
    assert.equal(total.length, 1);
    assert.equal(total[0]!.rows, Object.values(DATA).reduce((s, d) => s + d.amount.length, 0));
    assertAmount(total[0]!.columns[0]!, Object.keys(DATA));
  });

  it('should compare numbers held as text as numbers, and text as text', () => {
    // '9' < '10.5' < '250' < '1000' as numbers; as text '1000' would be the smallest.
    const [w48] = rollupProfiles(dayProfiles, 'week');
    const amount = w48!.columns.find((c) => c.name === 'amount')!;
    assert.equal(amount.min, '3.25');
    assert.equal(amount.max, '1001');
    const channel = w48!.columns.find((c) => c.name === 'channel')!;
    assert.equal(channel.min, 'app');
    assert.equal(channel.max, 'web');
    assert.equal(channel.mean, undefined);
    assert.equal(channel.stddev, undefined);
  });

  it('should weight text lengths by non-null values, and count nulls over the rows of the period', () => {
    const [, w49] = rollupProfiles(dayProfiles, 'week');
    const channel = w49!.columns.find((c) => c.name === 'channel')!;
    const all = ['2026-11-30', '2026-12-01', '2026-12-06'].flatMap((d) => DATA[d]!.channel);
    const v = all.filter((x): x is string => x !== null);
    assert.equal(channel.nulls, all.length - v.length);
    assert.equal(channel.nullRatio, (all.length - v.length) / all.length);
    assert.deepEqual(channel.lengths, {
      min: Math.min(...v.map((s) => s.length)),
      mean: channel.lengths!.mean,
      max: Math.max(...v.map((s) => s.length)),
    });
    assert.ok(Math.abs(channel.lengths!.mean - meanOf(v.map((s) => s.length))) < 1e-12);
    // kiosk | app, shop, web | x, yy, zzz: at least the busiest day's 3, at most 1 + 3 + 3.
    assert.equal(channel.distinctAtLeast, 3);
    assert.equal(channel.distinctAtMost, 7);
  });

  it('should leave mean and stddev out when no day has a value, and stddev out for a single value', () => {
    const [sunday] = rollupProfiles(
      dayProfiles.filter((d) => d.day === '2026-11-29'),
      'week',
    );
    const empty = sunday!.columns.find((c) => c.name === 'amount')!;
    assert.equal(empty.nulls, 2);
    assert.equal(empty.nullRatio, 1);
    assert.equal(empty.mean, undefined);
    assert.equal(empty.stddev, undefined);
    assert.equal(empty.min, undefined);
    assert.equal(empty.distinctAtMost, 0);
    const [monday] = rollupProfiles(
      dayProfiles.filter((d) => d.day === '2026-11-30'),
      'week',
    );
    const single = monday!.columns.find((c) => c.name === 'amount')!;
    assert.equal(single.mean, 42);
    assert.equal(single.stddev, undefined);
    assert.deepEqual(rollupProfiles([], 'week'), []);
  });

  it('should roll up a column added part way through over the days that have it', () => {
    const days: DayProfile[] = [
      { day: '2026-11-02', rows: 3, columns: [numberColumn('a', [1, 2, 3])] },
      { day: '2026-11-03', rows: 4, columns: [numberColumn('a', [4, 5, null, 6]), numberColumn('b', [null, 10, 20, 30])] },
    ];
    const [week] = rollupProfiles(days, 'week');
    assert.equal(week!.rows, 7);
    const b = week!.columns.find((c) => c.name === 'b')!;
    assert.equal(b.nulls, 1);
    assert.equal(b.nullRatio, 1 / 4);
    assert.equal(b.mean, 20);
    const a = week!.columns.find((c) => c.name === 'a')!;
    assert.equal(a.nullRatio, 1 / 7);
    assert.ok(Math.abs(a.stddev! - sdOf([1, 2, 3, 4, 5, 6])!) < 1e-12);
  });
});
