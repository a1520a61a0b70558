import { isValidName, parseDuration } from '../kernel/index.js';
import type { ConfigFail } from '../ingest/parse-sources.js';
import type { SourceConfig } from '../ingest/source-config.js';
import { cronProblem } from './cron-timer.js';
import { DEFAULT_TRIGGERS, type ScheduleAction, type ScheduleConfig, type TriggerConfig } from './schedule-config.js';

type Obj = Record<string, unknown>;

const SCHEDULE_KEYS = ['name', 'cron', 'timezone', 'run', 'ingest'];
const RUN_KEYS = ['select', 'full_refresh'];
const TRIGGER_KEYS = ['on_commit', 'debounce', 'poll'];
const EXAMPLE = 'e.g. - { name: hourly, cron: "0 * * * *", run: { select: [model.order_f+] } }';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * ade.yaml `schedules:`: a list of `{name, cron, timezone?, run: {select?,
 * full_refresh?}}` or `{name, cron, timezone?, ingest: <source>}`. Cron
 * patterns and time zones are checked here, so a bad one stops the project
 * from loading rather than the server from firing. `fail` reports at a
 * dotted path (`schedules.0.cron`) and throws.
 */
export function parseSchedules(raw: unknown, sources: readonly SourceConfig[], fail: ConfigFail): ScheduleConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail('schedules', 'must be a list of schedules', EXAMPLE);
  const seen = new Set<string>();
  return (raw as unknown[]).map((entry, i) => {
    const at = `schedules.${i}`;
    if (!isObj(entry)) fail(at, 'must be a mapping', EXAMPLE);
    const s = entry as Obj;
    for (const k of Object.keys(s)) if (!SCHEDULE_KEYS.includes(k)) fail(`${at}.${k}`, 'unknown key', `a schedule has ${SCHEDULE_KEYS.join(', ')}`);
    const name = s.name;
    if (typeof name !== 'string' || !isValidName(name)) fail(`${at}.name`, `${JSON.stringify(name ?? null)} is not a valid name`, 'names start with a lower-case letter and use only a-z, 0-9 and _');
    if (seen.has(name as string)) fail(`${at}.name`, `another schedule is named ${name as string}`, 'schedule names are unique');
    seen.add(name as string);
    if (typeof s.cron !== 'string' || !s.cron.trim()) fail(`${at}.cron`, 'is required: a cron pattern', 'e.g. "0 * * * *" (hourly) or "*/30 * * * * *" (every 30 seconds)');
    const timezone = s.timezone === undefined ? 'UTC' : String(s.timezone);
    const cron = (s.cron as string).trim();
    const problem = cronProblem(cron, timezone);
    if (problem?.startsWith('unknown time zone')) fail(`${at}.timezone`, problem, 'use an IANA time zone name such as UTC or Europe/Berlin');
    if (problem) fail(`${at}.cron`, problem, 'five fields (minute hour day month weekday), six with seconds first, or @hourly, @daily, @weekly');
    return { name: name as string, cron, timezone, action: parseAction(s, at, sources, fail) };
  });
}

function parseAction(s: Obj, at: string, sources: readonly SourceConfig[], fail: ConfigFail): ScheduleAction {
  const hasRun = 'run' in s;
  const hasIngest = 'ingest' in s;
  if (hasRun === hasIngest) fail(at, 'needs exactly one of run: and ingest:', 'run: { select: [model.order_f+] } builds models; ingest: <source> ingests a source');
  if (hasIngest) {
    const source = sources.find((x) => x.name === s.ingest);
    if (!source) fail(`${at}.ingest`, `${JSON.stringify(s.ingest)} is no source`, sources.length ? `sources: ${sources.map((x) => x.name).join(', ')}` : 'declare it under sources: first');
    if (!source!.location) fail(`${at}.ingest`, `source ${source!.name} has no location to ingest from`, `set sources.${source!.name}.location`);
    return { kind: 'ingest', source: source!.name };
  }
  const run = s.run ?? {};
  if (!isObj(run)) fail(`${at}.run`, 'must be a mapping (empty for every model)', 'run: { select: [model.order_f+], full_refresh: false }');
  const r = run as Obj;
  for (const k of Object.keys(r)) if (!RUN_KEYS.includes(k)) fail(`${at}.run.${k}`, 'unknown key', `run has ${RUN_KEYS.join(' and ')}`);
  const select = typeof r.select === 'string' ? [r.select] : r.select;
  if (select !== undefined && (!Array.isArray(select) || select.length === 0 || !select.every((p) => typeof p === 'string' && /^[a-z0-9_*]+\.[a-z0-9_*]+\+?$/.test(p)))) {
    fail(`${at}.run.select`, 'must be a list of model patterns', 'e.g. [model.order_f+, report.*]; leave it out for every model');
  }
  if (r.full_refresh !== undefined && typeof r.full_refresh !== 'boolean') fail(`${at}.run.full_refresh`, 'must be true or false');
  return { kind: 'run', ...(select ? { select: [...(select as string[])] } : {}), fullRefresh: r.full_refresh === true };
}

/** ade.yaml `triggers:`: `on_commit` (default true), `debounce` (default 2s), `poll` (default 5s; 0s: off). */
export function parseTriggers(raw: unknown, fail: ConfigFail): TriggerConfig {
  if (raw === undefined || raw === null) return DEFAULT_TRIGGERS;
  if (!isObj(raw)) fail('triggers', 'must be a mapping', 'triggers: { on_commit: true, debounce: 2s, poll: 5s }');
  const t = raw as Obj;
  for (const k of Object.keys(t)) if (!TRIGGER_KEYS.includes(k)) fail(`triggers.${k}`, 'unknown key', `triggers has ${TRIGGER_KEYS.join(', ')}`);
  if (t.on_commit !== undefined && typeof t.on_commit !== 'boolean') fail('triggers.on_commit', 'must be true or false');
  const duration = (key: string, fallback: number): number => {
    if (t[key] === undefined) return fallback;
    try {
      return parseDuration(String(t[key]), `triggers.${key}`);
    } catch {
      return fail(`triggers.${key}`, `${JSON.stringify(t[key])} is not a duration`, 'write durations like 500ms, 2s or 1m');
    }
  };
  return { onCommit: t.on_commit !== false, debounceMs: duration('debounce', DEFAULT_TRIGGERS.debounceMs), pollMs: duration('poll', DEFAULT_TRIGGERS.pollMs) };
}
