import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { assertCanWrite, formatTableRef, normalizeNames, processAlive, quoteLiteral, type Principal, type TableRef } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { trainAutoMl, type TrainResult } from './automl.js';
import type { Task } from './estimator.js';
import { MlError } from './ml-error.js';
import type { ModelRegistry, ModelVersionInfo } from './model-registry.js';
import { parseModelRef } from './model-ref.js';
import { trainWithPython } from './python-engine.js';
import { readTrainingData, DEFAULT_MAX_TRAINING_ROWS } from './read-training-data.js';
import type { LeaderboardRow, TrainOutcome, TrainProgress } from './train-outcome.js';

/** What `ade ml train` asks for. */
export interface TrainModelRequest {
  readonly table: TableRef;
  readonly target: string;
  readonly task?: Task;
  /** Wall-clock budget of the search (ms). */
  readonly timeLimitMs: number;
  readonly metric?: string;
  readonly exclude?: readonly string[];
  readonly seed: number;
  readonly folds: number;
  /** The registered model's name (default `<table>_<target>`). */
  readonly name?: string;
  readonly engine: 'builtin' | 'python';
  /** The Python interpreter for `engine: 'python'` (configuration, never read from the environment here). */
  readonly python?: string;
  /** Above this many rows a deterministic sample is trained on (default 1,000,000). */
  readonly maxRows?: number;
  /** Stages (reading, training, registering) and candidates as they finish. */
  readonly onStage?: (stage: 'reading' | 'training' | 'registering', detail?: string) => void;
  readonly onProgress?: (p: TrainProgress) => void;
  /** Things the user should know as they happen (e.g. that a sample is trained on). */
  readonly onNotice?: (message: string) => void;
}

/** What training produced and where it went. */
export interface TrainModelResult {
  readonly name: string;
  readonly version: number;
  /** `name@vN`. */
  readonly ref: string;
  readonly task: Task;
  readonly metric: string;
  readonly higherIsBetter: boolean;
  readonly cvScore: number;
  readonly cvStd: number;
  readonly leaderboard: readonly LeaderboardRow[];
  readonly importance: readonly { readonly feature: string; readonly importance: number }[];
  /** What the importance numbers mean. */
  readonly importanceKind: 'permutation' | 'native';
  readonly dropped: readonly { readonly column: string; readonly reason: string }[];
  /** Rows trained on; rows the table holds; whether a sample was read; rows without a target. */
  readonly rows: number;
  readonly totalRows: number;
  readonly sampled: boolean;
  readonly missingTarget: number;
  readonly table: string;
  readonly snapshotId: number | undefined;
  readonly engine: 'builtin' | 'python';
  readonly runId: string;
  readonly manifest: ModelVersionInfo['manifest'];
}

/** The default model name: `<table>_<target>`, made a valid name. */
export function defaultModelName(table: TableRef, target: string): string {
  return normalizeNames([`${table.name}_${target}`])[0]!.slice(0, 63).replace(/_+$/, '');
}

/**
 * Trains a model on a lake table and registers it as the next version:
 * reads the table as `principal` (a deterministic sample above `maxRows`),
 * trains with the built-in AutoML or the Python engine, registers the
 * artifact and manifest (audited `ml.register`; the serving table is
 * rewritten), all as one run in the ledger (`ml.train`).
 *
 * @example
 * const r = await trainModel(lake, principal, registry, { table: { zone: 'model', name: 'customer_d' }, target: 'churned', timeLimitMs: 120_000, seed: 42, folds: 5, engine: 'builtin' });
 * r.ref; // 'customer_d_churned@v1'
 */
export async function trainModel(lake: Lake, principal: Principal, registry: ModelRegistry, req: TrainModelRequest): Promise<TrainModelResult> {
  assertCanWrite(principal, 'ml');
  const name = req.name ?? defaultModelName(req.table, req.target);
  const ref = parseModelRef(name);
  if (ref.kind !== 'default') throw new MlError('ml.bad_option', `--name ${name} names a version or alias; give a bare model name`, { hint: `e.g. --name ${ref.name}` });
  if (!Number.isSafeInteger(req.seed)) throw new MlError('ml.bad_option', `--seed must be an integer, got ${req.seed}`, { hint: 'e.g. --seed 42' });
  if (!Number.isSafeInteger(req.folds) || req.folds < 2 || req.folds > 20) throw new MlError('ml.bad_option', `--folds must be 2 … 20, got ${req.folds}`, { hint: 'the default is 5' });
  if (!(req.timeLimitMs > 0)) throw new MlError('ml.bad_option', `the time limit must be positive`, { hint: 'e.g. --time-limit 2m' });
  const table = formatTableRef(req.table);
  await closeAbandonedTrainRuns(lake);
  const run = await lake.catalog.createRun({
    kind: 'ml.train',
    target: name,
    // host and pid let a later training tell that this one's process died (closeAbandonedTrainRuns).
    info: { table, target: req.target, engine: req.engine, seed: req.seed, folds: req.folds, timeLimitMs: req.timeLimitMs, by: principal.name, host: hostname(), pid: process.pid },
  });
  await lake.catalog.updateRun(run.id, { state: 'running', attemptsIncrement: true });
  try {
    req.onStage?.('reading', table);
    const data = await readTrainingData(lake, principal, req.table, { maxRows: req.maxRows ?? DEFAULT_MAX_TRAINING_ROWS, seed: req.seed });
    if (!data.columns.some((c) => c.name === req.target)) {
      throw new MlError('ml.bad_target', `${table} has no column '${req.target}' to predict`, { hint: `its columns: ${data.columns.map((c) => c.name).join(', ')}`, details: { table, target: req.target } });
    }
    if (data.rows === 0) throw new MlError('ml.no_rows', `${table} has no rows to train on`, { hint: 'load or build the table first', details: { table } });
    if (data.sampled) {
      req.onNotice?.(`${table} holds ${data.totalRows.toLocaleString('en-US')} rows: training on a deterministic sample of ${data.rows.toLocaleString('en-US')} (--max-rows; the same seed gives the same sample)`);
    }
    req.onStage?.('training', req.engine);
    const outcome = req.engine === 'python' ? await trainPython(lake, data.columns, req) : fromAutoMl(trainBuiltin(data.columns, req));
    req.onStage?.('registering', name);
    const version = await registry.register(principal, {
      name,
      artifact: outcome.artifact,
      metric: outcome.metric,
      cvScore: outcome.cvScore,
      cvStd: outcome.cvStd,
      leaderboard: outcome.leaderboard,
      importance: outcome.importance,
      dropped: outcome.dropped,
      training: { table, ...(data.snapshotId !== undefined ? { snapshotId: data.snapshotId } : {}), rows: outcome.rows, totalRows: data.totalRows, sampled: data.sampled },
      engine: req.engine,
      seed: req.seed,
      timeLimitMs: req.timeLimitMs,
      folds: req.folds,
      runId: run.id,
      extra: { ...outcome.extra, missingTarget: outcome.missingTarget, higherIsBetter: outcome.higherIsBetter },
    });
    await lake.catalog.updateRun(run.id, {
      state: 'succeeded',
      info: { model: version.ref, metric: outcome.metric, cvScore: outcome.cvScore, rows: outcome.rows, snapshot: data.snapshotId ?? null, sampled: data.sampled },
    });
    return {
      name,
      version: version.version,
      ref: version.ref,
      task: outcome.task,
      metric: outcome.metric,
      higherIsBetter: outcome.higherIsBetter,
      cvScore: outcome.cvScore,
      cvStd: outcome.cvStd,
      leaderboard: outcome.leaderboard,
      importance: outcome.importance,
      importanceKind: req.engine === 'python' ? 'native' : 'permutation',
      dropped: outcome.dropped,
      rows: outcome.rows,
      totalRows: data.totalRows,
      sampled: data.sampled,
      missingTarget: outcome.missingTarget,
      table,
      snapshotId: data.snapshotId,
      engine: req.engine,
      runId: run.id,
      manifest: version.manifest,
    };
  } catch (e) {
    await lake.catalog.updateRun(run.id, { state: 'failed', error: e instanceof Error ? e.message : String(e) }).catch(() => undefined);
    throw e;
  }
}

function trainBuiltin(columns: Parameters<typeof trainAutoMl>[0]['columns'], req: TrainModelRequest): TrainResult {
  let tried = 0;
  let best: { score: number; family: string } | undefined;
  return trainAutoMl(
    { columns },
    {
      target: req.target,
      ...(req.task ? { task: req.task } : {}),
      timeLimitMs: req.timeLimitMs,
      ...(req.metric ? { metric: req.metric } : {}),
      ...(req.exclude?.length ? { exclude: req.exclude } : {}),
      seed: req.seed,
      folds: req.folds,
      onCandidate: (entry) => {
        tried++;
        const score = entry.score?.mean;
        // The entries do not say which way the metric points; the caller's summary does. Track the first-seen best by the metric's name.
        if (entry.status === 'ok' && score !== undefined && Number.isFinite(score) && (!best || better(req.metric, score, best.score))) best = { score, family: entry.family };
        req.onProgress?.({ tried, family: entry.family, status: entry.status, ...(score !== undefined ? { cvScore: score } : {}), ...(best ? { best: best.score, bestFamily: best.family } : {}) });
      },
    },
  );
}

/** Whether `a` beats `b` for a metric given by name (lower is better for losses and errors). */
function better(metric: string | undefined, a: number, b: number): boolean {
  return metric === 'log_loss' || metric === 'rmse' || metric === 'mae' ? a < b : a > b;
}

/** The built-in AutoML's result in the engine-neutral shape. */
export function fromAutoMl(r: TrainResult): TrainOutcome {
  const total = r.leaderboard.reduce((s, e) => s + e.weight, 0);
  const members = r.leaderboard.filter((e) => e.weight > 0);
  return {
    artifact: r.artifact,
    task: r.task,
    metric: r.metric.name,
    higherIsBetter: r.metric.higherIsBetter,
    cvScore: r.cvScore,
    cvStd: r.cvStd,
    leaderboard: r.leaderboard.map((e) => ({
      family: e.family,
      params: e.params,
      ...(e.score ? { cvScore: e.score.mean, cvStd: e.score.std } : {}),
      ...(e.fitMs !== undefined ? { fitSeconds: e.fitMs / 1000 } : {}),
      ...(e.predictMsPer1k !== undefined ? { predictMsPer1k: e.predictMsPer1k } : {}),
      weight: total > 0 ? e.weight / total : 0,
      status: e.status,
      ...(e.error ? { error: e.error } : {}),
    })),
    importance: r.featureImportance.map((f) => ({ feature: f.column, importance: f.importance })),
    dropped: r.dropped,
    rows: r.rows.used,
    missingTarget: r.rows.missingTarget,
    extra: {
      engine: 'builtin',
      ensemble: members.map((e) => ({ family: e.family, params: e.params, weight: total > 0 ? e.weight / total : 0 })),
      search: r.search,
      folds: r.folds,
      features: r.features,
    },
  };
}

async function trainPython(lake: Lake, columns: Parameters<typeof trainWithPython>[0], req: TrainModelRequest): Promise<TrainOutcome> {
  return trainWithPython(
    columns,
    {
      target: req.target,
      ...(req.task ? { task: req.task } : {}),
      ...(req.metric ? { metric: req.metric } : {}),
      ...(req.exclude?.length ? { exclude: req.exclude } : {}),
      seed: req.seed,
      folds: req.folds,
      timeLimitMs: req.timeLimitMs,
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    },
    {
      python: req.python ?? 'python3',
      // Parquet through DuckDB, when the interpreter can read it (pyarrow).
      toParquet: async (csvPath, dir) => {
        const out = join(dir, 'parquet');
        await mkdir(out, { recursive: true });
        await lake.engine.write({
          sql: `SELECT * FROM read_csv(${quoteLiteral(csvPath)}, header = true, auto_type_candidates = ['DOUBLE', 'BIGINT'])`,
          tables: [],
          readPaths: [csvPath],
          readDirectories: [],
          outDir: out,
          filePrefix: 'train',
        });
        return out;
      },
    },
  );
}

/**
 * Trainings a killed or interrupted `ade ml train` left `running` are closed
 * when the next one starts (the search is synchronous, so Ctrl-C ends the
 * process without a word): on this host, a run whose process is gone is
 * marked succeeded when its model version was registered (the process died
 * just after), else failed (`abandoned`). Runs of other hosts are left alone.
 */
export async function closeAbandonedTrainRuns(lake: Lake): Promise<number> {
  let closed = 0;
  for (const r of await lake.catalog.listRuns({ kind: 'ml.train', limit: 1000 })) {
    if (r.state !== 'running' && r.state !== 'queued') continue;
    const info = r.info as { host?: unknown; pid?: unknown };
    if (info.host !== hostname() || typeof info.pid !== 'number' || info.pid === process.pid || processAlive(info.pid)) continue;
    const versions = await lake.catalog.listModelVersions(r.target).catch(() => []);
    const registered = versions.find((v) => (v.manifest as { runId?: unknown }).runId === r.id);
    const patch = registered
      ? { state: 'succeeded' as const, info: { model: `${registered.name}@v${registered.version}`, note: `the process (pid ${info.pid}) ended after registering, before recording it` } }
      : { state: 'failed' as const, error: `abandoned: the training process (pid ${info.pid}) ended before it finished (interrupted or killed); no version was registered` };
    await lake.catalog.updateRun(r.id, patch).then(
      () => closed++,
      () => undefined,
    );
  }
  return closed;
}
