import { AdeError, parseDuration, parseSize, validateName } from '../kernel/index.js';
import { INPUT_FORMATS, parseDeclaredColumns, type Compression, type DeclaredColumns, type InputFormat } from '../lake/input-format.js';
import { PII_KINDS, isPiiKind } from '../privacy/index.js';
import {
  SOURCE_DEFAULTS,
  type CdcConfig,
  type FieldPolicy,
  type SchemaChangePolicy,
  type SourceConfig,
  type UndeclaredPolicy,
} from './source-config.js';

/**
 * Reports a problem at a dotted YAML path (`sources.events.fields`) and throws.
 * The loader turns the path into a line of ade.yaml.
 */
export type ConfigFail = (path: string, message: string, hint?: string) => never;

type Obj = Record<string, unknown>;

/** Keys a source accepts in ade.yaml (in the mapping form; the list form adds `name`). */
export const SOURCE_KEYS = [
  'format',
  'compression',
  'location',
  'schema',
  'on_schema_change',
  'event_id',
  'event_time',
  'undeclared',
  'raw_retention',
  'archive_retention',
  'max_record_size',
  'max_columns',
  'max_depth',
  'fields',
  'cdc',
] as const;

const COMPRESSIONS: readonly (Compression | 'auto')[] = ['auto', 'none', 'gzip', 'zstd'];
const SCHEMA_CHANGE_POLICIES: readonly SchemaChangePolicy[] = ['evolve', 'reject'];
const UNDECLARED_POLICIES: readonly UndeclaredPolicy[] = ['tokenize', 'drop', 'reject'];

/** Actions written as a plain string: `email: tokenize`. */
const SHORTHAND_ACTIONS = ['keep', 'drop', 'tokenize', 'redact'] as const;
/** Actions written as a one-key mapping: `{ tokenize: phone }`, `{ mask: 4 }`, `{ generalize: day }`. */
const MAPPING_ACTIONS = ['tokenize', 'mask', 'generalize'] as const;

/** Every `generalize:` target with its extra keys, their defaults and allowed ranges (those of src/privacy/generalize.ts). */
const GENERALIZE_PARAMS = {
  day: {},
  month: {},
  year: {},
  zip: { digits: { prop: 'digits', default: 3, min: 1, max: 10 } },
  ip: {
    v4_prefix: { prop: 'v4Prefix', default: 24, min: 0, max: 32 },
    v6_prefix: { prop: 'v6Prefix', default: 48, min: 0, max: 128 },
  },
  coordinate: { decimals: { prop: 'decimals', default: 2, min: 0, max: 8 } },
  age: { band: { prop: 'band', default: 10, min: 1, max: 100 } },
} as const satisfies Record<string, Record<string, { prop: string; default: number; min: number; max: number }>>;
type GeneralizeTarget = keyof typeof GENERALIZE_PARAMS;
const GENERALIZE_TARGETS = Object.keys(GENERALIZE_PARAMS) as GeneralizeTarget[];
/** generalizeAge tops ages out at 90 (`90+`), which must be a multiple of the band width. */
const AGE_TOP_CODE = 90;

/** Same rule as `--columns` types in src/lake/input-format.ts: `BIGINT`, `DECIMAL(10,2)`, `VARCHAR[]`. */
const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])?$/;

/** One segment of a field path: a non-empty name without `.`, `[` or `]`, optionally followed by `[]`. */
const SEGMENT_PATTERN = /^([^.[\]]+)(\[\])?$/;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const json = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));
const list = (xs: readonly string[]): string => xs.join(', ');

/**
 * `parent.key`, unless `key` cannot be found by splitting the path on dots
 * (a key with a dot or an empty key): then the parent, so the line is still close.
 */
function childPath(parent: string, key: string): string {
  return key === '' || key.includes('.') ? parent : `${parent}.${key}`;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** `did you mean "format"? ` when `word` is a likely typo of one of `options`. */
function suggest(word: string, options: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o);
    if (d < bestDistance) {
      best = o;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? `did you mean ${JSON.stringify(best)}? ` : '';
}

/** Fails on the first key of `obj` not in `allowed`, at the key's own path unless `atKey` is false (then at `path`). */
function checkKeys(obj: Obj, allowed: readonly string[], path: string, what: string, fail: ConfigFail, atKey = true): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      fail(atKey ? childPath(path, key) : path, `unknown key ${JSON.stringify(key)} in ${what}`, `${suggest(key, allowed)}allowed keys: ${list(allowed)}`);
    }
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], path: string, what: string, fail: ConfigFail): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const hint = typeof value === 'string' ? suggest(value, allowed) : '';
    return fail(path, `unknown ${what} ${json(value)}`, `${hint}use one of: ${list(allowed)}`);
  }
  return value as T;
}

function integer(value: unknown, path: string, min: number, max: number, fail: ConfigFail): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`) : `an integer from ${min} to ${max}`;
    fail(path, `must be ${range}, got ${json(value)}`);
  }
  return n;
}

/** Calls a parser that throws ValidationError (durations, sizes, columns) and reports its message at `path`. */
function reported<T>(path: string, fail: ConfigFail, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof AdeError) return fail(path, e.message, e.hint);
    throw e;
  }
}

function duration(value: unknown, path: string, fail: ConfigFail): number {
  if (typeof value !== 'string') fail(path, `must be a duration such as 30d, got ${json(value)}`, 'write durations like 12h, 30d or 2w');
  const ms = reported(path, fail, () => parseDuration(value as string, path));
  if (!(ms > 0)) fail(path, 'must be longer than zero');
  return ms;
}

/**
 * Validates a field path: segments separated by `.`, each a non-empty name
 * optionally followed by `[]` (`email`, `properties.email`, `items[].card`).
 * Returns why it is invalid, or undefined.
 */
export function fieldPathProblem(path: string, allowArrays = true): string | undefined {
  if (path.trim() === '') return 'is empty';
  const segments = path.split('.');
  for (const [i, seg] of segments.entries()) {
    if (seg === '') return `has an empty segment (${i === 0 ? 'leading dot' : i === segments.length - 1 ? 'trailing dot' : 'two dots in a row'})`;
    const m = SEGMENT_PATTERN.exec(seg);
    if (!m) return `has an invalid segment ${JSON.stringify(seg)} (a name, optionally followed by [])`;
    if (m[1]!.trim() !== m[1]) return `has a segment ${JSON.stringify(seg)} with leading or trailing spaces`;
    if (m[2] && !allowArrays) return `must name one value per record, not a value inside an array (${JSON.stringify(seg)})`;
  }
  return undefined;
}

function fieldPolicy(value: unknown, field: string, path: string, fail: ConfigFail): FieldPolicy {
  // `path` may be the parent (`…fields`) when the field name has dots: always name the field in messages.
  const at = `field ${JSON.stringify(field)}`;
  if (typeof value === 'string') {
    if ((SHORTHAND_ACTIONS as readonly string[]).includes(value)) return { action: value as (typeof SHORTHAND_ACTIONS)[number] };
    if (value === 'mask') return fail(path, `${at}: mask needs the number of characters to keep`, 'e.g. { mask: 4 } keeps the last 4');
    if (value === 'generalize') return fail(path, `${at}: generalize needs a target`, `e.g. { generalize: day }; targets: ${list(GENERALIZE_TARGETS)}`);
    return fail(path, `${at}: unknown action ${JSON.stringify(value)}`, `${suggest(value, [...SHORTHAND_ACTIONS, 'mask', 'generalize'])}use ${list(SHORTHAND_ACTIONS)}, or { mask: N }, { tokenize: <kind> }, { generalize: <target> }`);
  }
  if (!isObj(value)) {
    return fail(path, `${at}: needs an action, got ${json(value)}`, `use ${list(SHORTHAND_ACTIONS)}, or { mask: N }, { tokenize: <kind> }, { generalize: <target> }`);
  }
  const actions = Object.keys(value).filter((k) => (MAPPING_ACTIONS as readonly string[]).includes(k));
  if (actions.length !== 1) {
    const plain = Object.keys(value).find((k) => (SHORTHAND_ACTIONS as readonly string[]).includes(k));
    if (actions.length === 0 && plain) return fail(path, `${at}: ${plain} takes no settings`, `write ${field}: ${plain}`);
    if (actions.length === 0) {
      const unknown = Object.keys(value)[0];
      return fail(path, `${at}: ${unknown === undefined ? 'empty mapping' : `unknown action ${JSON.stringify(unknown)}`}`, `${unknown === undefined ? '' : suggest(unknown, MAPPING_ACTIONS)}a mapping holds one of: ${list(MAPPING_ACTIONS)}`);
    }
    return fail(path, `${at}: has more than one action (${list(actions)})`, 'give each field exactly one action');
  }
  const action = actions[0] as (typeof MAPPING_ACTIONS)[number];
  const arg = value[action];
  switch (action) {
    case 'tokenize': {
      checkKeys(value, ['tokenize'], path, at, fail, false);
      if (typeof arg !== 'string' || !isPiiKind(arg)) {
        return fail(path, `${at}: unknown kind ${json(arg)} for tokenize`, `${typeof arg === 'string' ? suggest(arg, PII_KINDS) : ''}kinds: ${list(PII_KINDS)} (or write ${field}: tokenize to infer it from the field name)`);
      }
      return { action: 'tokenize', kind: arg };
    }
    case 'mask': {
      checkKeys(value, ['mask'], path, at, fail, false);
      if (typeof arg !== 'number' || !Number.isInteger(arg) || arg < 0) {
        return fail(path, `${at}: mask must be a non-negative integer (the characters kept at the end), got ${json(arg)}`, 'e.g. { mask: 4 } keeps the last 4, { mask: 0 } masks everything');
      }
      return { action: 'mask', keepLast: arg };
    }
    case 'generalize': {
      const to = oneOf(arg, GENERALIZE_TARGETS, path, `generalize target for ${at}:`, fail);
      const params: Readonly<Record<string, { prop: string; default: number; min: number; max: number }>> = GENERALIZE_PARAMS[to];
      checkKeys(value, ['generalize', ...Object.keys(params)], path, `${at} (generalize: ${to})`, fail, false);
      const out: Record<string, unknown> = { action: 'generalize', to };
      for (const [key, p] of Object.entries(params)) {
        out[p.prop] = value[key] === undefined || value[key] === null ? p.default : integer(value[key], path, p.min, p.max, (pp, m, h) => fail(pp, `${at}: ${key} ${m}`, h));
      }
      if (to === 'age' && AGE_TOP_CODE % (out.band as number) !== 0) {
        fail(path, `${at}: band ${out.band as number} does not divide ${AGE_TOP_CODE}`, `ages of ${AGE_TOP_CODE} and over become "${AGE_TOP_CODE}+", so the band must divide it: 1, 2, 3, 5, 6, 9, 10, 15, 18, 30, 45 or 90`);
      }
      return out as FieldPolicy;
    }
  }
}

function fields(value: unknown, path: string, fail: ConfigFail): Record<string, FieldPolicy> {
  if (value === undefined || value === null) return {};
  if (!isObj(value)) return fail(path, 'must be a mapping of field path to action', 'e.g. fields: { email: tokenize, card: { mask: 4 } }');
  const out: Record<string, FieldPolicy> = {};
  for (const [field, policy] of Object.entries(value)) {
    const at = childPath(path, field);
    const problem = fieldPathProblem(field);
    if (problem) fail(at, `field path ${JSON.stringify(field)} ${problem}`, 'write field paths like email, properties.email or items[].card');
    // defineProperty: a field may be called __proto__
    Object.defineProperty(out, field, { value: fieldPolicy(policy, field, at, fail), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function schema(value: unknown, path: string, fail: ConfigFail): DeclaredColumns {
  const hint = 'declare columns as a mapping (id: BIGINT) or as a string id:BIGINT,name:VARCHAR';
  let columns: { name: string; type: string }[];
  if (typeof value === 'string') {
    if (value.trim() === '') fail(path, 'is empty', hint);
    columns = reported(path, fail, () => parseDeclaredColumns(value)).map((c) => ({ ...c }));
  } else if (isObj(value)) {
    columns = [];
    for (const [name, type] of Object.entries(value)) {
      const at = childPath(path, name);
      if (name.trim() === '' || /[\s:]/.test(name)) fail(at, `invalid column name ${JSON.stringify(name)}`, hint);
      if (typeof type !== 'string' || !TYPE_PATTERN.test(type.trim())) fail(at, `invalid type ${json(type)} for column ${JSON.stringify(name)}`, 'use DuckDB types such as BIGINT, DOUBLE, VARCHAR, TIMESTAMP, DECIMAL(10,2), VARCHAR[]');
      columns.push({ name, type: (type as string).trim().toUpperCase() });
    }
  } else return fail(path, `must be a mapping of column to type, got ${json(value)}`, hint);
  if (columns.length === 0) fail(path, 'declares no columns', `${hint}; leave schema out to infer it from the first file`);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) fail(path, `column ${JSON.stringify(c.name)} is declared twice`);
    seen.add(c.name);
  }
  return columns;
}

/** The columns of a change row ade writes: kept as they are unless a policy names them (positions and ids are not personal data, and must not be scanned). */
const CDC_COLUMNS = ['cdc_op', 'cdc_position', 'cdc_ts', 'cdc_format', 'cdc_source', 'cdc_id'] as const;

/** `cdc: { key: [id] }`, `cdc: { key: id }`, or `cdc: true` / `cdc: {}` (the key comes from the events). */
function cdc(value: unknown, path: string, fail: ConfigFail): CdcConfig | undefined {
  const hint = 'e.g. cdc: { key: [id] } (Debezium needs the key columns; DynamoDB and Salesforce events carry theirs)';
  if (value === false) return undefined;
  if (value === true) return { key: [] };
  if (!isObj(value)) return fail(path, `must be a mapping, got ${json(value)}`, hint);
  checkKeys(value, ['key'], path, 'cdc', fail);
  const raw = value.key === undefined || value.key === null ? [] : typeof value.key === 'string' ? [value.key] : value.key;
  if (!Array.isArray(raw)) return fail(`${path}.key`, `must be a column or a list of columns, got ${json(value.key)}`, hint);
  const key: string[] = [];
  for (const column of raw) {
    if (typeof column !== 'string' || column.trim() === '' || column.includes('.') || column.trim() !== column) {
      fail(`${path}.key`, `invalid key column ${json(column)}`, 'name top-level columns of the row, e.g. key: [id] or key: [tenant_id, id]');
    }
    if (key.includes(column as string)) fail(`${path}.key`, `column ${JSON.stringify(column)} is listed twice`);
    if ((column as string).startsWith('cdc_')) fail(`${path}.key`, `key column ${JSON.stringify(column)} starts with cdc_, which is reserved for the change columns`);
    key.push(column as string);
  }
  return { key };
}

function source(name: string, settings: Obj, base: string, allowed: readonly string[], fail: ConfigFail): SourceConfig {
  checkKeys(settings, allowed, base, `source ${JSON.stringify(name)}`, fail);
  const get = (key: string): unknown => (settings[key] === null ? undefined : settings[key]);
  const at = (key: string) => `${base}.${key}`;

  if (get('format') === undefined) fail(at('format'), 'is required', `use one of: ${list(INPUT_FORMATS)}`);
  const format = oneOf<InputFormat>(get('format'), INPUT_FORMATS, at('format'), 'format', fail);
  const compression = get('compression') === undefined ? SOURCE_DEFAULTS.compression : oneOf(get('compression'), COMPRESSIONS, at('compression'), 'compression', fail);

  let location: string | undefined;
  if (get('location') !== undefined) {
    const v = get('location');
    if (typeof v !== 'string' || v.trim() === '') fail(at('location'), `must be a file, folder or glob, got ${json(v)}`, 'e.g. location: landing/events/*.ndjson.gz');
    location = v as string;
  }

  const onSchemaChange =
    get('on_schema_change') === undefined ? SOURCE_DEFAULTS.onSchemaChange : oneOf(get('on_schema_change'), SCHEMA_CHANGE_POLICIES, at('on_schema_change'), 'on_schema_change policy', fail);
  const undeclared = get('undeclared') === undefined ? SOURCE_DEFAULTS.undeclared : oneOf(get('undeclared'), UNDECLARED_POLICIES, at('undeclared'), 'undeclared policy', fail);

  const singleField = (key: string): string | undefined => {
    const v = get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return fail(at(key), `must be a field path, got ${json(v)}`, 'e.g. event_id: id or event_id: meta.id');
    const problem = fieldPathProblem(v, false);
    if (problem) fail(at(key), `field path ${JSON.stringify(v)} ${problem}`, 'e.g. event_id: id or event_id: meta.id');
    return v;
  };
  const changes = get('cdc') === undefined ? undefined : cdc(get('cdc'), at('cdc'), fail);
  if (changes && format !== 'ndjson') fail(at('cdc'), `a change stream must be format ndjson, not ${format}`, 'the collector writes change rows as NDJSON: set format: ndjson');
  // A change stream's rows are identified and timed by the change columns unless said otherwise.
  const eventId = singleField('event_id') ?? (changes ? 'cdc_id' : undefined);
  const eventTime = singleField('event_time') ?? (changes ? 'cdc_ts' : undefined);

  const rawRetentionMs = get('raw_retention') === undefined ? undefined : duration(get('raw_retention'), at('raw_retention'), fail);
  const archiveRetentionMs = get('archive_retention') === undefined ? undefined : duration(get('archive_retention'), at('archive_retention'), fail);

  let maxRecordBytes: number = SOURCE_DEFAULTS.maxRecordBytes;
  if (get('max_record_size') !== undefined) {
    const v = get('max_record_size');
    if (typeof v !== 'string' && typeof v !== 'number') fail(at('max_record_size'), `must be a size such as 16MB, got ${json(v)}`);
    maxRecordBytes = reported(at('max_record_size'), fail, () => parseSize(v as string | number, at('max_record_size')));
    if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 1) fail(at('max_record_size'), `must be a whole number of bytes of at least 1, got ${json(v)}`, 'write sizes like 64KB, 16MB or 16MiB');
  }
  const maxColumns = get('max_columns') === undefined ? SOURCE_DEFAULTS.maxColumns : integer(get('max_columns'), at('max_columns'), 1, Number.MAX_SAFE_INTEGER, fail);
  const maxDepth = get('max_depth') === undefined ? SOURCE_DEFAULTS.maxDepth : integer(get('max_depth'), at('max_depth'), 1, Number.MAX_SAFE_INTEGER, fail);

  const declared = get('schema') === undefined ? undefined : schema(get('schema'), at('schema'), fail);
  const policies = fields(get('fields'), at('fields'), fail);
  if (changes) for (const c of CDC_COLUMNS) if (!Object.hasOwn(policies, c)) policies[c] = { action: 'keep' };

  return {
    name,
    format,
    compression,
    ...(location !== undefined ? { location } : {}),
    ...(declared !== undefined ? { schema: declared } : {}),
    onSchemaChange,
    ...(eventId !== undefined ? { eventId } : {}),
    ...(eventTime !== undefined ? { eventTime } : {}),
    fields: policies,
    undeclared,
    ...(rawRetentionMs !== undefined ? { rawRetentionMs } : {}),
    ...(archiveRetentionMs !== undefined ? { archiveRetentionMs } : {}),
    maxRecordBytes,
    maxColumns,
    maxDepth,
    ...(changes ? { cdc: changes } : {}),
  };
}

function sourceName(name: unknown, path: string, fail: ConfigFail): string {
  if (typeof name !== 'string') return fail(path, `source name must be a string, got ${json(name)}`);
  return reported(path, fail, () => validateName('source', name));
}

/**
 * Reads the `sources:` section of ade.yaml: a mapping of source name to
 * settings, or a list of settings each with `name:`. Pure (no files, no
 * environment). Every problem goes to `fail` with the dotted YAML path of the
 * offending key, or of its parent when the key itself holds a dot (field paths).
 */
export function parseSources(value: unknown, fail: ConfigFail): SourceConfig[] {
  if (value === undefined || value === null) return [];
  const out: SourceConfig[] = [];
  const seen = new Map<string, string>();
  const add = (config: SourceConfig, path: string) => {
    const first = seen.get(config.name);
    if (first !== undefined) fail(path, `source ${JSON.stringify(config.name)} is defined twice (first at ${first})`, 'give each source a unique name');
    seen.set(config.name, path);
    out.push(config);
  };
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const base = `sources.${i}`;
      if (!isObj(item)) fail(base, `each source must be a mapping with name:, got ${json(item)}`);
      const settings = item as Obj;
      if (settings.name === undefined || settings.name === null) fail(base, 'source has no name:', 'e.g. - name: events');
      const name = sourceName(settings.name, `${base}.name`, fail);
      // Name the source in every message: `sources.2.format` alone is hard to find.
      const named: ConfigFail = (p, m, h) => fail(p, `${m} (source ${JSON.stringify(name)})`, h);
      add(source(name, settings, base, ['name', ...SOURCE_KEYS], named), `${base}.name`);
    });
    return out;
  }
  if (!isObj(value)) return fail('sources', 'must be a mapping of source name to settings (or a list of sources with name:)', 'e.g. sources: { events: { format: ndjson } }');
  for (const [key, settings] of Object.entries(value)) {
    const base = childPath('sources', key);
    const name = sourceName(key, base, fail);
    if (!isObj(settings)) fail(base, `must be a mapping of settings, got ${json(settings)}`, `at least format: (${list(INPUT_FORMATS)})`);
    const s = settings as Obj;
    if (s.name !== undefined && s.name !== name) fail(`${base}.name`, `is ${json(s.name)} but the source is keyed ${JSON.stringify(name)}`, 'leave name: out; the key is the name');
    const { name: _ignored, ...rest } = s;
    add(source(name, rest, base, SOURCE_KEYS, fail), base);
  }
  return out;
}
