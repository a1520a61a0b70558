import { join } from 'node:path';
import { analyzeExperiment, type ExperimentAnalysis } from '../experiments/analyze-experiment.js';
import type { ExperimentConfig, MetricConfig } from '../experiments/experiment-config.js';
import { ingest, sourceTimeColumns, type SourceConfig } from '../ingest/index.js';
import { AdeError, formatTableRef, parseTableRef, PermissionError, quoteLiteral, ValidationError, type Principal } from '../kernel/index.js';
import { WriteBlockedError, type Lake } from '../lake/index.js';
import { loadModels, ModelGraph, runModels, type ModelKind } from '../models/index.js';
import type { Keyring } from '../privacy/index.js';
import type { QualityService } from '../quality/quality-service.js';
import { generateAccountChanges, shuffledBatches, type ChangeStream } from './change-stream.js';
import { DATASET_SCALES, generateArrivals, generateDataset, type DatasetFiles, type DatasetScale } from './dataset.js';
import { DEMO_EXPERIMENTS } from './demo-experiments.js';
import { runDemoMl, type DemoMl } from './demo-ml.js';
import { DEMO_MODELS } from './demo-models.js';
import { DEMO_QUESTIONS } from './questions.js';

export interface DemoOptions {
  readonly scale: DatasetScale;
  readonly seed: number;
  /** The dataset's last day (exclusive). Fixed by default so answers are reproducible. */
  readonly endDate: Date;
  /** Who loads (needs engineer) and who asks (an analyst). */
  readonly engineer: Principal;
  readonly analyst: Principal;
  /** Who promotes the demo's models to champion (an admin). */
  readonly admin: Principal;
  /** The ade version recorded in the demo models' manifests. */
  readonly codeVersion: string;
  /** The demo project's sources (customers, products, orders, events, support). */
  readonly sources: readonly SourceConfig[];
  /** The demo project's experiments and metrics (ade.yaml; `DEMO_EXPERIMENTS_YAML`): checkout_button and onboarding_email are analysed. */
  readonly experiments: readonly ExperimentConfig[];
  readonly metrics: readonly MetricConfig[];
  /** Where a failing sample-ratio check is recorded and alerted; undefined: not recorded. */
  readonly quality?: QualityService;
  /** Keys for tokens (ingest refuses to run without). */
  readonly keyring: Keyring;
  /** The project folder (sources' locations are relative to it; its models/ holds the demo's models). */
  readonly projectDir: string;
  /** How live data reaches the lake: over HTTP to the server's collector and CDC endpoint (the CLI runs `ade serve`'s server for it). */
  readonly deliver: DemoDelivery;
  readonly onStep?: (step: string, done?: number, total?: number) => void;
}

/**
 * The demo's live deliveries. Each call resolves once every request was
 * acknowledged (durably buffered) and the collector flushed them into the
 * stream's clean table.
 */
export interface DemoDelivery {
  /** Posts an NDJSON file of events to `/v1/events/<source>`. */
  events(source: string, file: string): Promise<{ readonly requests: number; readonly events: number }>;
  /** Posts change events to `/v1/cdc/<source>`, one request per batch, in the order given. */
  changes(source: string, batches: readonly (readonly object[])[]): Promise<{ readonly requests: number; readonly changes: number }>;
}

/** The app backend's change stream, delivered through `/v1/cdc` and applied by `model.account_current`. */
export interface DemoChanges {
  readonly snapshot: number;
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  /** Requests the day's changes took (shuffled, one delivered twice). */
  readonly requests: number;
  /** Rows of model.account_current, and the accounts the source holds after its last change. */
  readonly accounts: number;
  readonly expected: number;
}

export interface DemoAnswer {
  readonly id: string;
  readonly title: string;
  readonly sql: string;
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
}

/** A model the demo built with `ade run`'s builder, or found already built. */
export interface DemoModel {
  /** `zone.name`, e.g. `model.order_f`. */
  readonly table: string;
  readonly kind: ModelKind;
  /** `built` now, or `fresh`: already built from the same inputs and code (a second `ade demo` in the same folder). */
  readonly status: 'built' | 'fresh';
  /** Rows the table holds after the build. */
  readonly rows: number;
  /** Time the build took (0 when fresh). */
  readonly seconds: number;
}

export interface DemoReport {
  readonly dataset: DatasetFiles['counts'];
  readonly loads: readonly { table: string; rows: number; files: number; bytes: number; seconds: number; snapshot: number }[];
  /** What each source's ingest did: rows read, written, quarantined, deduplicated, and personal data found. */
  readonly ingests: readonly {
    source: string;
    rowsRead: number;
    rowsWritten: number;
    quarantined: number;
    deduplicated: number;
    seconds: number;
    detections: readonly { field: string; detector: string; count: number; action: string }[];
  }[];
  /** The project's models (models/), built after ingest in dependency order. */
  readonly models: readonly DemoModel[];
  readonly answers: readonly DemoAnswer[];
  /** The app's accounts change stream, applied by a `current` model. */
  readonly changes: DemoChanges;
  /** The next day's app events, delivered through the collector. */
  readonly collector: { readonly requests: number; readonly events: number };
  /** What happened when the analyst tried to read the raw zone (it must be refused). */
  readonly sandbox: { readonly query: string; readonly refused: boolean; readonly message: string };
  /** The next day's files against the project's checks (see docs/quality.md). */
  readonly quality: DemoQuality;
  /**
   * The app's experiments analysed as the analyst as of the dataset's end
   * (after the next day's checks, so not in `quality`): checkout_button
   * (a true effect on purchased_14d, none on app_sessions_14d) and
   * onboarding_email (a broken sample ratio, which opens an alert).
   */
  readonly experiments: readonly ExperimentAnalysis[];
  /** A churn classifier and an order-value regressor trained on the model tables, promoted to champion, and today's customers scored (demo-ml.ts). */
  readonly ml: DemoMl;
  readonly seconds: number;
}

export interface DemoQuality {
  /** The day after the dataset, whose files arrive last. */
  readonly day: string;
  /** Its app events: a quarter of the usual volume for that weekday, published (the volume check only warns). */
  readonly events: { readonly rows: number; readonly usual: number; readonly published: boolean };
  /** Its orders, one with a negative total: blocked by the range check, the table kept its snapshot. */
  readonly orders: { readonly rows: number; readonly blocked: boolean; readonly stagedId?: string; readonly reason?: string };
  /** The latest result of every check, failing ones first. */
  readonly results: readonly { readonly table: string; readonly check: string; readonly severity: string; readonly status: string; readonly message: string }[];
  /** Models `ade run`'s builder rebuilt for the new day (the blocked orders change nothing downstream). */
  readonly rebuilt: readonly string[];
  /** Alerts open after the arrivals (one per failing check). */
  readonly openAlerts: number;
}

export const DEMO_END_DATE = new Date('2026-11-01T00:00:00Z');

/**
 * The main job: generate a seeded startup dataset with personal data in
 * declared fields and in unexpected places, ingest every file through the
 * privacy path (raw copy, quarantine, obfuscated clean tables), build the
 * project's models as `ade run` does, and answer business questions as an
 * analyst who cannot see raw data. A model that fails fails the demo.
 */
export async function runDemo(lake: Lake, dataDir: string, opts: DemoOptions): Promise<DemoReport> {
  const started = performance.now();
  opts.onStep?.('generating dataset', 0, 1);
  const files = await generateDataset(dataDir, { seed: opts.seed, endDate: opts.endDate, ...DATASET_SCALES[opts.scale] }, (d, t) =>
    opts.onStep?.('generating dataset', d, t),
  );

  const loads: DemoReport['loads'][number][] = [];
  const ingests: DemoReport['ingests'][number][] = [];
  const order = ['customers', 'products', 'orders', 'events', 'support'];
  for (const [i, name] of order.entries()) {
    const source = opts.sources.find((s) => s.name === name);
    if (!source) throw new ValidationError(`the demo project has no source ${name}`, { hint: 'run `ade demo` in a new folder' });
    opts.onStep?.(`ingesting ${name}`, i, order.length);
    const r = await ingest(lake, opts.engineer, { source, baseDir: opts.projectDir, keyring: opts.keyring });
    ingests.push({
      source: name,
      rowsRead: r.rowsRead,
      rowsWritten: r.rowsWritten,
      quarantined: r.quarantined,
      deduplicated: r.deduplicated,
      seconds: r.seconds,
      detections: r.detections,
    });
    const pinned = await lake.catalog.pin({ zone: 'clean', name });
    loads.push({
      table: `clean.${name}`,
      rows: pinned.files.reduce((n, f) => n + f.rows, 0),
      files: pinned.files.length,
      bytes: pinned.files.reduce((n, f) => n + f.bytes, 0),
      seconds: r.seconds,
      snapshot: pinned.snapshot?.id ?? 0,
    });
  }
  // The app backend's change stream starts with its connector's snapshot of the accounts table.
  const stream = generateAccountChanges({ seed: opts.seed, accounts: Math.max(50, Math.round(files.counts.customers / 10)), day: opts.endDate });
  opts.onStep?.('the app\'s change stream: snapshot', 0, 1);
  await opts.deliver.changes('account_changes', shuffledBatches(stream.changes.filter((c) => c.op === 'r'), 200, opts.seed));
  const models = await buildModels(lake, opts);
  const { quality, collector, changes } = await nextDay(lake, dataDir, opts, files, stream);

  opts.onStep?.('answering questions', 0, DEMO_QUESTIONS.length);
  const session = await lake.session(opts.analyst);
  const answers: DemoAnswer[] = [];
  let sandbox: DemoReport['sandbox'];
  try {
    for (const [i, q] of DEMO_QUESTIONS.entries()) {
      const r = await session.query(q.sql);
      answers.push({ id: q.id, title: q.title, sql: q.sql, columns: r.columns.map((c) => c.name), rows: r.rows });
      opts.onStep?.('answering questions', i + 1, DEMO_QUESTIONS.length);
    }
    // Raw files hold personal data: an analyst's session cannot read them, by path or otherwise.
    const raw = (await lake.catalog.listIngestedFiles({ source: 'customers', zone: 'raw', limit: 1 }))[0];
    const probe = `SELECT email FROM read_csv(${quoteLiteral(raw ? await lake.store.localPath(raw.rawKey) : join(lake.store.localRoot(), 'raw'))}) LIMIT 1`;
    try {
      await session.query(probe);
      sandbox = { query: probe, refused: false, message: 'the analyst could read the raw customers file' };
    } catch (e) {
      sandbox = { query: probe, refused: true, message: (e as Error).message.split('\n')[0]! };
    }
  } finally {
    await session.close();
  }
  if (!sandbox.refused) throw new PermissionError('sandbox failure: an analyst session could read the raw zone');
  const experiments = await analyzeExperiments(lake, opts);
  const ml = await runDemoMl(lake, { scale: opts.scale, seed: opts.seed, endDate: opts.endDate, analyst: opts.analyst, admin: opts.admin, codeVersion: opts.codeVersion, ...(opts.onStep ? { onStep: opts.onStep } : {}) });
  return { dataset: files.counts, loads, ingests, models, answers, sandbox, quality, changes, collector, experiments, ml, seconds: (performance.now() - started) / 1000 };
}

/**
 * The app's experiments, analysed as the analyst as of the dataset's end
 * (stored, as `ade exp analyze` stores them; the same as-of again replaces
 * them). A failing sample-ratio check goes to `opts.quality`.
 */
async function analyzeExperiments(lake: Lake, opts: DemoOptions): Promise<ExperimentAnalysis[]> {
  const out: ExperimentAnalysis[] = [];
  for (const [i, demo] of DEMO_EXPERIMENTS.entries()) {
    const experiment = opts.experiments.find((e) => e.key === demo.key);
    if (!experiment) throw new ValidationError(`the demo project has no experiment ${demo.key}`, { hint: 'run `ade demo` in a new folder' });
    opts.onStep?.('analysing experiments', i, DEMO_EXPERIMENTS.length);
    out.push(await analyzeExperiment(lake, opts.analyst, experiment, opts.metrics, { asOf: opts.endDate, ...(opts.quality ? { quality: opts.quality } : {}) }));
  }
  opts.onStep?.('analysing experiments', DEMO_EXPERIMENTS.length, DEMO_EXPERIMENTS.length);
  return out;
}

/**
 * Builds the project's models with the builder `ade run` uses (stale models
 * only, in dependency order, sources' time columns for day models), as the
 * engineer. Throws when one fails or cannot build, naming the model and its error.
 */
async function buildModels(lake: Lake, opts: DemoOptions): Promise<DemoModel[]> {
  const tables = new Set((await lake.catalog.listTables()).map((t) => formatTableRef(t)));
  const graph = new ModelGraph(await loadModels(opts.projectDir), tables);
  const missing = DEMO_MODELS.filter((m) => !graph.models.has(m.table));
  if (missing.length) {
    throw new ValidationError(`the demo project has no ${missing.map((m) => m.path).join(', ')}`, { hint: '`ade demo` writes them (from code: writeDemoModels(projectDir) before runDemo)' });
  }
  const results = await runModels(lake, opts.engineer, graph, {
    timeColumns: sourceTimeColumns(opts.sources),
    onModel: (table, done, total) => opts.onStep?.(`building ${table}`, done, total),
  });
  const failed = results.find((r) => r.status === 'failed') ?? results.find((r) => r.status === 'skipped');
  if (failed) {
    const file = graph.models.get(failed.table)!.file;
    const skipped = results.filter((r) => r.status === 'skipped' && r !== failed).map((r) => r.table);
    const why = failed.status === 'failed' ? `failed: ${failed.error}` : `was not built: ${failed.reasons.join('; ')}`;
    throw new AdeError('demo.model_failed', `${failed.table} (${file}) ${why}${skipped.length ? ` (not built either: ${skipped.join(', ')})` : ''}`, {
      hint: failed.hint ?? `fix ${file}, then run \`ade run --as engineer\` in ${opts.projectDir}`,
      details: { table: failed.table, file, ...(failed.runId ? { runId: failed.runId } : {}) },
    });
  }
  const out: DemoModel[] = [];
  for (const r of results) {
    const pinned = await lake.catalog.pin(parseTableRef(r.table));
    out.push({
      table: r.table,
      kind: graph.models.get(r.table)!.kind,
      status: r.status === 'built' ? 'built' : 'fresh',
      rows: pinned.files.reduce((n, f) => n + f.rows, 0),
      seconds: r.seconds ?? 0,
    });
  }
  return out;
}

/**
 * The day after: a short file of app events (tracking broke in a release) and
 * an orders file with a negative total arrive and are ingested like any other.
 * The events publish and the seasonal volume check warns; the orders are
 * blocked by an error check and kept as a staged snapshot.
 */
async function nextDay(
  lake: Lake,
  dataDir: string,
  opts: DemoOptions,
  files: DatasetFiles,
  stream: ChangeStream,
): Promise<{ quality: DemoQuality; collector: DemoReport['collector']; changes: DemoChanges }> {
  opts.onStep?.('the next day arrives', 0, 3);
  const arrivals = await generateArrivals(join(dataDir, 'arrivals'), { seed: opts.seed, endDate: opts.endDate, ...DATASET_SCALES[opts.scale] }, files.events, files.counts.orders);
  const source = (name: string) => opts.sources.find((s) => s.name === name)!;
  // The app sends its events to the collector as they happen.
  const eventRows = async () => (await lake.catalog.pin({ zone: 'clean', name: 'events' })).files.reduce((n, f) => n + f.rows, 0);
  const before = await eventRows();
  const collector = await opts.deliver.events('events', arrivals.events);
  const published = (await eventRows()) > before;
  opts.onStep?.('the next day arrives', 1, 3);
  // The backend's day of account changes, delivered out of order, one request twice (a retry).
  const day = stream.changes.filter((c) => c.op !== 'r');
  const batches = shuffledBatches(day, 20, opts.seed + 1);
  if (batches.length) batches.push(batches[0]!);
  const delivered = await opts.deliver.changes('account_changes', batches);
  opts.onStep?.('the next day arrives', 2, 3);
  let orders: DemoQuality['orders'];
  try {
    await ingest(lake, opts.engineer, { source: source('orders'), paths: [arrivals.orders], baseDir: opts.projectDir, keyring: opts.keyring });
    orders = { rows: arrivals.orderCount, blocked: false };
  } catch (e) {
    if (!(e instanceof WriteBlockedError)) throw e;
    orders = { rows: arrivals.orderCount, blocked: true, stagedId: e.stagedId, reason: e.message };
  }
  opts.onStep?.('the next day arrives', 3, 3);
  const rebuilt = (await buildModels(lake, opts)).filter((m) => m.status === 'built').map((m) => m.table);
  const changes = await checkAccounts(lake, opts, stream, delivered.requests);
  const rank = (r: { status: string; severity: string }) => (r.status === 'fail' || r.status === 'error' ? (r.severity === 'error' ? 0 : 1) : 2);
  const results = (await lake.catalog.listCheckResults({ latest: true, limit: 1000 }))
    .map((r) => ({ table: r.table, check: r.check, severity: r.severity, status: r.status, message: r.message }))
    .sort((a, b) => rank(a) - rank(b) || a.table.localeCompare(b.table) || a.check.localeCompare(b.check));
  const quality: DemoQuality = {
    day: arrivals.day,
    events: { rows: arrivals.eventCount, usual: Math.round(arrivals.usualEvents), published },
    orders,
    results,
    rebuilt,
    openAlerts: (await lake.catalog.listAlerts({ state: 'open' })).length,
  };
  return { quality, collector, changes };
}

/**
 * model.account_current must hold exactly the accounts the backend holds
 * after its last change — whatever order the changes arrived in, and
 * although one request came twice. Throws when it does not.
 */
async function checkAccounts(lake: Lake, opts: DemoOptions, stream: ChangeStream, requests: number): Promise<DemoChanges> {
  const session = await lake.session(opts.engineer, { forSql: 'model.account_current' });
  let rows: readonly Record<string, unknown>[];
  try {
    rows = (await session.query('SELECT account_id, plan, seats FROM model.account_current ORDER BY account_id')).rows;
  } finally {
    await session.close();
  }
  const expected = [...stream.final.values()].sort((a, b) => a.account_id - b.account_id);
  const wrong = expected.length !== rows.length || expected.some((e, i) => Number(rows[i]!.account_id) !== e.account_id || rows[i]!.plan !== e.plan || Number(rows[i]!.seats) !== e.seats);
  if (wrong) {
    throw new AdeError('demo.cdc_mismatch', `model.account_current holds ${rows.length} accounts; the change stream leaves ${expected.length} (or their plans or seats differ)`, {
      hint: 'the current model must apply changes by source position, whatever order they arrive in: see docs/models.md',
    });
  }
  return { ...stream.counts, requests, accounts: rows.length, expected: expected.length };
}
