#!/usr/bin/env node
// ade ML benchmark (issue 8): gradient-boosted-tree training throughput and
// the SDK scorer's latency per row.
//
//   (1) gbt training on a --rows × --features table (default 1,000,000 × 20;
//       a nonlinear regression target with noise): rows × trees per second,
//       with --trees rounds (default 100; early stopping off so every round
//       counts), 31 leaves, 255 bins. Baseline in the same run: one pass of
//       plain JavaScript over the same Float64Array summing each feature per
//       row (the floor for "touch every value once"), printed as how many such
//       passes one boosting round costs.
//   (2) the SDK's Scorer (packages/sdk, what an app runs) on the trained
//       model's artifact: latency per row for one row at a time (predict) and
//       per row in batches of 10,000 (scoreRows), against the in-memory model's
//       own predict on encoded rows (the training side).
//   (3) with --python, scikit-learn's HistGradientBoostingRegressor on the
//       same data (same rounds, leaves and bins, early stopping off) through
//       /usr/bin/python3, as an external reference: its rows × trees per second.
//
//   npm run build && npm run bench:ml [-- --quick] [-- --rows 1000000 --features 20 --trees 100 --json --python]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Scorer } from '../packages/sdk/dist/index.js';
import { gbt } from '../packages/ade/dist/ml/families/gbt.js';
import { seededRng } from '../packages/ade/dist/ml/rng.js';
import { log } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string' },
    features: { type: 'string', default: '20' },
    trees: { type: 'string', default: '100' },
    quick: { type: 'boolean', default: false },
    python: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(args.rows ?? (args.quick ? 100_000 : 1_000_000));
const P = Number(args.features);
const TREES = Number(args.trees);
for (const [k, v] of Object.entries({ rows: N, features: P, trees: TREES })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive whole number`);
}

// Data: x uniform in [0, 1); y = a nonlinear function of the first five features plus noise.
const rng = seededRng(42);
const x = new Float64Array(N * P);
const y = new Float64Array(N);
for (let i = 0; i < N; i++) {
  for (let j = 0; j < P; j++) x[i * P + j] = rng.next();
  const r = x.subarray(i * P, i * P + P);
  y[i] = 10 * Math.sin(Math.PI * r[0] * r[1]) + 20 * (r[2] - 0.5) ** 2 + 10 * r[3] + 5 * r[4] + (rng.next() - 0.5);
}
log(`data: ${N.toLocaleString('en-US')} rows × ${P} features, ${TREES} trees (${cpus().length} cores, load ${loadavg()[0].toFixed(1)})`);

// Baseline: one pass over every value.
const passes = [];
let sink = 0;
for (let k = 0; k < 5; k++) {
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let j = 0; j < P; j++) s += x[i * P + j];
    sink += s;
  }
  passes.push((performance.now() - t) / 1000);
}
const pass = passes.sort((a, b) => a - b)[2];

// (1) Training.
const params = { ...gbt.defaults('regression', N, P), max_iter: TREES, early_stopping: 'off' };
const t0 = performance.now();
const model = gbt.fit({ x, n: N, p: P, y, task: 'regression' }, params, seededRng(1));
const trainSeconds = (performance.now() - t0) / 1000;
const node = model.toNode();
const trees = node.trees.length;
const throughput = (N * trees) / trainSeconds;
const perRound = trainSeconds / trees;
log(`(1) gbt: ${trees} trees in ${trainSeconds.toFixed(1)} s = ${Math.round(throughput).toLocaleString('en-US')} rows × trees / s; one round = ${(perRound / pass).toFixed(1)} passes over the data (a pass: ${(pass * 1000).toFixed(0)} ms)`);

// (2) Scoring with the SDK.
const names = Array.from({ length: P }, (_, j) => `f${j}`);
const artifact = {
  format: 'ade.model/v1',
  task: 'regression',
  target: 'y',
  inputs: names.map((name) => ({ name, type: 'DOUBLE' })),
  features: names.map((column) => ({ kind: 'numeric', column, impute: 0, center: 0, scale: 1 })),
  featureCount: P,
  model: node,
};
const scorer = Scorer.load(JSON.parse(JSON.stringify(artifact)));
const SCORE_ROWS = Math.min(N, 10_000);
const rows = Array.from({ length: SCORE_ROWS }, (_, i) => Object.fromEntries(names.map((name, j) => [name, x[i * P + j]])));
let mismatches = 0;
const inMemory = model.predict(x.subarray(0, SCORE_ROWS * P), SCORE_ROWS);
for (let i = 0; i < 200; i++) if (scorer.predict(rows[i]).value !== inMemory[i]) mismatches++;
const timeIt = (fn, reps) => {
  const xs = [];
  for (let k = 0; k < reps; k++) {
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return xs.sort((a, b) => a - b)[Math.floor(reps / 2)];
};
const single = timeIt(() => {
  for (const row of rows) sink += scorer.predict(row).value;
}, 5) / SCORE_ROWS;
const batch = timeIt(() => {
  sink += scorer.predictMany(rows).length;
}, 5) / SCORE_ROWS;
const training = timeIt(() => {
  sink += model.predict(x.subarray(0, SCORE_ROWS * P), SCORE_ROWS)[0];
}, 5) / SCORE_ROWS;
log(`(2) SDK scorer, ${trees} trees × 31 leaves: ${(single * 1000).toFixed(1)} µs per row one at a time, ${(batch * 1000).toFixed(1)} µs per row in a batch of ${SCORE_ROWS.toLocaleString('en-US')}; the training-side predict on encoded rows ${(training * 1000).toFixed(1)} µs per row (${(single / training).toFixed(2)}× / ${(batch / training).toFixed(2)}×); ${mismatches} of 200 predictions differ from the trained model's`);

// (3) scikit-learn, optional.
let sklearn;
if (args.python) {
  const dir = mkdtempSync(join(tmpdir(), 'ade-bench-ml-'));
  try {
    const bin = join(dir, 'data.bin');
    const joined = new Float64Array(N * (P + 1));
    for (let i = 0; i < N; i++) {
      joined.set(x.subarray(i * P, i * P + P), i * (P + 1));
      joined[i * (P + 1) + P] = y[i];
    }
    writeFileSync(bin, Buffer.from(joined.buffer));
    const script = `
import numpy as np, time
from sklearn.ensemble import HistGradientBoostingRegressor
d = np.fromfile(${JSON.stringify(bin)}, dtype=np.float64).reshape(${N}, ${P + 1})
m = HistGradientBoostingRegressor(max_iter=${TREES}, max_leaf_nodes=31, max_bins=255, early_stopping=False, random_state=0)
t = time.perf_counter(); m.fit(d[:, :${P}], d[:, ${P}]); print(time.perf_counter() - t)
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(cpus().length) } });
    if (r.status !== 0) throw new Error(`scikit-learn run failed: ${r.stderr}`);
    const seconds = Number(r.stdout.trim());
    sklearn = { seconds, throughput: (N * TREES) / seconds };
    log(`(3) scikit-learn HistGradientBoostingRegressor (${cpus().length} threads): ${seconds.toFixed(1)} s = ${Math.round(sklearn.throughput).toLocaleString('en-US')} rows × trees / s; ade is ${(throughput / sklearn.throughput).toFixed(2)}× its speed`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (args.json) {
  process.stdout.write(
    `${JSON.stringify({ rows: N, features: P, trees, trainSeconds, rowsTreesPerSecond: throughput, passSeconds: pass, roundInPasses: perRound / pass, scoreMicrosPerRow: { single: single * 1000, batch: batch * 1000, trainingPredict: training * 1000 }, mismatches, sklearn, sink: Number.isFinite(sink) }, null, 2)}\n`,
  );
}
process.exit(mismatches === 0 ? 0 : 1);
