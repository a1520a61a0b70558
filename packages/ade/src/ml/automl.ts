import { ARTIFACT_FORMAT, fnv1a32, type EnsembleNode, type ModelArtifact, type ModelNode } from '@ade/sdk';
import { assignFolds, meanStd, shuffle } from './cross-validate.js';
import { encodeColumns } from './encode-columns.js';
import { blend, selectEnsemble } from './ensemble-select.js';
import type { Estimator, FittedModel, Params, Task, TrainSet } from './estimator.js';
import { planFeatures, type DroppedColumn, type FeatureKind, type InputColumn } from './feature-plan.js';
import { ESTIMATORS } from './families/index.js';
import { metricFor, type MetricName } from './metrics.js';
import { MlError } from './ml-error.js';
import { permutationImportance } from './permutation-importance.js';
import { prepareTarget } from './prepare-target.js';
import { seededRng } from './rng.js';
import { searchCandidates, type Trial } from './search-candidates.js';

/** A table as columns (the caller reads the lake; this module does no I/O). */
export interface TrainingData {
  readonly columns: readonly InputColumn[];
}

/** Options of `trainAutoMl`; only `target` is required. */
export interface AutoMlOptions {
  /** The column to predict. */
  readonly target: string;
  /** Inferred when absent: booleans, strings, or at most 20 distinct integers → classification. */
  readonly task?: Task;
  /** Wall-clock budget for the whole call in ms, refit included (default 120,000). */
  readonly timeLimitMs?: number;
  /** The metric to optimise (metrics.ts); default accuracy / r2. */
  readonly metric?: string;
  /** Columns never used as features. */
  readonly exclude?: readonly string[];
  /** Seeds folds, searches and fits (default 0). */
  readonly seed?: number;
  /** Cross-validation folds, 2–20 (default 5; fewer when there are fewer rows). */
  readonly folds?: number;
  /** Families to try, by `Estimator.family` (default all). */
  readonly families?: readonly string[];
  /** The estimators to choose from (default the built-in `ESTIMATORS`). */
  readonly estimators?: readonly Estimator[];
  /** Candidates per family, its defaults included (default 10). The candidate list depends on this and the seed only. */
  readonly trialsPerFamily?: number;
  /** Rounds of greedy ensemble selection (default 25). */
  readonly ensembleRounds?: number;
  /** The ensemble is chosen among this many of the best candidates (default 20). */
  readonly ensemblePool?: number;
  /** Rows (a seeded sample) for permutation importance (default 1,000; fewer, down to 200, when time is short). */
  readonly importanceRows?: number;
  /** One-hot at most this many categories per column (default 32). */
  readonly maxCategories?: number;
  /** Called after every candidate (progress output); its `weight` is 0 until the ensemble is chosen. */
  readonly onCandidate?: (entry: LeaderboardEntry) => void;
}

/** One candidate on the leaderboard. */
export interface LeaderboardEntry {
  /** 1 = best by mean CV score; failed and skipped candidates have none. */
  readonly rank?: number;
  /** Position in the search order. */
  readonly id: number;
  readonly family: string;
  readonly params: Params;
  readonly status: 'ok' | 'failed' | 'skipped';
  /** Mean and sample standard deviation of the metric over the folds. */
  readonly score?: { readonly mean: number; readonly std: number; readonly folds: readonly number[] };
  /** Mean fit time per fold, ms. */
  readonly fitMs?: number;
  /** Predict time per 1,000 rows, ms. */
  readonly predictMsPer1k?: number;
  /** Integer weight in the final ensemble (0 = not a member). */
  readonly weight: number;
  /** Why it failed or was skipped. */
  readonly error?: string;
}

/** Everything `trainAutoMl` produces: the portable model and how it was chosen. */
export interface TrainResult {
  /** The model (an `ensemble` node when more than one candidate has weight), members refit on all rows. */
  readonly artifact: ModelArtifact;
  readonly task: Task;
  readonly metric: { readonly name: MetricName; readonly higherIsBetter: boolean };
  /** The final model's cross-validated score: the metric of its members' blended out-of-fold predictions. */
  readonly cvScore: number;
  /** The sample standard deviation of the final model's score over the folds (from `cvFoldScores`). */
  readonly cvStd: number;
  /** The final model's score on each fold's out-of-fold rows. */
  readonly cvFoldScores: readonly number[];
  /** Ranked candidates first (best first), then failed and skipped ones in search order. */
  readonly leaderboard: readonly LeaderboardEntry[];
  /** The ensemble's out-of-fold predictions: `width` values per row of `rows` (indices into the input), with the encoded targets. */
  readonly oof: { readonly rows: Int32Array; readonly width: number; readonly predictions: Float64Array; readonly y: Float64Array };
  /** Permutation importance of the final model per kept column, largest first (metric units; see permutationImportance). */
  readonly featureImportance: readonly { readonly column: string; readonly importance: number }[];
  /** The kept columns and how each became features. */
  readonly features: readonly { readonly name: string; readonly type: string; readonly kind: FeatureKind }[];
  readonly dropped: readonly DroppedColumn[];
  readonly rows: { readonly total: number; readonly used: number; readonly missingTarget: number };
  readonly folds: number;
  readonly seed: number;
  /** Candidates cross-validated, failed and skipped, and the time taken (ms). */
  readonly search: { readonly tried: number; readonly failed: number; readonly skipped: number; readonly elapsedMs: number };
}

const DEFAULTS = {
  timeLimitMs: 120_000,
  seed: 0,
  folds: 5,
  trialsPerFamily: 10,
  ensembleRounds: 25,
  ensemblePool: 20,
  importanceRows: 1_000,
  maxCategories: 32,
};
/** Ensemble selection scores at most this many rows (a seeded sample), which bounds its cost on big tables. */
const ENSEMBLE_ROWS = 100_000;

/**
 * AutoML on an in-memory table: reads the target (rows without one are
 * left out and counted), infers and fits the features (feature-plan.ts),
 * cross-validates every family's defaults and then random parameter
 * samples within the time limit (search-candidates.ts), chooses a weighted
 * ensemble greedily on the out-of-fold predictions (ensemble-select.ts),
 * refits its members on all rows, and exports one portable artifact with
 * the leaderboard, out-of-fold predictions and permutation importance.
 *
 * Final models are refit on all rows (not the fold models averaged): one
 * model per member, trained on 25% more data than each fold saw.
 *
 * Determinism: the same data, seed and options give the same artifact JSON
 * whenever the search gets through its candidate list (`trialsPerFamily`
 * per family) within the time limit. When time runs out, where the list is
 * cut — and fits cut short by the deadline — depend on the machine's speed;
 * use a smaller `trialsPerFamily` or a larger `timeLimitMs` for repeatable
 * models.
 *
 * Throws `MlError`: `ml.bad_target` (no such column, text for regression),
 * `ml.input_invalid` (columns of different lengths or a repeated name),
 * `ml.no_rows` (fewer than two rows with a target), `ml.single_class`,
 * `ml.no_features`, `ml.bad_option`, `ml.no_model` (every candidate failed).
 *
 * @example
 * const result = trainAutoMl({ columns }, { target: 'churned', timeLimitMs: 60_000 });
 * result.leaderboard[0]; // { rank: 1, family: 'gbt', score: { mean: 0.91, … }, … }
 * new Scorer(result.artifact).predict(row);
 */
export function trainAutoMl(input: TrainingData, options: AutoMlOptions): TrainResult {
  const started = performance.now();
  const o = { ...DEFAULTS, ...definedOnly(options) };
  checkOptions(o);
  const deadline = started + o.timeLimitMs;
  const targetColumn = input.columns.find((c) => c.name === o.target);
  if (!targetColumn) {
    throw new MlError('ml.bad_target', `there is no column '${o.target}' to predict`, {
      hint: `columns: ${input.columns.map((c) => c.name).join(', ') || '(none)'}`,
      details: { target: o.target },
    });
  }
  checkColumns(input.columns, targetColumn.values.length);
  const target = prepareTarget(o.target, targetColumn.values, o.task);
  const n = target.rows.length;
  if (n < 2) {
    throw new MlError('ml.no_rows', `only ${n} row has a value for the target '${o.target}'; training needs at least 2`, {
      hint: 'train on more rows',
      details: { target: o.target, rows: n },
    });
  }
  const metric = metricFor(target.task, o.metric);
  const estimators = chooseEstimators(o.estimators ?? ESTIMATORS, o.families);
  const plan = planFeatures(input.columns, { target: o.target, exclude: o.exclude, rows: target.rows, maxCategories: o.maxCategories });
  const classification = target.task === 'classification';
  const width = classification ? target.classes!.length : 1;
  const data: TrainSet = {
    x: encodeColumns(plan.steps, plan.featureCount, input.columns, target.rows),
    n,
    p: plan.featureCount,
    y: target.y,
    task: target.task,
    ...(classification ? { classes: width } : {}),
  };
  const folds = Math.min(o.folds, n);
  const fold = assignFolds(n, folds, seededRng(fnv1a32(`${o.seed}:folds`)), classification ? data.y : undefined, width);
  const importanceRows = Math.min(n, o.importanceRows);

  const entries = new Map<Trial, LeaderboardEntry>();
  const trials = searchCandidates({
    estimators,
    data,
    fold,
    folds,
    metric,
    seed: o.seed,
    trialsPerFamily: o.trialsPerFamily,
    deadline,
    keepOof: o.ensemblePool,
    reserveMs: (bestFirst) => {
      // Refit of the likely members (each sees all rows) and permutation importance over every column.
      let ms = 0;
      for (const t of bestFirst.slice(0, 3)) {
        ms += (mean(t.cv!.fitMs) * folds) / Math.max(1, folds - 1);
        ms += (plan.inputs.length + 1) * predictMsPer1k(t, n) * (importanceRows / 1000);
      }
      return ms;
    },
    onTrial: (t) => {
      const entry = toEntry(t, n);
      entries.set(t, entry);
      o.onCandidate?.(entry);
    },
  });

  const ranked = trials.filter((t) => t.status === 'ok' && Number.isFinite(t.cv!.mean));
  if (ranked.length === 0) {
    const failed = trials.filter((t) => t.status === 'failed');
    throw new MlError('ml.no_model', `no candidate model could be fitted (${failed.length} failed)`, {
      hint: failed[0]?.error ? `first failure (${failed[0].estimator.family}): ${failed[0].error}` : 'check the features and the target',
      details: { failures: failed.map((t) => ({ family: t.estimator.family, error: t.error })) },
    });
  }
  ranked.sort((a, b) => (metricOrder(metric.higherIsBetter, a.cv!.mean, b.cv!.mean) || a.id - b.id));
  const pool = ranked.slice(0, o.ensemblePool);
  const weights = chooseWeights(pool, data.y, width, metric, o.ensembleRounds, fnv1a32(`${o.seed}:ensemble`));

  // Refit the members on all rows; a member whose refit fails is left out.
  const members: { trial: Trial; weight: number; model: FittedModel }[] = [];
  const refitErrors: string[] = [];
  pool.forEach((trial, i) => {
    if (weights[i]! === 0) return;
    try {
      const model = trial.estimator.fit(data, trial.params, seededRng(fnv1a32(`${o.seed}:${trial.estimator.family}:${trial.round}:refit`)));
      members.push({ trial, weight: weights[i]!, model });
    } catch (error) {
      weights[i] = 0;
      refitErrors.push(`${trial.estimator.family}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  if (members.length === 0) {
    throw new MlError('ml.no_model', 'the chosen models could not be refit on all rows', { hint: refitErrors.join('; '), details: { errors: refitErrors } });
  }

  const oof = blend(
    pool.map((t) => t.cv!.oof),
    weights,
  );
  const cvScore = metric.score(data.y, oof, width);
  // The blend's score on each fold's rows: its own spread, as the leaderboard gives each candidate's.
  const cvFoldScores = Array.from({ length: folds }, (_, f) => {
    const rowsOf: number[] = [];
    for (let i = 0; i < n; i++) if (fold[i] === f) rowsOf.push(i);
    const y = new Float64Array(rowsOf.length);
    const pred = new Float64Array(rowsOf.length * width);
    rowsOf.forEach((r, k) => {
      y[k] = data.y[r]!;
      pred.set(oof.subarray(r * width, (r + 1) * width), k * width);
    });
    return metric.score(y, pred, width);
  });
  const predict = (x: Float64Array, rows: number): Float64Array =>
    blend(
      members.map((m) => m.model.predict(x, rows)),
      members.map((m) => m.weight),
    );
  const importance = columnImportance(data, predict, width, metric, plan, importanceRows, fnv1a32(`${o.seed}:importance`), deadline);

  const model: ModelNode =
    members.length === 1
      ? members[0]!.model.toNode()
      : ({
          kind: 'ensemble',
          link: classification ? 'probabilities' : 'identity',
          members: members.map((m) => ({ weight: m.weight, model: m.model.toNode() as EnsembleNode['members'][number]['model'] })),
        } satisfies EnsembleNode);
  const artifact: ModelArtifact = {
    format: ARTIFACT_FORMAT,
    task: target.task,
    target: o.target,
    ...(classification ? { classes: target.classes } : {}),
    inputs: plan.inputs.map(({ name, type }) => ({ name, type })),
    features: plan.steps,
    featureCount: plan.featureCount,
    model,
  };

  const weightOf = new Map(members.map((m) => [m.trial, m.weight]));
  const rankOf = new Map(ranked.map((t, i) => [t, i + 1]));
  const leaderboard = [...ranked, ...trials.filter((t) => !rankOf.has(t))].map((t) => {
    const entry = entries.get(t) ?? toEntry(t, n);
    const rank = rankOf.get(t);
    return { ...(rank !== undefined ? { rank } : {}), ...entry, weight: weightOf.get(t) ?? 0 };
  });
  return {
    artifact,
    task: target.task,
    metric: { name: metric.name, higherIsBetter: metric.higherIsBetter },
    cvScore,
    cvStd: meanStd(cvFoldScores).std,
    cvFoldScores,
    leaderboard,
    oof: { rows: target.rows, width, predictions: oof, y: data.y },
    featureImportance: importance,
    features: plan.inputs,
    dropped: plan.dropped,
    rows: { total: targetColumn.values.length, used: n, missingTarget: target.missing },
    folds,
    seed: o.seed,
    search: {
      tried: trials.filter((t) => t.status !== 'skipped').length,
      failed: trials.filter((t) => t.status === 'failed').length,
      skipped: trials.filter((t) => t.status === 'skipped').length,
      elapsedMs: performance.now() - started,
    },
  };
}

/** Greedy ensemble weights over the pool's out-of-fold predictions (on a seeded row sample for big tables). */
function chooseWeights(pool: readonly Trial[], y: Float64Array, width: number, metric: ReturnType<typeof metricFor>, rounds: number, seed: number): number[] {
  if (pool.length === 1) return [1];
  let oofs = pool.map((t) => t.cv!.oof);
  let labels = y;
  if (y.length > ENSEMBLE_ROWS) {
    const order = Array.from({ length: y.length }, (_, i) => i);
    shuffle(order, seededRng(seed));
    const rows = order.slice(0, ENSEMBLE_ROWS).sort((a, b) => a - b);
    labels = Float64Array.from(rows, (i) => y[i]!);
    oofs = oofs.map((oof) => {
      const out = new Float64Array(rows.length * width);
      rows.forEach((i, j) => out.set(oof.subarray(i * width, (i + 1) * width), j * width));
      return out;
    });
  }
  return [...selectEnsemble(oofs, labels, width, metric, rounds).weights];
}

/**
 * Permutation importance of the final model on a seeded sample of the
 * training rows (in-sample: the refit models saw these rows). The sample
 * has `rows` rows unless a timing probe says that would overrun `deadline`;
 * then fewer (at least 200), so the importance — never the model — may vary
 * with the machine's speed.
 */
function columnImportance(
  data: TrainSet,
  predict: (x: Float64Array, n: number) => Float64Array,
  width: number,
  metric: ReturnType<typeof metricFor>,
  plan: ReturnType<typeof planFeatures>,
  rows: number,
  seed: number,
  deadline: number,
): { column: string; importance: number }[] {
  const rng = seededRng(seed);
  const order = Array.from({ length: data.n }, (_, i) => i);
  shuffle(order, rng);
  const take = (count: number) => {
    const sample = order.slice(0, count).sort((a, b) => a - b);
    const x = new Float64Array(count * data.p);
    const y = new Float64Array(count);
    sample.forEach((i, j) => {
      x.set(data.x.subarray(i * data.p, (i + 1) * data.p), j * data.p);
      y[j] = data.y[i]!;
    });
    return { x, y };
  };
  const floor = Math.min(rows, 200);
  const probe = take(floor);
  const t0 = performance.now();
  predict(probe.x, floor);
  const msPerRow = (performance.now() - t0) / floor;
  const affordable = Math.floor((deadline - performance.now()) / ((plan.inputs.length + 1) * Math.max(msPerRow, 1e-6)));
  const count = Math.max(floor, Math.min(rows, affordable));
  const { x, y } = count === floor ? probe : take(count);
  const values = permutationImportance({ predict, x, n: count, p: data.p, y, width, metric, slotInput: plan.slotInput, columns: plan.inputs.length }, rng);
  return plan.inputs
    .map((input, c) => ({ column: input.name, importance: values[c]! }))
    .sort((a, b) => b.importance - a.importance || (a.column < b.column ? -1 : a.column > b.column ? 1 : 0));
}

function toEntry(t: Trial, n: number): LeaderboardEntry {
  const base = { id: t.id, family: t.estimator.family, params: t.params, status: t.status, weight: 0 };
  if (t.status !== 'ok') return { ...base, ...(t.error !== undefined ? { error: t.error } : {}) };
  const cv = t.cv!;
  return {
    ...base,
    score: { mean: cv.mean, std: cv.std, folds: cv.foldScores },
    fitMs: mean(cv.fitMs),
    predictMsPer1k: predictMsPer1k(t, n),
  };
}

function predictMsPer1k(t: Trial, n: number): number {
  return (t.cv!.predictMs.reduce((a, b) => a + b, 0) / n) * 1000;
}

/** Every column must have one value per row, under a distinct name. */
function checkColumns(columns: readonly InputColumn[], rows: number): void {
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name)) {
      throw new MlError('ml.input_invalid', `the column '${c.name}' appears twice`, { hint: 'give every column a distinct name', details: { column: c.name } });
    }
    names.add(c.name);
    if (c.values.length !== rows) {
      throw new MlError('ml.input_invalid', `the column '${c.name}' has ${c.values.length} values, the target ${rows}`, {
        hint: 'pass one value per row in every column',
        details: { column: c.name, values: c.values.length, rows },
      });
    }
  }
}

function chooseEstimators(all: readonly Estimator[], families: readonly string[] | undefined): Estimator[] {
  if (!families) return [...all];
  const known = new Map(all.map((e) => [e.family, e]));
  return families.map((name) => {
    const e = known.get(name);
    if (!e) {
      throw new MlError('ml.bad_option', `unknown model family '${name}'`, {
        hint: `families: ${[...known.keys()].join(', ')}`,
        details: { family: name },
      });
    }
    return e;
  });
}

function checkOptions(o: typeof DEFAULTS & AutoMlOptions): void {
  const bad = (option: string, message: string) =>
    new MlError('ml.bad_option', `${option} ${message}`, { hint: `fix ${option}`, details: { option } });
  if (!(o.timeLimitMs > 0) || !Number.isFinite(o.timeLimitMs)) throw bad('timeLimitMs', `must be a positive number of ms, is ${o.timeLimitMs}`);
  if (!Number.isInteger(o.folds) || o.folds < 2 || o.folds > 20) throw bad('folds', `must be an integer from 2 to 20, is ${o.folds}`);
  if (!Number.isInteger(o.seed)) throw bad('seed', `must be an integer, is ${o.seed}`);
  if (!Number.isInteger(o.trialsPerFamily) || o.trialsPerFamily < 1) throw bad('trialsPerFamily', `must be an integer ≥ 1, is ${o.trialsPerFamily}`);
  if (!Number.isInteger(o.ensembleRounds) || o.ensembleRounds < 1) throw bad('ensembleRounds', `must be an integer ≥ 1, is ${o.ensembleRounds}`);
  if (!Number.isInteger(o.ensemblePool) || o.ensemblePool < 1) throw bad('ensemblePool', `must be an integer ≥ 1, is ${o.ensemblePool}`);
  if (!Number.isInteger(o.importanceRows) || o.importanceRows < 1) throw bad('importanceRows', `must be an integer ≥ 1, is ${o.importanceRows}`);
  if (o.task !== undefined && o.task !== 'classification' && o.task !== 'regression') throw bad('task', `must be classification or regression, is ${o.task}`);
  if (o.families !== undefined && o.families.length === 0) throw bad('families', 'must name at least one family');
}

/** Sort order of two scores, best first. */
function metricOrder(higherIsBetter: boolean, a: number, b: number): number {
  return higherIsBetter ? b - a : a - b;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** `options` without its undefined fields, so they do not override defaults. */
function definedOnly<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}
