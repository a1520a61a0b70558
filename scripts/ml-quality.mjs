#!/usr/bin/env node
// Quality check of `ade ml train` against scikit-learn (issue 8, "Must show: Quality").
//
// Loads each dataset of test/fixtures/ml/ into a scratch project (`ade init`,
// `ade load … --table clean.<dataset>`), runs `ade ml train` on it, and compares
// the 5-fold CV score ade reports with the best of scikit-learn's default models in
// test/fixtures/ml/reference.json (written by scripts/ml-reference.py):
//   classification: ade accuracy ≥ best − 0.01   (within 1 percentage point)
//   regression:     ade R² ≥ best − 0.02 × |best|   (within 2% of R²; = best × 0.98 when best > 0)
// Prints a comparison table, then a JSON summary; exits 1 when any dataset fails.
//
//   node scripts/ml-quality.mjs [options]          (npm run ml:quality)
//     --time-limit <t>            passed to `ade ml train` (default 2m)
//     --seed <n>                  passed to `ade ml train` (default 0)
//     --only <a,b>                only these datasets
//     --accuracy-tolerance <x>    default 0.01 (absolute accuracy)
//     --r2-tolerance <x>          default 0.02 (relative to the reference R²)
//     --summary <file>            also write the JSON summary to this file
//     --keep                      keep the scratch project (its path is printed)
//
// What it expects of `ade ml train --json` (stdout, exit 0): an object with
//   cvScore: number       — the k-fold CV score of the model ade returns, in `metric`
//   metric: string        — 'accuracy' or 'r2' here (this script passes --metric)
//   leaderboard?: array   — entries with a name (`name`, `model` or `family`) and `cvScore`;
//                           only shown, never scored
//   folds?: number        — when present, must be 5
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'packages/ade/bin/ade.js');
const FIXTURES = join(root, 'test/fixtures/ml');
const METRIC = { classification: 'accuracy', regression: 'r2' };

const { values: opts } = parseArgs({
  options: {
    'time-limit': { type: 'string', default: '2m' },
    seed: { type: 'string', default: '0' },
    only: { type: 'string' },
    'accuracy-tolerance': { type: 'string', default: '0.01' },
    'r2-tolerance': { type: 'string', default: '0.02' },
    summary: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

/** Seconds in a duration like `2m`, `90s`, `1m30s` or `45` (seconds). */
function seconds(text) {
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$/.exec(text.trim());
  if (!m || !text.trim()) throw new Error(`--time-limit ${text}: use e.g. 2m, 90s or 1m30s`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** The lowest passing score for a reference best `best` of a `task`. */
function threshold(task, best, tolerance) {
  return task === 'classification' ? best - tolerance.accuracy : best - tolerance.r2 * Math.abs(best);
}

/** Runs `ade <args>` in `cwd`; resolves to its exit code and output (killed after `timeoutMs`). */
function ade(cwd, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, timedOut });
    });
  });
}

/** The name a leaderboard entry shows. */
const entryName = (e) => String(e?.name ?? e?.model ?? e?.family ?? '?');

/** Trains on one dataset and compares; never throws (a failure is a failed row with its reason). */
async function check(project, name, ref, tolerance, limitSeconds) {
  const row = {
    dataset: name,
    task: ref.task,
    metric: ref.metric,
    sklearnModel: ref.best.model,
    sklearnScore: ref.best.score,
    sklearnOtherShuffles: ref.splitNoise ? [ref.splitNoise.min, ref.splitNoise.max] : null,
    threshold: threshold(ref.task, ref.best.score, tolerance),
    adeScore: null,
    adeModel: null,
    difference: null,
    seconds: null,
    pass: false,
    error: null,
  };
  const table = `clean.${name}`;
  const load = await ade(project, ['--json', '--quiet', '--as', 'engineer', 'load', join(FIXTURES, ref.file), '--table', table], 120_000);
  if (load.code !== 0) return { ...row, error: `ade load exited ${load.code}: ${load.stderr.trim().slice(0, 500)}` };
  const args = ['--json', '--quiet', '--as', 'engineer', 'ml', 'train', '--table', table, '--target', ref.target, '--task', ref.task];
  args.push('--metric', METRIC[ref.task], '--time-limit', opts['time-limit'], '--seed', opts.seed);
  if (ref.exclude.length) args.push('--exclude', ref.exclude.join(','));
  const started = performance.now();
  const train = await ade(project, args, (limitSeconds * 3 + 120) * 1000);
  row.seconds = Math.round((performance.now() - started) / 100) / 10;
  if (train.timedOut) return { ...row, error: `ade ml train did not finish within ${limitSeconds * 3 + 120} s (killed)` };
  if (train.code !== 0) return { ...row, error: `ade ml train exited ${train.code}: ${train.stderr.trim().slice(0, 500)}` };
  let out;
  try {
    out = JSON.parse(train.stdout);
  } catch {
    return { ...row, error: `ade ml train --json printed no JSON: ${train.stdout.slice(0, 200)}` };
  }
  if (typeof out?.cvScore !== 'number' || !Number.isFinite(out.cvScore)) {
    return { ...row, error: `no numeric cvScore in the JSON (keys: ${Object.keys(out ?? {}).join(', ')})` };
  }
  if (out.metric !== ref.metric) return { ...row, adeScore: out.cvScore, error: `ade scored ${out.metric}, the reference ${ref.metric}` };
  if (out.folds !== undefined && out.folds !== 5) return { ...row, adeScore: out.cvScore, error: `ade used ${out.folds} folds, the reference 5` };
  const top = Array.isArray(out.leaderboard) && out.leaderboard.length ? out.leaderboard[0] : undefined;
  return {
    ...row,
    adeScore: out.cvScore,
    adeModel: top ? entryName(top) : null,
    difference: out.cvScore - ref.best.score,
    pass: out.cvScore >= row.threshold - 1e-9,
  };
}

/** `+0.0123` / `-0.0123`, with no `-0.0000`. */
const signed = (x) => {
  const t = Math.abs(x).toFixed(4);
  return (x < 0 && Number(t) !== 0 ? '-' : '+') + t;
};

function printTable(rows) {
  const header = ['dataset', 'task', 'metric', 'sklearn best', 'sklearn', 'other shuffles', 'ade', 'ade top', 'diff', 'needs ≥', 'seconds', 'result'];
  const lines = rows.map((r) => [
    r.dataset,
    r.task,
    r.metric,
    r.sklearnModel,
    r.sklearnScore.toFixed(4),
    r.sklearnOtherShuffles ? `${r.sklearnOtherShuffles[0].toFixed(4)}–${r.sklearnOtherShuffles[1].toFixed(4)}` : '',
    r.adeScore === null ? '—' : r.adeScore.toFixed(4),
    r.adeModel ?? '',
    r.difference === null ? '—' : signed(r.difference),
    r.threshold.toFixed(4),
    r.seconds === null ? '' : String(r.seconds),
    r.pass ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
  for (const r of rows) if (r.error) console.log(`${r.dataset}: ${r.error}`);
}

async function main() {
  const reference = JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8'));
  const only = opts.only ? opts.only.split(',').map((s) => s.trim()) : Object.keys(reference.datasets);
  for (const name of only) if (!reference.datasets[name]) throw new Error(`no dataset ${name} in reference.json (have ${Object.keys(reference.datasets).join(', ')})`);
  const tolerance = { accuracy: Number(opts['accuracy-tolerance']), r2: Number(opts['r2-tolerance']) };
  if (!(tolerance.accuracy >= 0) || !(tolerance.r2 >= 0)) throw new Error('tolerances must be numbers ≥ 0');
  const limitSeconds = seconds(opts['time-limit']);

  const dir = mkdtempSync(join(tmpdir(), 'ade-ml-quality-'));
  const project = join(dir, 'p');
  const rows = [];
  try {
    const init = await ade(dir, ['--quiet', 'init', 'p'], 60_000);
    if (init.code !== 0) throw new Error(`ade init exited ${init.code}: ${init.stderr}`);
    for (const name of only) {
      process.stderr.write(`${name}: training (time limit ${opts['time-limit']})…\n`);
      rows.push(await check(project, name, reference.datasets[name], tolerance, limitSeconds));
    }
  } finally {
    if (opts.keep) process.stderr.write(`scratch project kept at ${project}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }

  printTable(rows);
  const summary = {
    pass: rows.every((r) => r.pass),
    timeLimit: opts['time-limit'],
    seed: Number(opts.seed),
    tolerance,
    reference: { sklearn: reference.versions.sklearn, protocol: 'test/fixtures/ml/reference.json' },
    datasets: rows,
  };
  console.log(JSON.stringify(summary, null, 2));
  if (opts.summary) writeFileSync(opts.summary, JSON.stringify(summary, null, 2) + '\n');
  process.exitCode = summary.pass ? 0 : 1;
}

main().catch((e) => {
  console.error(`error ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
});
