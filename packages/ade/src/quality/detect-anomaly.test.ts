import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../kernel/index.js';
import {
  checkAnomalyRule,
  detectAnomaly,
  scanSeries,
  type AnomalyRule,
  type AnomalyVerdict,
  type MetricPoint,
} from './detect-anomaly.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Sunday 4 January 2026, 00:00 UTC. */
const SUNDAY = Date.UTC(2026, 0, 4);

/** A deterministic PRNG (mulberry32) so the noisy series are the same on every run. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform noise in [-1, 1). */
function noise(rnd: () => number): number {
  return rnd() * 2 - 1;
}

function series(length: number, step: number, value: (i: number, at: Date) => number, start = SUNDAY): MetricPoint[] {
  return Array.from({ length }, (_, i) => {
    const at = new Date(start + i * step);
    return { at, value: value(i, at) };
  });
}

function withValues(points: readonly MetricPoint[], changes: Readonly<Record<number, number>>): MetricPoint[] {
  return points.map((p, i) => (i in changes ? { at: p.at, value: changes[i]! } : p));
}

function indicesWith(verdicts: readonly AnomalyVerdict[], status: AnomalyVerdict['status']): number[] {
  return verdicts.flatMap((v, i) => (v.status === status ? [i] : []));
}

const flagged = (verdicts: readonly AnomalyVerdict[]) => indicesWith(verdicts, 'fail');

/** Asserts |actual - expected| < 1e-9. (Every assert.ok here has a message: without one, node
 * re-parses the transpiled source to describe a failure, which takes minutes.) */
function near(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} instead of ${expected}`);
}

/** Plain-loop mean and sample standard deviation, the reference for the 'none' trend. */
function referenceMeanStd(values: readonly number[]): { mean: number; std: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, std: values.length > 1 ? Math.sqrt(ss / (values.length - 1)) : 0 };
}

/** Plain-loop least squares of ys on xs, evaluated at x0, the reference for the 'linear' trend. */
function referenceLine(xs: readonly number[], ys: readonly number[], x0: number): { expected: number; std: number } {
  const n = xs.length;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
    sxx += xs[i]! * xs[i]!;
    sxy += xs[i]! * ys[i]!;
  }
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const intercept = (sy - slope * sx) / n;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (ys[i]! - (intercept + slope * xs[i]!)) ** 2;
  return { expected: intercept + slope * x0, std: Math.sqrt(ssr / (n - 2)) };
}

describe('detectAnomaly on a constant series', () => {
  // 1000 rows every day for 60 days, with a spike on day 30 and a drop on day 45.
  const constant = series(60, DAY, () => 1000);
  const injected = withValues(constant, { 30: 1500, 45: 500 });
  const rule: AnomalyRule = { seasonality: 'none', window: 10, sensitivity: 2, direction: 'both' };

  it('should flag exactly the spike and the drop when watching both directions', () => {
    assert.deepEqual(flagged(scanSeries(injected, rule)), [30, 45]);
  });

  it('should flag only the drop when watching drops, and only the spike when watching rises', () => {
    assert.deepEqual(flagged(scanSeries(injected, { ...rule, direction: 'drop' })), [45]);
    assert.deepEqual(flagged(scanSeries(injected, { ...rule, direction: 'rise' })), [30]);
  });

  it('should report the first points as insufficient history and never fail them', () => {
    const verdicts = scanSeries(withValues(constant, { 1: 9999 }), rule);
    assert.deepEqual(indicesWith(verdicts, 'insufficient_history'), [0, 1, 2]);
    assert.deepEqual(flagged(verdicts), []);
  });

  it('should pass an equal value and fail any other when σ is 0 and there is no floor', () => {
    const verdicts = scanSeries(withValues(constant, { 20: 1001, 50: 999 }), rule);
    const ordinary = verdicts[10]!;
    assert.equal(ordinary.status, 'pass');
    assert.equal(ordinary.stddev, 0);
    assert.equal(ordinary.low, 1000);
    assert.equal(ordinary.high, 1000);
    assert.equal(ordinary.z, undefined);
    assert.deepEqual(flagged(verdicts), [20, 50]);
  });

  it('should not flag a change of 1 on a constant series once a floor is set', () => {
    const verdicts = scanSeries(withValues(constant, { 20: 1001, 50: 999 }), { ...rule, floor: 5 });
    assert.deepEqual(flagged(verdicts), []);
    assert.equal(verdicts[20]!.low, 995);
    assert.equal(verdicts[20]!.high, 1005);
    // The floor does not hide a real spike.
    assert.deepEqual(flagged(scanSeries(injected, { ...rule, floor: 5 })), [30, 45]);
  });
});

describe('detectAnomaly on a trending series', () => {
  // Linear growth of 20 a day with uniform noise of ±10, and four injected anomalies spaced
  // further apart than the window so that none trains the judgement of another.
  const rnd = prng(42);
  const clean = series(120, DAY, (i) => 1000 + 20 * i + 10 * noise(rnd));
  const injections: Record<number, number> = { 30: 300, 50: -300, 75: -250, 100: 400 };
  const points = withValues(clean, Object.fromEntries(Object.entries(injections).map(([i, d]) => [i, clean[+i]!.value + d])));
  const injected = Object.keys(injections).map(Number);
  const rule: AnomalyRule = { seasonality: 'none', window: 10, sensitivity: 4, direction: 'both', trend: 'linear', minHistory: 10 };

  it("should flag exactly the injected points with trend 'linear'", () => {
    assert.deepEqual(flagged(scanSeries(points, rule)), injected);
  });

  it('should match a plain-loop least-squares reference on day numbers', () => {
    const verdicts = scanSeries(points, rule);
    for (let i = 0; i < points.length; i++) {
      const v = verdicts[i]!;
      if (i < 10) {
        assert.equal(v.status, 'insufficient_history', `point ${i}`);
        continue;
      }
      const xs: number[] = [];
      const ys: number[] = [];
      for (let j = i - 10; j < i; j++) {
        xs.push(j);
        ys.push(points[j]!.value);
      }
      const ref = referenceLine(xs, ys, i);
      assert.ok(Math.abs(v.expected! - ref.expected) < 1e-6, `expected at ${i}: ${v.expected} vs ${ref.expected}`);
      assert.ok(Math.abs(v.stddev! - ref.std) < 1e-6, `stddev at ${i}: ${v.stddev} vs ${ref.std}`);
      assert.equal(v.status, Math.abs(points[i]!.value - ref.expected) > 4 * ref.std ? 'fail' : 'pass', `point ${i}`);
    }
  });

  it("should show why the trend option exists: with trend 'none' the growth itself looks anomalous", () => {
    const none: AnomalyRule = { ...rule, trend: 'none' };
    const ordinaryZ = (r: AnomalyRule) =>
      scanSeries(points, r)
        .flatMap((v, i) => (injected.includes(i) || v.z === undefined ? [] : [v.z]))
        .sort((a, b) => a - b);
    const median = (zs: number[]) => zs[zs.length >> 1]!;
    // The mean of the last 10 days lags a growing series by 5.5 days of growth: every ordinary
    // point sits about 1.8σ high (√(3·11/10) for a pure line), against about 0σ with the line.
    assert.ok(median(ordinaryZ(none)) > 1.5, `median z without trend ${median(ordinaryZ(none))}`);
    assert.ok(Math.abs(median(ordinaryZ(rule))) < 0.5, `median z with trend ${median(ordinaryZ(rule))}`);
    // So at a moderate sensitivity most ordinary days are flagged, all of them as rises…
    const loose = scanSeries(points, { ...none, sensitivity: 1.5 });
    const falseFlags = flagged(loose).filter((i) => !injected.includes(i));
    assert.ok(falseFlags.length > 55, `only ${falseFlags.length} false flags without trend`);
    assert.ok(falseFlags.every((i) => loose[i]!.observed > loose[i]!.high!), 'a false flag below the band');
    // …and at the sensitivity that is right with the line, the lag hides the drops.
    const withoutTrend = flagged(scanSeries(points, none));
    assert.ok(!withoutTrend.includes(50) && !withoutTrend.includes(75), `drops flagged without trend: ${withoutTrend.join(', ')}`);
  });
});

describe('detectAnomaly on a weekly-seasonal series', () => {
  // 20 weeks of days from a Sunday: weekdays around 1000, weekends at 30%, ±5% noise.
  const rnd = prng(7);
  const clean = series(140, DAY, (_, at) => (at.getUTCDay() % 6 === 0 ? 300 : 1000) * (1 + 0.05 * noise(rnd)));
  // Day 80 is a Wednesday, day 95 a Thursday, day 126 a Sunday.
  const points = withValues(clean, { 80: 500, 95: 600, 126: 900 });
  const injected = [80, 95, 126];
  const rule: AnomalyRule = { seasonality: 'weekday', window: 10, sensitivity: 3, direction: 'both', minHistory: 10 };

  it('should have been built on the weekdays the test names', () => {
    assert.deepEqual(injected.map((i) => points[i]!.at.getUTCDay()), [3, 4, 0]);
  });

  it("should flag exactly the injected weekday drops and Sunday spike with seasonality 'weekday'", () => {
    assert.deepEqual(flagged(scanSeries(points, rule)), injected);
  });

  it('should match a plain-loop reference over every seventh earlier day', () => {
    for (const r of [rule, { ...rule, sensitivity: 2, minHistory: 3 }]) {
      const verdicts = scanSeries(points, r);
      for (let i = 0; i < points.length; i++) {
        const same: number[] = [];
        for (let j = i - 7; j >= 0 && same.length < r.window; j -= 7) same.unshift(points[j]!.value);
        const v = verdicts[i]!;
        if (same.length < r.minHistory!) {
          assert.equal(v.status, 'insufficient_history', `point ${i}`);
          continue;
        }
        const { mean, std } = referenceMeanStd(same);
        assert.deepEqual(v.training.map((p) => p.value), same, `training of ${i}`);
        assert.ok(Math.abs(v.expected! - mean) < 1e-9 && Math.abs(v.stddev! - std) < 1e-9, `point ${i}`);
        assert.equal(v.status, Math.abs(points[i]!.value - mean) > r.sensitivity * std ? 'fail' : 'pass', `point ${i}`);
      }
    }
  });

  it("should miss the injected points with seasonality 'none', because ordinary weekends widen the band", () => {
    const verdicts = scanSeries(points, { ...rule, seasonality: 'none' });
    assert.deepEqual(flagged(verdicts).filter((i) => injected.includes(i)), []);
    // The band mixes weekdays and weekends: it is hundreds of rows wide.
    assert.ok(verdicts[80]!.high! - verdicts[80]!.low! > 1000, `band ${verdicts[80]!.low}–${verdicts[80]!.high}`);
  });
});

describe('detectAnomaly with hour-of-week seasonality', () => {
  // 6 weeks of hours from Monday 5 January 2026: a daytime hump, weekends at 40%, ±2 noise.
  const rnd = prng(3);
  const monday = Date.UTC(2026, 0, 5);
  const shape = (at: Date) => {
    const h = at.getUTCHours();
    const day = h >= 6 && h < 22 ? 20 + 130 * Math.sin((Math.PI * (h - 6)) / 16) : 20;
    return at.getUTCDay() % 6 === 0 ? 0.4 * day : day;
  };
  const clean = series(6 * 168, HOUR, (_, at) => shape(at) + 2 * noise(rnd), monday);
  // Week 5, Tuesday 14:00 UTC: half the usual volume.
  const drop = 4 * 168 + 24 + 14;
  const points = withValues(clean, { [drop]: clean[drop]!.value / 2 });
  // Normal hours differ from their own earlier weeks by at most 4, well inside the floor of 10.
  const rule: AnomalyRule = { seasonality: 'hour_of_week', window: 10, sensitivity: 3, direction: 'both', floor: 10 };

  it('should flag exactly the injected drop, judging each hour against the same hour of earlier weeks', () => {
    const verdicts = scanSeries(points, rule);
    assert.deepEqual(flagged(verdicts), [drop]);
    assert.equal(indicesWith(verdicts, 'insufficient_history').length, 3 * 168);
    const v = verdicts[drop]!;
    assert.deepEqual(v.training.map((p) => p.at.toISOString()), [
      '2026-01-06T14:00:00.000Z',
      '2026-01-13T14:00:00.000Z',
      '2026-01-20T14:00:00.000Z',
      '2026-01-27T14:00:00.000Z',
    ]);
    assert.match(v.message, /is below the expected .* from the last 4 Tuesdays 14:00 UTC$/);
  });

  it('should flag ordinary hours when the seasonality ignores the hour', () => {
    for (const seasonality of ['none', 'weekday'] as const) {
      const wrong = flagged(scanSeries(points, { ...rule, seasonality }));
      assert.ok(wrong.filter((i) => i !== drop).length > 50, `${seasonality}: ${wrong.length} flags`);
    }
  });
});

describe('detectAnomaly known answers', () => {
  const rule: AnomalyRule = { seasonality: 'weekday', window: 10, sensitivity: 2, direction: 'both' };
  const yesterday = new Date('2026-03-01T00:00:00Z'); // a Sunday

  it("should judge yesterday's rows against the last 10 Sundays (the essay's example)", () => {
    const sundays = [1000, 1040, 980, 1010, 1020, 990, 1050, 970, 1030, 1010]; // oldest first
    const history: MetricPoint[] = [];
    for (let w = 1; w <= 12; w++) {
      const sunday = yesterday.getTime() - w * 7 * DAY;
      // Weeks 1..10 are the window; week 11 is older than the window and far off.
      if (w <= 10) history.push({ at: new Date(sunday), value: sundays[10 - w]! });
      if (w === 11) history.push({ at: new Date(sunday), value: 5000 });
      for (let d = 1; d < 7; d++) history.push({ at: new Date(sunday + d * DAY), value: 7 }); // other weekdays
    }
    history.push({ at: new Date(yesterday.getTime() - 7 * DAY + 6 * HOUR), value: Number.NaN }); // skipped
    history.push({ at: yesterday, value: 412 }, { at: new Date(yesterday.getTime() + 7 * DAY), value: 99_999 }); // not before
    history.reverse();

    const v = detectAnomaly(history, { at: yesterday, value: 412 }, rule, { metric: 'rows' });
    // By hand: mean 10100 / 10 = 1010; squared deviations 100+900+900+0+100+400+1600+1600+400+0 = 6000.
    const sd = Math.sqrt(6000 / 9);
    assert.equal(v.status, 'fail');
    assert.equal(v.observed, 412);
    near(v.expected, 1010, 'expected');
    near(v.stddev, sd, 'stddev');
    near(v.low, 1010 - 2 * sd, 'low');
    near(v.high, 1010 + 2 * sd, 'high');
    near(v.z, (412 - 1010) / sd, 'z');
    assert.deepEqual(v.training.map((p) => p.value), sundays);
    assert.equal(v.message, 'rows 412 is below the expected 1,010 ± 2σ (band 958.36–1,061.64) from the last 10 Sundays');

    const ok = detectAnomaly(history, { at: yesterday, value: 1061 }, rule, { metric: 'rows' });
    assert.equal(ok.status, 'pass');
    assert.match(ok.message, /^rows 1,061 is within the expected/);
    const high = detectAnomaly(history, { at: yesterday, value: 2000 }, { ...rule, direction: 'drop' }, { metric: 'rows' });
    assert.equal(high.status, 'pass');
    assert.match(high.message, /^rows 2,000 is above the expected .*; only drops are checked$/);
  });

  it('should extrapolate a least-squares line and use the residual stddev with n-2 degrees of freedom', () => {
    // Days 0..3 hold 10, 12, 13, 17. By hand: x̄ 1.5, ȳ 13, Sxy 11, Sxx 5, slope 2.2 a day;
    // at day 4: 13 + 2.2 × 2.5 = 18.5; residuals 0.3, 0.1, -1.1, 0.7 → SSR 1.8, σ = √(1.8 / 2).
    const monday = Date.UTC(2026, 0, 5);
    const history = [10, 12, 13, 17].map((value, d) => ({ at: new Date(monday + d * DAY), value }));
    const v = detectAnomaly(history, { at: new Date(monday + 4 * DAY), value: 30 }, {
      seasonality: 'none',
      window: 10,
      sensitivity: 2,
      direction: 'both',
      trend: 'linear',
    });
    assert.equal(v.status, 'fail');
    near(v.expected, 18.5, 'expected');
    near(v.stddev, Math.sqrt(0.9), 'stddev');
    near(v.high, 18.5 + 2 * Math.sqrt(0.9), 'high');
    assert.match(v.message, /^value 30 is above the expected 18\.5 ± 2σ \(band 16\.603–20\.397\) from the trend of the last 4 points$/);
  });

  it('should report insufficient history, never a failure, below minHistory', () => {
    const two = [14, 7].map((d) => ({ at: new Date(yesterday.getTime() - d * DAY), value: 1000 }));
    const v = detectAnomaly(two, { at: yesterday, value: 1 }, rule, { metric: 'rows' });
    assert.equal(v.status, 'insufficient_history');
    assert.equal(v.expected, undefined);
    assert.equal(v.training.length, 2);
    assert.equal(v.message, 'rows 1 cannot be judged yet: only 2 earlier Sundays, 3 needed');
    assert.equal(detectAnomaly([], { at: yesterday, value: 1 }, rule).message, 'value 1 cannot be judged yet: no earlier Sundays, 3 needed');
    // A linear trend needs 3 points even when the window would allow fewer by default.
    const line = { ...rule, seasonality: 'none' as const, trend: 'linear' as const };
    assert.equal(detectAnomaly(two, { at: yesterday, value: 1 }, line).status, 'insufficient_history');
    // An explicit minHistory above the default.
    const three = [...two, { at: new Date(yesterday.getTime() - 21 * DAY), value: 1000 }];
    assert.equal(detectAnomaly(three, { at: yesterday, value: 1 }, rule).status, 'fail');
    assert.equal(detectAnomaly(three, { at: yesterday, value: 1 }, { ...rule, minHistory: 4 }).status, 'insufficient_history');
  });

  it('should fail a value that is not a number', () => {
    const history = [7, 14, 21].map((d) => ({ at: new Date(yesterday.getTime() - d * DAY), value: 1000 }));
    const v = detectAnomaly(history, { at: yesterday, value: Number.NaN }, { ...rule, direction: 'rise' });
    assert.equal(v.status, 'fail');
    assert.equal(v.z, undefined);
    assert.match(v.message, /^value is not a number; the expected 1,000/);
  });

  it('should group by UTC weekday and hour whatever the process time zone', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati'; // UTC+14: 15:00 UTC on a Sunday is Monday locally, 05:00 UTC is not
    try {
      const history = [7, 14, 21].map((d) => ({ at: new Date(yesterday.getTime() - d * DAY + 5 * HOUR), value: 100 }));
      const late = new Date(yesterday.getTime() + 15 * HOUR);
      const v = detectAnomaly(history, { at: late, value: 100 }, rule);
      assert.equal(v.status, 'pass');
      assert.match(v.message, /from the last 3 Sundays$/);
      const h = detectAnomaly(history, { at: new Date(yesterday.getTime() + 5 * HOUR), value: 100 }, { ...rule, seasonality: 'hour_of_week' });
      assert.match(h.message, /from the last 3 Sundays 05:00 UTC$/);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('should format large and small numbers for people', () => {
    const history = [7, 14, 21].map((d, i) => ({ at: new Date(yesterday.getTime() - d * DAY), value: 1_234_567.891_23 + i }));
    const v = detectAnomaly(history, { at: yesterday, value: 0.000_123_456 }, { ...rule, floor: 10 });
    assert.match(v.message, /^value 0\.000123 is below the expected 1,234,568\.891 ± 10 \(the floor\) \(band 1,234,558\.891–1,234,578\.891\)/);
  });
});

describe('scanSeries', () => {
  it('should give the same verdicts as detectAnomaly point by point, in time order, for unsorted input with ties', () => {
    const rnd = prng(11);
    const points = series(50, 12 * HOUR, () => 100 + 20 * noise(rnd));
    points.push({ at: points[30]!.at, value: 500 }, { at: points[31]!.at, value: Number.POSITIVE_INFINITY });
    const shuffled = points.map((p, i) => ({ p, k: (i * 37) % 53 })).sort((a, b) => a.k - b.k).map((x) => x.p);
    const rule: AnomalyRule = { seasonality: 'weekday', window: 4, sensitivity: 2, direction: 'both' };
    const verdicts = scanSeries(shuffled, rule);
    const inOrder = [...shuffled].sort((a, b) => a.at.getTime() - b.at.getTime());
    // Compared as one line each: a failing deep diff of 52 verdicts with dates takes minutes to print.
    const line = (v: AnomalyVerdict) =>
      [v.status, v.observed, v.expected, v.stddev, v.low, v.high, v.z, v.training.map((p) => `${p.at.toISOString()}=${p.value}`), v.message].join(' | ');
    assert.deepEqual(verdicts.map(line), inOrder.map((p) => line(detectAnomaly(shuffled, p, rule))));
    assert.deepEqual(verdicts.map((v) => v.observed).slice(0, 3), inOrder.slice(0, 3).map((p) => p.value));
  });

  it('should return no verdicts for an empty series', () => {
    assert.deepEqual(scanSeries([], { seasonality: 'none', window: 3, sensitivity: 2, direction: 'both' }), []);
  });
});

describe('checkAnomalyRule', () => {
  const good: AnomalyRule = { seasonality: 'weekday', window: 10, sensitivity: 2, direction: 'drop' };

  it('should return a valid rule unchanged', () => {
    assert.equal(checkAnomalyRule(good), good);
    const full: AnomalyRule = { ...good, floor: 0, trend: 'linear', minHistory: 10 };
    assert.equal(checkAnomalyRule(full), full);
  });

  const bad: [string, Record<string, unknown>][] = [
    ['window', { window: 0 }],
    ['window', { window: 2.5 }],
    ['window', { window: Number.NaN }],
    ['sensitivity', { sensitivity: 0 }],
    ['sensitivity', { sensitivity: -1 }],
    ['sensitivity', { sensitivity: Number.POSITIVE_INFINITY }],
    ['floor', { floor: -1 }],
    ['seasonality', { seasonality: 'monthly' }],
    ['direction', { direction: 'down' }],
    ['trend', { trend: 'quadratic' }],
    ['minHistory', { minHistory: 0 }],
    ['minHistory', { minHistory: 11 }],
    ['minHistory', { trend: 'linear', minHistory: 2 }],
    ['window', { trend: 'linear', window: 2 }],
  ];
  for (const [field, change] of bad) {
    it(`should reject ${Object.entries(change).map(([k, v]) => `${k} ${String(v)}`).join(', ')} naming ${field}`, () => {
      const rule = { ...good, ...change } as AnomalyRule;
      assert.throws(
        () => checkAnomalyRule(rule),
        (e: unknown) => e instanceof ValidationError && e.message.includes(field) && e.details['field'] === field,
      );
      // The judging functions validate too.
      assert.throws(() => scanSeries([], rule), ValidationError);
    });
  }
});
