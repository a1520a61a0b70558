import { isValidName, parseDuration, parseTableRef, type TableRef } from '../kernel/index.js';
import type { ConfigFail } from '../ingest/parse-sources.js';
import {
  EXPERIMENT_STATUSES,
  EXPOSURE_FORMATS,
  METRIC_TYPES,
  type ExperimentConfig,
  type ExperimentImport,
  type ExperimentStatus,
  type ExposureFormat,
  type ExposureSource,
  type MetricConfig,
  type MetricSource,
  type MetricType,
  type VariantConfig,
} from './experiment-config.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const METRIC_KEYS = ['type', 'description', 'table', 'unit', 'time', 'value', 'where', 'numerator', 'denominator', 'quantile', 'window', 'covariate', 'higher_is_better'];
const SOURCE_KEYS = ['table', 'unit', 'time', 'value', 'where'];
const EXPERIMENT_KEYS = ['hypothesis', 'owner', 'status', 'variants', 'coverage', 'seed', 'namespace', 'targeting', 'start', 'stop', 'exposures', 'import', 'metrics', 'mde', 'alpha'];
const EXPOSURE_KEYS = ['format', 'table', 'unit', 'variant', 'time', 'key', 'holdback', 'where'];
const IMPORT_KEYS = ['id', 'variants'];

/** The columns each tool's export has, used where ade.yaml names none. */
const EXPOSURE_DEFAULTS: Readonly<Record<Exclude<ExposureFormat, 'ade'>, { unit: string; variant: string; time: string; key?: string; holdback?: string }>> = {
  // GA4's BigQuery export of a Firebase app: the variant is in user property firebase_exp_<id> of the user_properties list.
  firebase: { unit: 'user_pseudo_id', variant: 'user_properties', time: 'event_timestamp' },
  // GrowthBook's trackingCallback into an `experiment_viewed` table.
  growthbook: { unit: 'user_id', variant: 'variation_id', time: 'timestamp', key: 'experiment_id' },
  // Optimizely's Enriched Event Export, `decisions`.
  optimizely: { unit: 'visitor_id', variant: 'variation_id', time: 'timestamp', key: 'experiment_id', holdback: 'is_holdback' },
};
/** What `import:` looks like for each tool, for hints. */
const IMPORT_EXAMPLES: Readonly<Record<Exclude<ExposureFormat, 'ade'>, string>> = {
  firebase: 'import: { id: 12 } for the Firebase experiment whose exposed users carry user property firebase_exp_12',
  growthbook: 'import: { id: checkout-button }: the experiment key GrowthBook reports as experiment_id',
  optimizely: 'import: { id: "20123456789", variants: { "20111111111": control, "20122222222": green } }: Optimizely\'s experiment id, and its variation ids → ade variants',
};
const METRIC_EXAMPLE = 'e.g. purchases: { type: binomial, table: model.order_f, unit: customer_id, time: ordered_at, window: 7d }';
const EXPERIMENT_EXAMPLE = 'e.g. checkout_button: { status: running, variants: [control, green], metrics: { primary: [purchases] } }';

/**
 * ade.yaml `metrics:` (a mapping of name → definition) and `experiments:`
 * (key → experiment), with `exposures:` as the default exposure source of
 * every experiment. Checked whole: metrics an experiment names must exist,
 * weights must be positive, windows must be durations. `fail` reports at a
 * dotted path (`experiments.checkout.variants.1.weight`) and throws.
 */
export function parseExperiments(
  raw: { metrics?: unknown; experiments?: unknown; exposures?: unknown },
  fail: ConfigFail,
): { metrics: MetricConfig[]; experiments: ExperimentConfig[] } {
  const metrics = parseMetrics(raw.metrics, fail);
  const names = new Set(metrics.map((m) => m.name));
  const fallback = raw.exposures === undefined || raw.exposures === null ? undefined : parseExposures(raw.exposures, 'exposures', fail);
  if (raw.experiments === undefined || raw.experiments === null) return { metrics, experiments: [] };
  if (!isObj(raw.experiments)) fail('experiments', 'must map experiment keys to experiments', EXPERIMENT_EXAMPLE);
  const experiments = Object.entries(raw.experiments as Obj).map(([key, value]) => parseExperiment(key, value, names, fallback, fail));
  return { metrics, experiments };
}

function parseMetrics(raw: unknown, fail: ConfigFail): MetricConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!isObj(raw)) fail('metrics', 'must map metric names to definitions', METRIC_EXAMPLE);
  return Object.entries(raw as Obj).map(([name, value]) => {
    const at = `metrics.${name}`;
    if (!isValidName(name)) fail(at, `${JSON.stringify(name)} is not a valid metric name`, 'names start with a lower-case letter and use only a-z, 0-9 and _');
    if (!isObj(value)) fail(at, 'must be a mapping', METRIC_EXAMPLE);
    const m = value as Obj;
    for (const k of Object.keys(m)) if (!METRIC_KEYS.includes(k)) fail(`${at}.${k}`, 'unknown key', `a metric has ${METRIC_KEYS.join(', ')}`);
    const type = (m.type ?? 'mean') as MetricType;
    if (!METRIC_TYPES.includes(type)) fail(`${at}.type`, `unknown metric type ${JSON.stringify(m.type)}`, `types are ${METRIC_TYPES.join(', ')}`);
    const base = {
      name,
      type,
      ...(typeof m.description === 'string' ? { description: m.description } : {}),
      ...(m.window !== undefined ? { windowMs: duration(m.window, `${at}.window`, fail) } : {}),
      ...(m.covariate !== undefined ? { covariateMs: duration(m.covariate, `${at}.covariate`, fail) } : {}),
      higherIsBetter: m.higher_is_better === undefined ? true : bool(m.higher_is_better, `${at}.higher_is_better`, fail),
    };
    if (type === 'ratio') {
      for (const k of ['table', 'unit', 'time', 'value', 'where']) if (k in m) fail(`${at}.${k}`, 'a ratio metric takes its rows from numerator: and denominator:', 'numerator: { table, unit, time, value }');
      return { ...base, numerator: parseSource(m.numerator, `${at}.numerator`, fail), denominator: parseSource(m.denominator, `${at}.denominator`, fail) };
    }
    if ('numerator' in m || 'denominator' in m) fail(`${at}.numerator`, `only ratio metrics have a numerator and denominator (this one is ${type})`);
    const source = parseSource({ table: m.table, unit: m.unit, time: m.time, value: m.value, where: m.where }, at, fail);
    if (type === 'quantile') {
      const q = m.quantile;
      if (typeof q !== 'number' || !(q > 0 && q < 1)) fail(`${at}.quantile`, 'must be a number between 0 and 1', 'quantile: 0.9 for p90');
      return { ...base, source, quantile: q as number };
    }
    if ('quantile' in m) fail(`${at}.quantile`, `only quantile metrics have a quantile (this one is ${type})`);
    return { ...base, source };
  });
}

function parseSource(raw: unknown, at: string, fail: ConfigFail): MetricSource {
  if (!isObj(raw)) fail(at, 'must be a mapping: table, unit, time, value, where', '{ table: model.order_f, unit: customer_id, time: ordered_at, value: total }');
  const s = raw as Obj;
  for (const k of Object.keys(s)) if (!SOURCE_KEYS.includes(k)) fail(`${at}.${k}`, 'unknown key', `metric rows have ${SOURCE_KEYS.join(', ')}`);
  return {
    table: table(s.table, `${at}.table`, fail),
    unit: column(s.unit, `${at}.unit`, fail),
    time: column(s.time, `${at}.time`, fail),
    value: s.value === undefined || s.value === null ? '1' : sqlText(s.value, `${at}.value`, fail),
    ...(s.where === undefined || s.where === null ? {} : { where: sqlText(s.where, `${at}.where`, fail) }),
  };
}

function parseExposures(raw: unknown, at: string, fail: ConfigFail): ExposureSource {
  if (!isObj(raw)) fail(at, 'must be a mapping: format, table, unit, variant, time, key, where', '{ table: clean.app_events, unit: user_id, variant: properties_variation_id, time: timestamp, key: properties_experiment_key }');
  const s = raw as Obj;
  for (const k of Object.keys(s)) if (!EXPOSURE_KEYS.includes(k)) fail(`${at}.${k}`, 'unknown key', `exposures have ${EXPOSURE_KEYS.join(', ')}`);
  const format = (s.format ?? 'ade') as ExposureFormat;
  if (!EXPOSURE_FORMATS.includes(format)) fail(`${at}.format`, `unknown exposure format ${JSON.stringify(s.format)}`, `formats are ${EXPOSURE_FORMATS.join(', ')}`);
  const given = (k: string) => s[k] !== undefined && s[k] !== null;
  if (format === 'firebase' && given('key')) fail(`${at}.key`, 'firebase exposures find the experiment by its user property firebase_exp_<id>, not a key column', "set the experiment's import: { id: <n> }");
  if (format === 'firebase' && given('holdback')) fail(`${at}.holdback`, 'firebase exposures have no holdback column');
  const defaults = format === 'ade' ? undefined : EXPOSURE_DEFAULTS[format];
  const col = (k: 'unit' | 'variant' | 'time') => column(given(k) ? s[k] : defaults?.[k], `${at}.${k}`, fail);
  const key = given('key') ? column(s.key, `${at}.key`, fail) : defaults?.key;
  const holdback = given('holdback') ? column(s.holdback, `${at}.holdback`, fail) : defaults?.holdback;
  return {
    ...(format === 'ade' ? {} : { format }),
    table: table(s.table, `${at}.table`, fail),
    unit: col('unit'),
    variant: col('variant'),
    time: col('time'),
    ...(key === undefined ? {} : { key }),
    ...(holdback === undefined ? {} : { holdback }),
    ...(given('where') ? { where: sqlText(s.where, `${at}.where`, fail) } : {}),
  };
}

/** `import: { id, variants }`: the experiment in the tool its exposures come from; imported formats need the id, optimizely the variant map. */
function parseImport(raw: unknown, exposures: ExposureSource, variants: readonly VariantConfig[], at: string, fail: ConfigFail): ExperimentImport | undefined {
  const format = exposures.format ?? 'ade';
  const example = format === 'ade' ? 'import: { id: <the key in the exposures\' key column>, variants: { <id>: <variant> } }' : IMPORT_EXAMPLES[format];
  if (raw === undefined || raw === null) {
    if (format !== 'ade') fail(`${at}.id`, `${format} exposures need the experiment's id in ${format}`, example);
    return undefined;
  }
  if (!isObj(raw)) fail(at, 'must be a mapping: id, variants', example);
  const m = raw as Obj;
  for (const k of Object.keys(m)) if (!IMPORT_KEYS.includes(k)) fail(`${at}.${k}`, 'unknown key', `import has ${IMPORT_KEYS.join(' and ')}`);
  const id = typeof m.id === 'string' || typeof m.id === 'number' ? String(m.id).trim() : '';
  if (!id && (format !== 'ade' || m.id !== undefined)) fail(`${at}.id`, m.id === undefined ? `${format} exposures need the experiment's id in ${format}` : 'must be a string or number', example);
  let map: Record<string, string> | undefined;
  if (m.variants !== undefined && m.variants !== null) {
    if (!isObj(m.variants) || Object.keys(m.variants).length === 0) fail(`${at}.variants`, "must map the tool's variant ids to variant names", example);
    const names = variants.map((v) => v.name);
    map = {};
    for (const [from, to] of Object.entries(m.variants as Obj)) {
      if (typeof to !== 'string' || !names.includes(to)) fail(`${at}.variants.${from}`, `${JSON.stringify(to ?? null)} is not a variant of this experiment`, `variants: ${names.join(', ')}`);
      map[from] = to as string;
    }
  } else if (format === 'optimizely') {
    fail(`${at}.variants`, "optimizely exposures need the variation ids mapped to variants (Optimizely's ids are numbers, not names)", example);
  }
  return { ...(id ? { id } : {}), ...(map ? { variants: map } : {}) };
}

function parseExperiment(key: string, raw: unknown, metrics: ReadonlySet<string>, fallback: ExposureSource | undefined, fail: ConfigFail): ExperimentConfig {
  const at = `experiments.${key}`;
  if (!isValidName(key)) fail(at, `${JSON.stringify(key)} is not a valid experiment key`, 'keys start with a lower-case letter and use only a-z, 0-9 and _');
  if (!isObj(raw)) fail(at, 'must be a mapping', EXPERIMENT_EXAMPLE);
  const e = raw as Obj;
  for (const k of Object.keys(e)) if (!EXPERIMENT_KEYS.includes(k)) fail(`${at}.${k}`, 'unknown key', `an experiment has ${EXPERIMENT_KEYS.join(', ')}`);
  const status = (e.status ?? 'draft') as ExperimentStatus;
  if (!EXPERIMENT_STATUSES.includes(status)) fail(`${at}.status`, `unknown status ${JSON.stringify(e.status)}`, `statuses are ${EXPERIMENT_STATUSES.join(', ')}`);
  const exposures = e.exposures === undefined ? fallback : parseExposures(e.exposures, `${at}.exposures`, fail);
  if (!exposures) fail(at, 'exposures: is required (or a top-level exposures: for every experiment)', 'exposures: { table: clean.app_events, unit: user_id, variant: properties_variation_id, time: timestamp, key: properties_experiment_key }');
  const variants = parseVariants(e.variants, `${at}.variants`, fail);
  const imported = parseImport(e.import, exposures!, variants, `${at}.import`, fail);
  const lists = isObj(e.metrics) ? (e.metrics as Obj) : e.metrics === undefined ? {} : fail(`${at}.metrics`, 'must be a mapping: primary, secondary, guardrails', 'metrics: { primary: [purchases], guardrails: [refunds] }');
  for (const k of Object.keys(lists)) if (!['primary', 'secondary', 'guardrails'].includes(k)) fail(`${at}.metrics.${k}`, 'unknown key', 'metrics has primary, secondary and guardrails');
  const metricList = (k: string): string[] => {
    const v = lists[k];
    if (v === undefined || v === null) return [];
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) fail(`${at}.metrics.${k}`, 'must be a list of metric names');
    for (const [i, name] of (list as string[]).entries()) {
      if (!metrics.has(name)) fail(`${at}.metrics.${k}.${i}`, `no metric ${JSON.stringify(name)}`, metrics.size ? `metrics: ${[...metrics].join(', ')}` : 'define it under metrics:');
    }
    return list as string[];
  };
  const primary = metricList('primary');
  if (primary.length === 0) fail(e.metrics === undefined ? at : `${at}.metrics`, 'an experiment needs at least one primary metric', 'metrics: { primary: [purchases] }');
  const coverage = e.coverage === undefined ? 1 : num(e.coverage, `${at}.coverage`, fail, 0, 1);
  const alpha = e.alpha === undefined ? 0.05 : num(e.alpha, `${at}.alpha`, fail, 0, 0.5);
  if (alpha <= 0) fail(`${at}.alpha`, 'must be above 0', 'alpha: 0.05');
  return {
    key,
    status,
    ...(typeof e.hypothesis === 'string' ? { hypothesis: e.hypothesis } : {}),
    ...(typeof e.owner === 'string' ? { owner: e.owner } : {}),
    variants,
    coverage,
    seed: e.seed === undefined ? key : String(e.seed),
    ...(e.namespace === undefined ? {} : { namespace: parseNamespace(e.namespace, `${at}.namespace`, fail) }),
    targeting: parseTargeting(e.targeting, `${at}.targeting`, fail),
    ...(e.start === undefined ? {} : { start: date(e.start, `${at}.start`, fail) }),
    ...(e.stop === undefined ? {} : { stop: date(e.stop, `${at}.stop`, fail) }),
    exposures: exposures!,
    ...(imported ? { import: imported } : {}),
    metrics: { primary, secondary: metricList('secondary'), guardrails: metricList('guardrails') },
    ...(e.mde === undefined ? {} : { mde: num(e.mde, `${at}.mde`, fail, 0, 10) }),
    alpha,
  };
}

function parseVariants(raw: unknown, at: string, fail: ConfigFail): VariantConfig[] {
  if (!Array.isArray(raw) || raw.length < 2) fail(at, 'needs at least two variants', 'variants: [control, treatment] or [{ name: control, weight: 1 }, { name: treatment, weight: 1 }]');
  const seen = new Set<string>();
  return (raw as unknown[]).map((v, i) => {
    const name = typeof v === 'string' ? v : isObj(v) ? v.name : undefined;
    if (typeof name !== 'string' || !name.trim()) fail(`${at}.${i}`, 'a variant is a name or { name, weight }');
    if (seen.has(name as string)) fail(`${at}.${i}`, `variant ${name as string} appears twice`);
    seen.add(name as string);
    const weight = isObj(v) && v.weight !== undefined ? num(v.weight, `${at}.${i}.weight`, fail, 0, Number.MAX_VALUE) : 1;
    if (!(weight > 0)) fail(`${at}.${i}.weight`, 'must be above 0');
    return { name: name as string, weight };
  });
}

function parseNamespace(raw: unknown, at: string, fail: ConfigFail): { name: string; range: [number, number] } {
  if (!isObj(raw) || typeof raw.name !== 'string' || !Array.isArray(raw.range) || raw.range.length !== 2) {
    fail(at, 'must be { name, range: [start, end] } with 0 ≤ start < end ≤ 1', 'namespace: { name: checkout, range: [0, 0.5] }');
  }
  const [s, e] = (raw as { range: unknown[] }).range.map((x, i) => num(x, `${at}.range.${i}`, fail, 0, 1)) as [number, number];
  if (!(s < e)) fail(`${at}.range`, 'start must be below end');
  return { name: (raw as { name: string }).name, range: [s, e] };
}

function parseTargeting(raw: unknown, at: string, fail: ConfigFail): Record<string, (string | number | boolean)[]> {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) fail(at, 'must map attributes to accepted values', 'targeting: { country: [US, GB] }');
  const out: Record<string, (string | number | boolean)[]> = {};
  for (const [k, v] of Object.entries(raw as Obj)) {
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) fail(`${at}.${k}`, 'accepted values are strings, numbers or booleans');
    out[k] = list as (string | number | boolean)[];
  }
  return out;
}

function table(v: unknown, at: string, fail: ConfigFail): TableRef {
  if (typeof v !== 'string') return fail(at, 'is required: zone.table');
  try {
    return parseTableRef(v);
  } catch {
    return fail(at, `${JSON.stringify(v)} is not zone.table`);
  }
}

function column(v: unknown, at: string, fail: ConfigFail): string {
  if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) return fail(at, `${JSON.stringify(v ?? null)} is not a column name`, 'a column of the table, e.g. customer_id');
  return v;
}

/** A SQL fragment (value or condition): one expression, no statement separators or comments that could end it early. */
function sqlText(v: unknown, at: string, fail: ConfigFail): string {
  if (typeof v !== 'string' && typeof v !== 'number') return fail(at, 'must be a SQL expression');
  const text = String(v).trim();
  if (!text || /;|--|\/\*/.test(text)) fail(at, 'must be one SQL expression (no ;, -- or /*)', "e.g. status = 'completed'");
  return text;
}

function duration(v: unknown, at: string, fail: ConfigFail): number {
  if (typeof v !== 'string') return fail(at, 'must be a duration such as 7d or 12h');
  try {
    return parseDuration(v, at);
  } catch {
    return fail(at, `${JSON.stringify(v)} is not a duration`, 'e.g. 7d, 12h or 30m');
  }
}

function num(v: unknown, at: string, fail: ConfigFail, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return fail(at, `must be a number from ${min} to ${max}`);
  return v;
}

function bool(v: unknown, at: string, fail: ConfigFail): boolean {
  if (typeof v !== 'boolean') return fail(at, 'must be true or false');
  return v;
}

function date(v: unknown, at: string, fail: ConfigFail): Date {
  const d = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) return fail(at, `${JSON.stringify(v)} is not a date`, 'e.g. 2026-11-01 or 2026-11-01T12:00:00Z');
  return d;
}
