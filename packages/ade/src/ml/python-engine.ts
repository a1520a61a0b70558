import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ARTIFACT_FORMAT, fnv1a32, scoreNode, validateArtifact, type ModelArtifact, type ModelNode } from '@ade/sdk';
import { assignFolds } from './cross-validate.js';
import { encodeColumns } from './encode-columns.js';
import type { Task } from './estimator.js';
import { planFeatures, type InputColumn } from './feature-plan.js';
import { metricFor } from './metrics.js';
import { MlError } from './ml-error.js';
import { prepareTarget } from './prepare-target.js';
import { seededRng } from './rng.js';
import { columnImportance, type LeaderboardRow, type TrainOutcome, type TrainProgress } from './train-outcome.js';

/** How to reach Python. The interpreter is configuration: the library never reads it from the environment. */
export interface PythonEngineConfig {
  /** The interpreter to run (a path or a name on PATH), e.g. `python3` or `/usr/bin/python3`. */
  readonly python: string;
  /** The training script (default: `packages/ade/python/ade_ml_train.py`, shipped with ade). */
  readonly script?: string;
  /**
   * Turns the CSV of the training data into Parquet in `dir` and returns
   * the path of the file, or of a folder of files (e.g. through the DuckDB
   * engine; the `row` column keeps the row order). Used only when the
   * interpreter has pyarrow; without it (or without pyarrow) the script reads CSV.
   */
  readonly toParquet?: (csvPath: string, dir: string) => Promise<string>;
}

export interface PythonTrainOptions {
  readonly target: string;
  readonly task?: Task;
  readonly metric?: string;
  readonly exclude?: readonly string[];
  readonly seed: number;
  readonly folds: number;
  readonly timeLimitMs: number;
  /** Only these candidate families (`linear`, `gbt`, `extra_trees`, `random_forest`); all by default. */
  readonly families?: readonly string[];
  readonly onProgress?: (p: TrainProgress) => void;
}

/** What `probePython` found. */
export interface PythonInfo {
  readonly python: string;
  readonly sklearn: string;
  readonly numpy: string;
  readonly pyarrow: string | undefined;
}

const INSTALL_HINT = 'install scikit-learn for this interpreter: `apt-get install python3-sklearn` (Debian/Ubuntu) or `pip install scikit-learn pyarrow`; or point --python at an interpreter that has it';

/** The script shipped with ade (src/ml → ../../python, and dist/ml alike). */
export function defaultTrainScript(): string {
  return fileURLToPath(new URL('../../python/ade_ml_train.py', import.meta.url));
}

function run(command: string, args: readonly string[], opts: { cwd?: string; timeoutMs: number; onLine?: (line: string) => void }): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let stdout = '';
    let stderr = '';
    let error: NodeJS.ErrnoException | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (stdout.length < 1 << 20) stdout += line + '\n';
      opts.onLine?.(line);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-16_384);
    });
    child.on('error', (e) => (error = e));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ...(error ? { error } : {}) });
    });
  });
}

/**
 * Checks that `python` runs and has scikit-learn and numpy (and whether it
 * has pyarrow, to read Parquet). `ml.python_missing` naming what to install otherwise.
 */
export async function probePython(python: string): Promise<PythonInfo> {
  const code = [
    'import json, sys',
    'out = {"python": sys.version.split()[0]}',
    'for m in ("sklearn", "numpy", "pyarrow"):',
    '    try:',
    '        out[m] = __import__(m).__version__',
    '    except Exception:',
    '        out[m] = None',
    'print(json.dumps(out))',
  ].join('\n');
  const r = await run(python, ['-c', code], { timeoutMs: 60_000 });
  if (r.error || r.code !== 0) {
    const why = r.error?.code === 'ENOENT' ? `no Python interpreter ${JSON.stringify(python)} was found` : `${python} did not run (${(r.error?.message ?? r.stderr.trim().split('\n').at(-1)) || `exit ${r.code}`})`;
    throw new MlError('ml.python_missing', `--engine python needs Python 3 with scikit-learn: ${why}`, { hint: INSTALL_HINT, details: { python } });
  }
  const info = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { python: string; sklearn: string | null; numpy: string | null; pyarrow: string | null };
  const lacking = (['sklearn', 'numpy'] as const).filter((m) => !info[m]);
  if (lacking.length) {
    throw new MlError('ml.python_missing', `${python} (Python ${info.python}) lacks ${lacking.map((m) => (m === 'sklearn' ? 'scikit-learn' : m)).join(' and ')}`, { hint: INSTALL_HINT, details: { ...info, python } });
  }
  return { python: info.python, sklearn: info.sklearn!, numpy: info.numpy!, pyarrow: info.pyarrow ?? undefined };
}

interface ScriptEntry {
  family: string;
  estimator: string;
  status: 'ok' | 'failed' | 'skipped';
  params?: Record<string, unknown>;
  cvScore?: number;
  cvStd?: number;
  fitSeconds?: number;
  predictMsPer1k?: number;
  error?: string;
}

interface ScriptResult {
  leaderboard: ScriptEntry[];
  best: number;
  model: ModelNode;
  importance: number[];
  check: number[] | number[][];
  checkRows: number;
  seconds: number;
  versions: Record<string, string>;
}

/**
 * Trains with scikit-learn in a Python process: ade plans and encodes the
 * features (the same steps its scorer applies), assigns the folds from the
 * seed, writes the encoded rows (Parquet when the interpreter has pyarrow
 * and `toParquet` is given, else CSV) and a JSON spec to a temp folder, and
 * runs `ade_ml_train.py`, which cross-validates logistic/ridge regression,
 * histogram gradient boosting, extra trees and random forest on those folds
 * within the time limit and exports the best one as an ade model node. The
 * node is checked to reproduce the refit model's own predictions, and the
 * cross-validated score is recomputed from the out-of-fold predictions with
 * ade's metric.
 *
 * @example
 * const outcome = await trainWithPython(data.columns, { target: 'churned', seed: 42, folds: 5, timeLimitMs: 120_000 }, { python: 'python3' });
 */
export async function trainWithPython(columns: readonly InputColumn[], options: PythonTrainOptions, config: PythonEngineConfig): Promise<TrainOutcome> {
  const info = await probePython(config.python);
  const script = config.script ?? defaultTrainScript();
  if (!existsSync(script)) throw new MlError('ml.python_failed', `the training script ${script} is missing`, { hint: 'reinstall ade: the script ships in packages/ade/python' });
  const targetColumn = columns.find((c) => c.name === options.target);
  if (!targetColumn) {
    throw new MlError('ml.bad_target', `there is no column '${options.target}' to predict`, { hint: `columns: ${columns.map((c) => c.name).join(', ')}`, details: { target: options.target } });
  }
  const target = prepareTarget(options.target, targetColumn.values, options.task);
  const task = target.task;
  const metric = metricFor(task, options.metric);
  const plan = planFeatures(columns, { target: options.target, ...(options.exclude ? { exclude: options.exclude } : {}), rows: target.rows });
  const n = target.rows.length;
  const p = plan.featureCount;
  const k = target.classes?.length ?? 0;
  if (n < options.folds) throw new MlError('ml.no_rows', `${n} row(s) with a target are too few for ${options.folds}-fold cross-validation`, { hint: 'train on more rows, or pass fewer --folds' });
  const x = encodeColumns(plan.steps, p, columns, target.rows);
  // The same folds as the built-in engine's for the same seed.
  const fold = assignFolds(n, options.folds, seededRng(fnv1a32(`${options.seed}:folds`)), task === 'classification' ? target.y : undefined, k);

  const dir = await mkdtemp(join(tmpdir(), 'ade-python-'));
  try {
    const csvPath = join(dir, 'train.csv');
    await writeCsv(csvPath, x, n, p, target.y, fold);
    let data = csvPath;
    let format: 'csv' | 'parquet' = 'csv';
    if (info.pyarrow && config.toParquet) {
      data = await config.toParquet(csvPath, dir);
      format = 'parquet';
    }
    const spec = {
      data,
      format,
      features: p,
      task,
      classes: k,
      folds: options.folds,
      seed: options.seed,
      time_limit_s: options.timeLimitMs / 1000,
      metric: metric.name,
      out: join(dir, 'result.json'),
      oof: join(dir, 'oof.csv'),
      ...(options.families ? { families: options.families } : {}),
    };
    const specPath = join(dir, 'spec.json');
    await writeFile(specPath, JSON.stringify(spec));
    let tried = 0;
    let best: { score: number; family: string } | undefined;
    const r = await run(config.python, [script, specPath], {
      cwd: dir,
      // sklearn cannot be interrupted mid-fit: the limit is checked between candidates, and a stuck process is killed well past it.
      timeoutMs: options.timeLimitMs * 3 + 120_000,
      onLine: (line) => {
        let e: { event?: string } & Partial<ScriptEntry> & { best?: number };
        try {
          e = JSON.parse(line) as typeof e;
        } catch {
          return;
        }
        if (e.event !== 'candidate' || !e.family || !e.status) return;
        tried++;
        if (e.status === 'ok' && e.cvScore !== undefined && (!best || (metric.higherIsBetter ? e.cvScore > best.score : e.cvScore < best.score))) best = { score: e.cvScore, family: e.family };
        options.onProgress?.({ tried, family: e.family, status: e.status, ...(e.cvScore !== undefined ? { cvScore: e.cvScore } : {}), ...(best ? { best: best.score, bestFamily: best.family } : {}) });
      },
    });
    if (r.error || r.code !== 0) {
      const last = r.stderr.trim().split('\n').slice(-3).join(' | ') || r.error?.message || (r.signal ? `killed by ${r.signal}` : `exit ${r.code}`);
      throw new MlError('ml.python_failed', `the Python training process failed: ${last}`, {
        hint: r.signal === 'SIGKILL' ? 'it ran far past the time limit and was stopped; try a smaller table or --engine builtin' : 'run it again with the same options; if it keeps failing, try --engine builtin',
        details: { python: config.python, script, code: r.code, stderr: r.stderr.slice(-4000) },
      });
    }
    const result = JSON.parse(await readFile(spec.out, 'utf8')) as ScriptResult;
    const artifact = buildArtifact(task, options.target, target.classes, plan, result.model);
    const check = checkExport(artifact, x, p, result);
    const oof = parseOof(await readFile(spec.oof, 'utf8'), n, task === 'classification' ? k : 1);
    const foldScores = scoreFolds(metric, target.y, oof, fold, options.folds, k);
    const cvScore = foldScores.reduce((a, b) => a + b, 0) / foldScores.length;
    const cvStd = Math.sqrt(foldScores.reduce((a, b) => a + (b - cvScore) ** 2, 0) / Math.max(1, foldScores.length - 1));
    const bestEntry = result.leaderboard[result.best]!;
    const leaderboard: LeaderboardRow[] = result.leaderboard.map((e, i) => ({
      family: e.family,
      params: { estimator: e.estimator, ...(e.params ?? {}) },
      ...(e.cvScore !== undefined ? { cvScore: i === result.best ? cvScore : e.cvScore, cvStd: i === result.best ? cvStd : (e.cvStd ?? 0) } : {}),
      ...(e.fitSeconds !== undefined ? { fitSeconds: e.fitSeconds } : {}),
      ...(e.predictMsPer1k !== undefined ? { predictMsPer1k: e.predictMsPer1k } : {}),
      weight: i === result.best ? 1 : 0,
      status: e.status,
      ...(e.error ? { error: e.error } : {}),
    }));
    leaderboard.sort((a, b) => rank(a, b, metric.higherIsBetter));
    return {
      artifact,
      task,
      metric: metric.name,
      higherIsBetter: metric.higherIsBetter,
      cvScore,
      cvStd,
      leaderboard,
      importance: columnImportance(result.importance, plan.slotInput, plan.inputs),
      dropped: plan.dropped,
      rows: n,
      missingTarget: target.missing,
      extra: {
        engine: 'python',
        versions: { ...result.versions, pyarrow: info.pyarrow ?? null },
        dataFormat: format,
        chosen: bestEntry.estimator,
        pythonCvScore: bestEntry.cvScore,
        exportCheck: check,
        seconds: result.seconds,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function rank(a: LeaderboardRow, b: LeaderboardRow, higherIsBetter: boolean): number {
  if (a.cvScore === undefined || b.cvScore === undefined) return (a.cvScore === undefined ? 1 : 0) - (b.cvScore === undefined ? 1 : 0);
  return higherIsBetter ? b.cvScore - a.cvScore : a.cvScore - b.cvScore;
}

async function writeCsv(path: string, x: Float64Array, n: number, p: number, y: Float64Array, fold: Int32Array): Promise<void> {
  const file = createWriteStream(path);
  const write = (text: string) => (file.write(text) ? undefined : new Promise<void>((resolve) => file.once('drain', () => resolve())));
  const header = [...Array.from({ length: p }, (_, j) => `f${j}`), 'y', 'fold', 'row'].join(',') + '\n';
  await write(header);
  let chunk = '';
  for (let i = 0; i < n; i++) {
    // String(number) is the shortest text that reads back as the same double.
    for (let j = 0; j < p; j++) chunk += String(x[i * p + j]!) + ',';
    chunk += `${String(y[i]!)},${fold[i]!},${i}\n`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

function buildArtifact(
  task: Task,
  target: string,
  classes: readonly string[] | undefined,
  plan: ReturnType<typeof planFeatures>,
  model: ModelNode,
): ModelArtifact {
  const doc = {
    format: ARTIFACT_FORMAT,
    task,
    target,
    ...(task === 'classification' ? { classes } : {}),
    inputs: plan.inputs.map((i) => ({ name: i.name, type: i.type })),
    features: plan.steps,
    featureCount: plan.featureCount,
    model,
  };
  try {
    return validateArtifact(doc);
  } catch (e) {
    throw new MlError('ml.python_failed', `the model the Python engine exported is not a valid ade model: ${(e as Error).message}`, { hint: 'this is a bug in ade_ml_train.py; try --engine builtin' });
  }
}

/**
 * The exported node scored by the SDK against the refit scikit-learn model's
 * own predictions on the first rows. Forests compare features as float32
 * inside scikit-learn, so a row on a split's edge may differ; more than 1%
 * of differing rows means the export is wrong.
 */
function checkExport(artifact: ModelArtifact, x: Float64Array, p: number, result: ScriptResult): { rows: number; maxDiff: number; differingRows: number } {
  const rows = result.checkRows;
  const got = scoreNode(artifact.model, x.subarray(0, rows * p), rows, p);
  const want = (result.check as (number | number[])[]).flatMap((v) => (Array.isArray(v) ? v : [v]));
  const width = want.length / Math.max(1, rows);
  let maxDiff = 0;
  let differingRows = 0;
  for (let i = 0; i < rows; i++) {
    let rowDiff = 0;
    for (let j = 0; j < width; j++) rowDiff = Math.max(rowDiff, Math.abs(got[i * width + j]! - want[i * width + j]!));
    if (rowDiff > 1e-6) differingRows++;
    maxDiff = Math.max(maxDiff, rowDiff);
  }
  if (rows > 0 && differingRows > Math.max(1, rows * 0.01)) {
    throw new MlError('ml.python_failed', `the exported model reproduces scikit-learn's predictions on only ${rows - differingRows} of ${rows} rows (largest difference ${maxDiff})`, {
      hint: 'this is a bug in the export of ade_ml_train.py; try --engine builtin',
      details: { rows, differingRows, maxDiff },
    });
  }
  return { rows, maxDiff, differingRows };
}

function parseOof(text: string, n: number, width: number): Float64Array {
  const out = new Float64Array(n * width);
  let i = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const cells = line.split(',');
    for (let j = 0; j < width; j++) out[i * width + j] = Number(cells[j]);
    i++;
  }
  if (i !== n) throw new MlError('ml.python_failed', `the Python engine returned ${i} out-of-fold predictions for ${n} rows`, { hint: 'try --engine builtin' });
  return out;
}

function scoreFolds(metric: ReturnType<typeof metricFor>, y: Float64Array, oof: Float64Array, fold: Int32Array, folds: number, k: number): number[] {
  const width = k || 1;
  const scores: number[] = [];
  for (let f = 0; f < folds; f++) {
    const idx: number[] = [];
    for (let i = 0; i < fold.length; i++) if (fold[i] === f) idx.push(i);
    const yf = new Float64Array(idx.length);
    const pf = new Float64Array(idx.length * width);
    idx.forEach((i, r) => {
      yf[r] = y[i]!;
      for (let j = 0; j < width; j++) pf[r * width + j] = oof[i * width + j]!;
    });
    scores.push(metric.score(yf, pf, k));
  }
  return scores;
}
