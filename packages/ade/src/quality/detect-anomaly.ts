import { ValidationError } from '../kernel/index.js';

/**
 * Anomaly checks on a metric's history: "is the number of rows loaded yesterday
 * within 2 standard deviations of the last 10 Sundays?". The metric series is
 * computed in SQL elsewhere; this module only does the arithmetic on it.
 */

export type Seasonality = 'none' | 'weekday' | 'hour_of_week';
export type Direction = 'drop' | 'rise' | 'both';

export interface AnomalyRule {
  /** Which earlier points are comparable: all (none), the same weekday (UTC), the same hour of the week (UTC). */
  readonly seasonality: Seasonality;
  /** How many comparable earlier points train the expectation (the most recent ones before the judged point), e.g. 10. */
  readonly window: number;
  /** Width of the band in standard deviations, e.g. 2. */
  readonly sensitivity: number;
  /** Which side of the band fails: below it (drop), above it (rise) or either (both). */
  readonly direction: Direction;
  /** Absolute floor: the band's half-width is at least this (so a constant series does not flag a change of 1). Default 0. */
  readonly floor?: number;
  /**
   * 'none': expectation = mean of the training points, σ = sample stddev (0 for a single point);
   * 'linear': least-squares line over the training points (x = their time in ms), expectation = the line
   * at the judged point's time, σ = residual stddev with n-2 degrees of freedom. Default 'none'.
   */
  readonly trend?: 'none' | 'linear';
  /** Fewest training points needed to judge (default: min(window, 3); 'linear' needs at least 3). */
  readonly minHistory?: number;
}

export interface MetricPoint {
  readonly at: Date;
  readonly value: number;
}

export interface AnomalyVerdict {
  readonly status: 'pass' | 'fail' | 'insufficient_history';
  readonly observed: number;
  /** The expectation at the judged point; absent with insufficient history. */
  readonly expected?: number;
  readonly stddev?: number;
  /** expected − halfWidth; both bounds are always given, the direction decides which one is used. */
  readonly low?: number;
  /** expected + halfWidth. */
  readonly high?: number;
  /** (observed - expected) / stddev, when stddev > 0. */
  readonly z?: number;
  /** The training points used, oldest first. */
  readonly training: readonly MetricPoint[];
  /** One sentence, e.g. "rows 412 is below the expected 1,020 ± 2σ (band 870–1,170) from the last 10 Sundays". */
  readonly message: string;
}

/** How a verdict's message names the metric. */
export interface AnomalyMessageOptions {
  /** The metric's name, first word of the message ("rows 412 is below …"). Default 'value'. */
  readonly metric?: string;
}

const SEASONALITIES: readonly Seasonality[] = ['none', 'weekday', 'hour_of_week'];
const DIRECTIONS: readonly Direction[] = ['drop', 'rise', 'both'];
const TRENDS: readonly string[] = ['none', 'linear'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/**
 * Judges `point` against the comparable points of `history` that come strictly before it.
 * History may be unsorted and may contain the point's later neighbours (anything at or after
 * `point.at` is ignored); points with a non-finite value or an invalid date are skipped.
 *
 * @example
 * detectAnomaly(dailyRows, { at: yesterday, value: 412 },
 *   { seasonality: 'weekday', window: 10, sensitivity: 2, direction: 'drop' }, { metric: 'rows' });
 * // → { status: 'fail', expected: 1020, low: 870, high: 1170, message: 'rows 412 is below the expected … from the last 10 Sundays', … }
 */
export function detectAnomaly(
  history: readonly MetricPoint[],
  point: MetricPoint,
  rule: AnomalyRule,
  options: AnomalyMessageOptions = {},
): AnomalyVerdict {
  checkAnomalyRule(rule);
  const t = timeOf(point, 'point.at');
  const key = seasonKey(rule.seasonality, point.at);
  const comparable = history.filter(
    (h) => Number.isFinite(h.value) && h.at.getTime() < t && seasonKey(rule.seasonality, h.at) === key,
  );
  comparable.sort((a, b) => a.at.getTime() - b.at.getTime());
  return judge(comparable.slice(-rule.window), point, rule, options.metric ?? 'value');
}

/**
 * Judges every point of a series against the points before it (walk-forward), returning one
 * verdict per point in time order (ties keep their input order). Points sharing a timestamp
 * never train each other. Equivalent to `detectAnomaly(series, p, rule)` for each `p`, in one pass.
 */
export function scanSeries(
  series: readonly MetricPoint[],
  rule: AnomalyRule,
  options: AnomalyMessageOptions = {},
): AnomalyVerdict[] {
  checkAnomalyRule(rule);
  const metric = options.metric ?? 'value';
  const timed = series.map((p, i) => ({ p, t: timeOf(p, `series[${i}].at`) }));
  timed.sort((a, b) => a.t - b.t);
  const seen = new Map<number, MetricPoint[]>();
  const verdicts: AnomalyVerdict[] = [];
  for (let start = 0; start < timed.length; ) {
    let end = start;
    while (end < timed.length && timed[end]!.t === timed[start]!.t) end++;
    const group = timed.slice(start, end).map((x) => x.p);
    for (const p of group) {
      verdicts.push(judge((seen.get(seasonKey(rule.seasonality, p.at)) ?? []).slice(-rule.window), p, rule, metric));
    }
    for (const p of group) {
      if (!Number.isFinite(p.value)) continue;
      const key = seasonKey(rule.seasonality, p.at);
      const bucket = seen.get(key);
      if (bucket) bucket.push(p);
      else seen.set(key, [p]);
    }
    start = end;
  }
  return verdicts;
}

/**
 * Validates a rule (window ≥ 1 integer, sensitivity > 0, floor ≥ 0, minHistory between 1 and
 * window, known enums, and at least 3 points for a linear trend), throwing a ValidationError
 * whose message and `details.field` name the field. Returns the rule unchanged.
 */
export function checkAnomalyRule(rule: AnomalyRule): AnomalyRule {
  if (typeof rule !== 'object' || rule === null) invalid('rule', rule, 'an anomaly rule must be an object');
  const { seasonality, window, sensitivity, direction, floor, trend, minHistory } = rule;
  if (!SEASONALITIES.includes(seasonality)) {
    invalid('seasonality', seasonality, `seasonality must be one of ${SEASONALITIES.join(', ')}`);
  }
  if (!Number.isInteger(window) || window < 1) invalid('window', window, 'window must be an integer of at least 1');
  if (typeof sensitivity !== 'number' || !Number.isFinite(sensitivity) || sensitivity <= 0) {
    invalid('sensitivity', sensitivity, 'sensitivity must be a finite number above 0 (standard deviations, e.g. 2)');
  }
  if (!DIRECTIONS.includes(direction)) invalid('direction', direction, `direction must be one of ${DIRECTIONS.join(', ')}`);
  if (floor !== undefined && (typeof floor !== 'number' || !Number.isFinite(floor) || floor < 0)) {
    invalid('floor', floor, 'floor must be a finite number of at least 0');
  }
  if (trend !== undefined && !TRENDS.includes(trend)) invalid('trend', trend, `trend must be one of ${TRENDS.join(', ')}`);
  if (minHistory !== undefined && (!Number.isInteger(minHistory) || minHistory < 1 || minHistory > window)) {
    invalid('minHistory', minHistory, `minHistory must be an integer between 1 and the window (${window})`);
  }
  if (trend === 'linear') {
    if (window < 3) invalid('window', window, "window must be at least 3 with trend 'linear' (a line through 2 points has no spread)");
    if (minHistory !== undefined && minHistory < 3) {
      invalid('minHistory', minHistory, "minHistory must be at least 3 with trend 'linear'");
    }
  }
  return rule;
}

function invalid(field: string, value: unknown, message: string): never {
  throw new ValidationError(message, {
    code: 'validation.anomaly_rule',
    hint: 'e.g. { seasonality: "weekday", window: 10, sensitivity: 2, direction: "both" }',
    details: { field, value },
  });
}

function timeOf(point: MetricPoint, field: string): number {
  const t = point.at.getTime();
  if (Number.isNaN(t)) {
    throw new ValidationError(`${field} is not a valid date`, { details: { field } });
  }
  return t;
}

/** Points with the same key are comparable. */
function seasonKey(seasonality: Seasonality, at: Date): number {
  if (seasonality === 'weekday') return at.getUTCDay();
  if (seasonality === 'hour_of_week') return at.getUTCDay() * 24 + at.getUTCHours();
  return 0;
}

interface Fit {
  readonly expected: number;
  readonly stddev: number;
}

function meanFit(values: readonly number[]): Fit {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { expected: mean, stddev: 0 };
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { expected: mean, stddev: Math.sqrt(ss / (n - 1)) };
}

/** Least squares on times centred at their mean (ms since the epoch squared would lose precision). */
function linearFit(training: readonly MetricPoint[], at: number): Fit {
  const n = training.length;
  const ts = training.map((p) => p.at.getTime());
  const ys = training.map((p) => p.value);
  const tMean = ts.reduce((s, t) => s + t, 0) / n;
  const yMean = ys.reduce((s, y) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = ts[i]! - tMean;
    sxx += dx * dx;
    sxy += dx * (ys[i]! - yMean);
  }
  // All training points at one instant: no slope to fit, fall back to the mean.
  if (sxx === 0) return meanFit(ys);
  const slope = sxy / sxx;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (ys[i]! - (yMean + slope * (ts[i]! - tMean))) ** 2;
  return { expected: yMean + slope * (at - tMean), stddev: Math.sqrt(ssr / (n - 2)) };
}

function judge(training: readonly MetricPoint[], point: MetricPoint, rule: AnomalyRule, metric: string): AnomalyVerdict {
  const trend = rule.trend ?? 'none';
  const minHistory = rule.minHistory ?? (trend === 'linear' ? 3 : Math.min(rule.window, 3));
  const observed = point.value;
  const season = (count: number) => seasonPhrase(rule.seasonality, point.at, count);
  if (training.length < minHistory) {
    const count = training.length;
    const earlier = `${count === 0 ? 'no' : `only ${count}`} earlier ${seasonUnit(rule.seasonality, point.at, count === 0 ? 2 : count)}`;
    return {
      status: 'insufficient_history',
      observed,
      training,
      message: `${metric} ${formatNumber(observed)} cannot be judged yet: ${earlier}, ${minHistory} needed`,
    };
  }
  const { expected, stddev } = trend === 'linear' ? linearFit(training, point.at.getTime()) : meanFit(training.map((p) => p.value));
  const floor = rule.floor ?? 0;
  const halfWidth = Math.max(rule.sensitivity * stddev, floor);
  const low = expected - halfWidth;
  const high = expected + halfWidth;
  const below = observed < low;
  const above = observed > high;
  const failed = Number.isNaN(observed) || (rule.direction !== 'rise' && below) || (rule.direction !== 'drop' && above);

  const width = floor > rule.sensitivity * stddev ? `${formatNumber(floor)} (the floor)` : `${formatNumber(rule.sensitivity)}σ`;
  const dash = low < 0 || high < 0 ? ' to ' : '–';
  const from = `${trend === 'linear' ? 'the trend of ' : ''}${season(training.length)}`;
  const band = `the expected ${formatNumber(expected)} ± ${width} (band ${formatNumber(low)}${dash}${formatNumber(high)}) from ${from}`;
  let message: string;
  if (Number.isNaN(observed)) message = `${metric} is not a number; ${band}`;
  else {
    const where = below ? 'is below' : above ? 'is above' : 'is within';
    const ignored = !failed && (below || above) ? `; only ${rule.direction === 'drop' ? 'drops' : 'rises'} are checked` : '';
    message = `${metric} ${formatNumber(observed)} ${where} ${band}${ignored}`;
  }
  return {
    status: failed ? 'fail' : 'pass',
    observed,
    expected,
    stddev,
    low,
    high,
    ...(stddev > 0 && !Number.isNaN(observed) ? { z: (observed - expected) / stddev } : {}),
    training,
    message,
  };
}

/** "the last 10 Sundays", "the last Monday 14:00 UTC", "the last 3 points". */
function seasonPhrase(seasonality: Seasonality, at: Date, count: number): string {
  return `the last ${count === 1 ? '' : `${count} `}${seasonUnit(seasonality, at, count)}`;
}

/** "points", "Sunday", "Mondays 14:00 UTC". */
function seasonUnit(seasonality: Seasonality, at: Date, count: number): string {
  const s = count === 1 ? '' : 's';
  if (seasonality === 'none') return `point${s}`;
  const day = `${WEEKDAYS[at.getUTCDay()]!}${s}`;
  if (seasonality === 'weekday') return day;
  return `${day} ${String(at.getUTCHours()).padStart(2, '0')}:00 UTC`;
}

const LARGE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });
const SMALL = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

/** Thousands separators and at most 3 decimals (3 significant digits below 1). */
function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) >= 1 ? LARGE.format(x) : SMALL.format(x);
}
