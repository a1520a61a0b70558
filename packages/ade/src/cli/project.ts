import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { cpus } from 'node:os';
import { parseDocument, YAMLParseError } from 'yaml';
import { parseAllowedOrigins } from '../api/collector-cors.js';
import type { CatalogConfig } from '../catalog/index.js';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from '../engine/index.js';
import { AdeError, isRole, parseDuration, parseSize, ROLES, ValidationError, type Role } from '../kernel/index.js';
import { DEFAULT_GC_CONFIG, type GcConfig, type LakeConfig } from '../lake/index.js';
import type { ObjectStoreConfig } from '../storage/index.js';
import { parseSources } from '../ingest/parse-sources.js';
import type { SourceConfig } from '../ingest/source-config.js';
import { parseChecksSection, type CheckDef } from '../quality/parse-checks.js';
import type { ExperimentConfig, MetricConfig } from '../experiments/experiment-config.js';
import { parseExperiments } from '../experiments/parse-experiments.js';
import { parseSink, type SinkConfig } from '../quality/alert-sinks.js';
import { parseSchedules, parseTriggers, type ScheduleConfig, type TriggerConfig } from '../schedule/index.js';

export const PROJECT_FILE = 'ade.yaml';

/** A project's settings, read from ade.yaml once and validated. */
export interface Project {
  readonly dir: string;
  readonly file: string;
  readonly name: string;
  readonly lake: LakeConfig;
  readonly gc: GcConfig;
  /** The role the CLI acts with unless `--as` says otherwise. */
  readonly defaultRole: Role;
  /** Roles the local user may act with (`--as`). */
  readonly grantedRoles: readonly Role[];
  /** Where data comes from and the privacy policy for each source (`sources:`); empty when none. */
  readonly sources: readonly SourceConfig[];
  /** Checks declared in ade.yaml (`checks:`); model headers add theirs when models load. */
  readonly checks: readonly CheckDef[];
  /** Where alerts go (`alerts.sinks`). */
  readonly alertSinks: readonly SinkConfig[];
  /** `quality.profile`: profile every commit (`on_commit`, default) or only on demand. */
  readonly profileOnCommit: boolean;
  /** `server:`: where `ade serve` listens, and the environment variable holding its secret (read only by serve and tokens). */
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly secretEnv: string;
    /** `server.query_workers`: the processes POST /v1/query runs in; unset fields take the pool's defaults. */
    readonly queryWorkers: { readonly size?: number; readonly memoryLimit?: string; readonly timeoutMs?: number; readonly maxQueued?: number };
    /** `server.rate_limit`: requests per second per token, and the burst above it; unset fields take the server's defaults. */
    readonly rateLimit: { readonly requestsPerSecond?: number; readonly burst?: number };
  };
  /** `collector:`: the event collector's buffer (Firehose-style buffering hints) and its disk budget. */
  readonly collector: { readonly dir: string; readonly flushIntervalMs: number; readonly flushBytes: number; readonly maxBytes: number; readonly allowedOrigins: readonly string[] };
  /** `schedules:`: cron jobs `ade serve` runs (model builds, source ingests); empty when none. */
  readonly schedules: readonly ScheduleConfig[];
  /** `metrics:`: metrics defined in SQL over lake tables, for experiments. */
  readonly metrics: readonly MetricConfig[];
  /** `experiments:`: A/B/n experiments (with `exposures:` as their default exposure table). */
  readonly experiments: readonly ExperimentConfig[];
  /** `triggers:`: whether `ade serve` builds downstream models when their inputs commit, with what debounce and poll interval. */
  readonly triggers: TriggerConfig;
}

/** Walks up from `start` to the folder holding ade.yaml. */
export function findProjectDir(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, PROJECT_FILE))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

class ConfigError extends AdeError {
  constructor(file: string, message: string, hint?: string, line?: number) {
    super('config.invalid', `${file}${line ? `:${line}` : ''}: ${message}`, { hint, details: { file, ...(line ? { line } : {}) } });
  }
}

type Obj = Record<string, unknown>;

/** Reads and validates `<dir>/ade.yaml`. `env` supplies `*_env` indirections (secrets stay out of the file). */
export function loadProject(dir: string, env: Readonly<Record<string, string | undefined>>): Project {
  const file = join(dir, PROJECT_FILE);
  if (!existsSync(file)) {
    throw new ValidationError(`no ${PROJECT_FILE} in ${dir}`, {
      code: 'config.missing',
      hint: 'create a project with `ade init <dir>`, or run inside one (or pass --project <dir>)',
    });
  }
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length) {
    const err = doc.errors[0]!;
    throw new ConfigError(file, err.message.split('\n')[0]!, 'fix the YAML syntax', err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined);
  }
  const root = (doc.toJS() ?? {}) as Obj;
  const at = (path: string): number | undefined => {
    const node = doc.getIn(path.split('.'), true) as { range?: [number, number] } | undefined;
    if (!node?.range) return undefined;
    return text.slice(0, node.range[0]).split('\n').length;
  };
  const fail = (path: string, message: string, hint?: string): never => {
    throw new ConfigError(file, `${path}: ${message}`, hint, at(path));
  };
  const section = (name: string): Obj => {
    const v = root[name];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) fail(name, 'must be a mapping');
    return v as Obj;
  };
  const str = (obj: Obj, path: string, key: string, fallback?: string): string => {
    let v = obj[key];
    const envKey = obj[`${key}_env`];
    if (v === undefined && typeof envKey === 'string') {
      v = env[envKey];
      if (v === undefined) fail(`${path}.${key}_env`, `environment variable ${envKey} is not set`);
    }
    if (v === undefined) {
      if (fallback === undefined) fail(`${path}.${key}`, 'is required');
      return fallback!;
    }
    if (typeof v !== 'string' && typeof v !== 'number') fail(`${path}.${key}`, 'must be a string');
    return String(v);
  };
  const rel = (p: string) => (isAbsolute(p) ? p : join(dir, p));

  const storageCfg = section('storage');
  const storageKind = str(storageCfg, 'storage', 'kind', 'local');
  let storage: ObjectStoreConfig;
  if (storageKind === 'local') storage = { kind: 'local', root: rel(str(storageCfg, 'storage', 'root', '.ade/lake')) };
  else if (storageKind === 's3') {
    const accessKeyId = storageCfg.access_key_id_env ? str(storageCfg, 'storage', 'access_key_id') : undefined;
    const secretAccessKey = storageCfg.secret_access_key_env ? str(storageCfg, 'storage', 'secret_access_key') : undefined;
    storage = {
      kind: 's3',
      bucket: str(storageCfg, 'storage', 'bucket'),
      prefix: str(storageCfg, 'storage', 'prefix', ''),
      region: str(storageCfg, 'storage', 'region', 'us-east-1'),
      ...(storageCfg.endpoint ? { endpoint: str(storageCfg, 'storage', 'endpoint'), forcePathStyle: true } : {}),
      ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
      cacheDir: rel(str(storageCfg, 'storage', 'cache_dir', '.ade/cache')),
      ...(storageCfg.cache_max_bytes !== undefined ? { cacheMaxBytes: parseSize(str(storageCfg, 'storage', 'cache_max_bytes'), 'storage.cache_max_bytes') } : {}),
    } as ObjectStoreConfig;
  } else fail('storage.kind', `unknown storage kind ${JSON.stringify(storageKind)}`, 'use local or s3');

  const catalogCfg = section('catalog');
  const catalogKind = str(catalogCfg, 'catalog', 'kind', 'sqlite');
  let catalog: CatalogConfig;
  if (catalogKind === 'sqlite') catalog = { kind: 'sqlite', path: rel(str(catalogCfg, 'catalog', 'path', '.ade/catalog.db')) };
  else if (catalogKind === 'postgres') catalog = { kind: 'postgres', url: str(catalogCfg, 'catalog', 'url') };
  else fail('catalog.kind', `unknown catalog kind ${JSON.stringify(catalogKind)}`, 'use sqlite or postgres');

  const engineCfg = section('engine');
  const threads = Number(str(engineCfg, 'engine', 'threads', String(Math.max(1, cpus().length))));
  if (!Number.isInteger(threads) || threads < 1) fail('engine.threads', 'must be a positive integer');
  const engine: EngineConfig = {
    memoryLimit: str(engineCfg, 'engine', 'memory_limit', DEFAULT_ENGINE_CONFIG.memoryLimit),
    threads,
    queryTimeoutMs: parseDuration(str(engineCfg, 'engine', 'query_timeout', '60s'), 'engine.query_timeout'),
    tempDir: rel(str(engineCfg, 'engine', 'temp_dir', '.ade/tmp')),
    targetFileBytes: parseSize(str(engineCfg, 'engine', 'target_file_size', '128MB'), 'engine.target_file_size'),
    rowGroupSize: DEFAULT_ENGINE_CONFIG.rowGroupSize,
  };

  const access = section('access');
  const defaultRole = str(access, 'access', 'default_role', 'analyst');
  if (!isRole(defaultRole)) fail('access.default_role', `unknown role ${JSON.stringify(defaultRole)}`, `roles are ${ROLES.join(', ')}`);
  const granted = access.granted_roles ?? [defaultRole];
  if (!Array.isArray(granted) || !granted.every((r) => typeof r === 'string' && isRole(r))) {
    fail('access.granted_roles', 'must be a list of roles', `roles are ${ROLES.join(', ')}`);
  }
  const grantedRoles = [...new Set([defaultRole, ...(granted as string[])])] as Role[];

  const gcCfg = section('gc');
  const gc: GcConfig = {
    retentionMs: gcCfg.retention === undefined ? DEFAULT_GC_CONFIG.retentionMs : parseDuration(str(gcCfg, 'gc', 'retention'), 'gc.retention'),
    graceMs: gcCfg.grace === undefined ? DEFAULT_GC_CONFIG.graceMs : parseDuration(str(gcCfg, 'gc', 'grace'), 'gc.grace'),
    keepLast: gcCfg.keep_last === undefined ? DEFAULT_GC_CONFIG.keepLast : Number(gcCfg.keep_last),
    stageTimeoutMs: gcCfg.stage_timeout === undefined ? DEFAULT_GC_CONFIG.stageTimeoutMs : parseDuration(str(gcCfg, 'gc', 'stage_timeout'), 'gc.stage_timeout'),
  };
  if (!Number.isInteger(gc.keepLast) || gc.keepLast < 1) fail('gc.keep_last', 'must be a whole number of at least 1');

  const sources = parseSources(root.sources, fail);
  const schedules = parseSchedules(root.schedules, sources, fail);
  const triggers = parseTriggers(root.triggers, fail);
  const { metrics, experiments } = parseExperiments({ metrics: root.metrics, experiments: root.experiments, exposures: root.exposures }, fail);

  // Table names hold dots, so check paths are resolved node by node.
  const lineOf = (parts: readonly (string | number)[]): number | undefined => {
    const node = doc.getIn(parts as (string | number)[], true) as { range?: [number, number] } | undefined;
    return node?.range ? text.slice(0, node.range[0]).split('\n').length : undefined;
  };
  const checks = parseChecksSection(root.checks, (parts, message, hint) => {
    let known = [...parts];
    while (known.length > 1 && lineOf(known) === undefined) known = known.slice(0, -1);
    throw new ConfigError(file, `${parts.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replaceAll('.[', '[')}: ${message}`, hint, lineOf(known));
  });

  const alertsCfg = section('alerts');
  for (const k of Object.keys(alertsCfg)) if (k !== 'sinks') fail(`alerts.${k}`, 'unknown key', 'alerts has sinks: only');
  const sinksRaw = alertsCfg.sinks ?? {};
  if (typeof sinksRaw !== 'object' || sinksRaw === null || Array.isArray(sinksRaw)) fail('alerts.sinks', 'must map sink names to sinks');
  const alertSinks = Object.entries(sinksRaw as Obj).map(([name, raw]) => parseSink(name, raw, env, fail));

  const serverCfg = section('server');
  for (const k of Object.keys(serverCfg)) if (!['host', 'port', 'secret_env', 'query_workers', 'rate_limit'].includes(k)) fail(`server.${k}`, 'unknown key', 'server has host, port, secret_env, query_workers and rate_limit');
  const port = Number(str(serverCfg, 'server', 'port', '7300'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('server.port', 'must be a port number (0 picks a free one)');
  const secretEnv = serverCfg.secret_env === undefined ? 'ADE_SERVER_SECRET' : String(serverCfg.secret_env);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretEnv)) fail('server.secret_env', 'must be the name of an environment variable');
  const workersCfg = (serverCfg.query_workers ?? {}) as Obj;
  if (typeof workersCfg !== 'object' || Array.isArray(workersCfg)) fail('server.query_workers', 'must be a mapping');
  for (const k of Object.keys(workersCfg)) if (!['size', 'memory_limit', 'timeout', 'queue'].includes(k)) fail(`server.query_workers.${k}`, 'unknown key', 'query_workers has size, memory_limit, timeout and queue');
  const count = (key: string, min: number): number | undefined => {
    if (workersCfg[key] === undefined) return undefined;
    const n = Number(str(workersCfg, 'server.query_workers', key));
    if (!Number.isInteger(n) || n < min) fail(`server.query_workers.${key}`, `must be a whole number of at least ${min}`);
    return n;
  };
  const [workerCount, queue] = [count('size', 1), count('queue', 0)];
  const queryWorkers = {
    ...(workerCount !== undefined ? { size: workerCount } : {}),
    ...(queue !== undefined ? { maxQueued: queue } : {}),
    ...(workersCfg.memory_limit !== undefined
      ? { memoryLimit: `${parseSize(str(workersCfg, 'server.query_workers', 'memory_limit'), 'server.query_workers.memory_limit')}B` }
      : {}),
    ...(workersCfg.timeout !== undefined ? { timeoutMs: parseDuration(str(workersCfg, 'server.query_workers', 'timeout'), 'server.query_workers.timeout') } : {}),
  };

  const rateCfg = (serverCfg.rate_limit ?? {}) as Obj;
  if (typeof rateCfg !== 'object' || rateCfg === null || Array.isArray(rateCfg)) fail('server.rate_limit', 'must be a mapping');
  for (const k of Object.keys(rateCfg)) if (!['requests_per_second', 'burst'].includes(k)) fail(`server.rate_limit.${k}`, 'unknown key', 'rate_limit has requests_per_second and burst');
  const positive = (key: string): number | undefined => {
    if (rateCfg[key] === undefined) return undefined;
    const n = Number(str(rateCfg, 'server.rate_limit', key));
    if (!Number.isFinite(n) || n <= 0) fail(`server.rate_limit.${key}`, 'must be a positive number');
    return n;
  };
  const [requestsPerSecond, burst] = [positive('requests_per_second'), positive('burst')];
  const rateLimit = { ...(requestsPerSecond !== undefined ? { requestsPerSecond } : {}), ...(burst !== undefined ? { burst } : {}) };

  const collectorCfg = section('collector');
  for (const k of Object.keys(collectorCfg)) if (!['dir', 'flush_interval', 'flush_size', 'max_disk', 'allowed_origins'].includes(k)) fail(`collector.${k}`, 'unknown key', 'collector has dir, flush_interval, flush_size, max_disk and allowed_origins');
  const collector = {
    dir: rel(str(collectorCfg, 'collector', 'dir', '.ade/collector')),
    flushIntervalMs: parseDuration(str(collectorCfg, 'collector', 'flush_interval', '5s'), 'collector.flush_interval'),
    flushBytes: parseSize(str(collectorCfg, 'collector', 'flush_size', '8MB'), 'collector.flush_size'),
    maxBytes: parseSize(str(collectorCfg, 'collector', 'max_disk', '1GB'), 'collector.max_disk'),
    // Pages anywhere may send events from a browser unless the project lists its origins (write keys are public there anyway).
    allowedOrigins: parseAllowedOrigins(collectorCfg.allowed_origins ?? ['*'], 'collector.allowed_origins'),
  };

  const qualityCfg = section('quality');
  for (const k of Object.keys(qualityCfg)) if (k !== 'profile') fail(`quality.${k}`, 'unknown key', 'quality has profile: on_commit | on_demand');
  const profile = str(qualityCfg, 'quality', 'profile', 'on_commit');
  if (profile !== 'on_commit' && profile !== 'on_demand') fail('quality.profile', 'must be on_commit or on_demand');

  return {
    dir,
    file,
    name: typeof root.name === 'string' ? root.name : 'ade-project',
    lake: { storage: storage!, catalog: catalog!, engine },
    gc,
    defaultRole: defaultRole as Role,
    grantedRoles,
    sources,
    checks,
    alertSinks,
    profileOnCommit: profile === 'on_commit',
    server: { host: str(serverCfg, 'server', 'host', '127.0.0.1'), port, secretEnv, queryWorkers, rateLimit },
    collector,
    schedules,
    metrics,
    experiments,
    triggers,
  };
}

/** The ade.yaml that `ade init` writes. */
export function defaultProjectYaml(name: string): string {
  return `# ade project settings — see docs/configuration.md
name: ${name}

# Where the lake's Parquet files live. kind: local | s3
storage:
  kind: local
  root: .ade/lake
  # kind: s3
  # bucket: my-lake
  # endpoint: http://127.0.0.1:9000     # any S3-compatible endpoint
  # access_key_id_env: AWS_ACCESS_KEY_ID
  # secret_access_key_env: AWS_SECRET_ACCESS_KEY

# The catalog: tables, snapshots, files. kind: sqlite | postgres
catalog:
  kind: sqlite
  path: .ade/catalog.db
  # kind: postgres
  # url_env: ADE_CATALOG_URL

# DuckDB limits for every query session.
engine:
  memory_limit: 1GB
  query_timeout: 60s
  target_file_size: 128MB

# Roles: viewer, analyst (clean/model/report/ml), engineer (+ raw/quarantine/archive), admin.
access:
  default_role: analyst
  granted_roles: [analyst, engineer]

# Garbage collection: snapshot retention and the grace period for unreferenced files.
gc:
  retention: 7d
  grace: 24h

# Sources: where files come from and what happens to personal data on the way
# into clean.<name> (failures go to quarantine.<name>). Unknown keys are errors.
# sources:
#   events:
#     format: ndjson                  # csv | tsv | ndjson | json | parquet
#     location: landing/events/*.ndjson.gz
#     event_id: event_id              # duplicates are dropped and counted
#     event_time: ts
#     undeclared: tokenize            # fields not listed below: tokenize | drop | reject
#     raw_retention: 30d              # then moved to the archive zone
#     fields:
#       email: tokenize               # keep | drop | tokenize | redact
#       phone: { tokenize: phone }
#       card: { mask: 4 }
#       ts: { generalize: day }
#       properties.email: tokenize    # nested JSON by dotted path
`;
}
