// The Python engine against a real interpreter: /usr/bin/python3 with Debian's
// python3-sklearn (skipped, saying so, when it is not installed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Scorer } from '@ade/sdk';
import type { InputColumn } from './feature-plan.js';
import { probePython, trainWithPython } from './python-engine.js';
import { seededRng } from './rng.js';

const PYTHON = '/usr/bin/python3';
const available = await probePython(PYTHON).then(
  () => true,
  () => false,
);
// CI installs it (.ci/run), so there a missing scikit-learn fails instead of skipping.
if (!available && process.env.CI) throw new Error(`${PYTHON} with scikit-learn is not installed: .ci/run installs python3-sklearn`);
const skip = available ? false : `${PYTHON} with scikit-learn is not installed (apt-get install python3-sklearn)`;

/** n rows: two numbers, a category and a label that depends on them (with noise), and a numeric target. */
function dataset(n: number, classes: 2 | 3): InputColumn[] {
  const rng = seededRng(11);
  const a: number[] = [];
  const b: (number | null)[] = [];
  const plan: string[] = [];
  const label: string[] = [];
  const amount: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = rng.next() * 10;
    const y = rng.next() * 5;
    const pl = ['free', 'pro', 'team'][rng.int(3)]!;
    a.push(x);
    b.push(i % 17 === 0 ? null : y);
    plan.push(pl);
    const s = x + (pl === 'pro' ? 3 : 0) + (rng.next() - 0.5) * 2;
    label.push(classes === 2 ? (s > 6 ? 'yes' : 'no') : s > 8 ? 'high' : s > 4 ? 'mid' : 'low');
    amount.push(2 * x - y + (pl === 'team' ? 5 : 0) + rng.next());
  }
  return [
    { name: 'a', type: 'DOUBLE', values: a },
    { name: 'b', type: 'DOUBLE', values: b },
    { name: 'plan', type: 'VARCHAR', values: plan },
    { name: 'label', type: 'VARCHAR', values: label },
    { name: 'amount', type: 'DOUBLE', values: amount },
  ];
}

const rowsOf = (columns: InputColumn[], n: number) => Array.from({ length: n }, (_, i) => Object.fromEntries(columns.map((c) => [c.name, c.values[i]])));

describe('the Python engine', { skip }, () => {
  it('should train a binary classifier with scikit-learn and export a model the SDK scores', async () => {
    const columns = dataset(300, 2);
    const progress: string[] = [];
    const out = await trainWithPython(columns, { target: 'label', exclude: ['amount'], seed: 3, folds: 3, timeLimitMs: 60_000, onProgress: (p) => progress.push(`${p.family}:${p.status}`) }, { python: PYTHON });
    assert.equal(out.task, 'classification');
    assert.equal(out.metric, 'accuracy');
    assert.deepEqual(out.artifact.classes, ['no', 'yes']);
    assert.ok(out.cvScore > 0.8, `cv accuracy ${out.cvScore}`);
    assert.deepEqual(progress.sort(), ['extra_trees:ok', 'gbt:ok', 'linear:ok', 'random_forest:ok']);
    assert.equal(out.leaderboard.length, 4);
    assert.equal(out.leaderboard[0]!.weight, 1, 'the best candidate is the model');
    assert.ok(out.leaderboard.every((r, i) => i === 0 || r.cvScore! <= out.leaderboard[i - 1]!.cvScore! || r.weight === 0));
    assert.deepEqual(out.dropped, [{ column: 'amount', reason: 'excluded' }]);
    // The label depends on a and plan (which one ranks first depends on the family that wins), never on b.
    assert.equal(out.importance.at(-1)!.feature, 'b', `b matters least: ${JSON.stringify(out.importance)}`);
    assert.ok(Math.abs(out.importance.reduce((s, x) => s + x.importance, 0) - 1) < 1e-9);
    const check = out.extra.exportCheck as { rows: number; differingRows: number };
    assert.equal(check.rows, 300);
    assert.ok(check.differingRows <= 3, `the export reproduces scikit-learn (${check.differingRows} rows differ)`);
    const scorer = Scorer.load(out.artifact);
    const p = scorer.predict(rowsOf(columns, 1)[0]!);
    assert.ok('label' in p && Math.abs(p.probabilities.yes! + p.probabilities.no! - 1) < 1e-9);
    assert.equal(out.extra.dataFormat, 'csv', 'no toParquet given: CSV');
  });

  // Each export path once: linear (logistic, softmax, identity), boosting (logistic, softmax, identity), forests (class frequencies, means).
  const cases: [family: string, kind: 'binary' | 'multiclass' | 'regression'][] = [
    ['linear', 'binary'],
    ['linear', 'multiclass'],
    ['linear', 'regression'],
    ['gbt', 'binary'],
    ['gbt', 'multiclass'],
    ['gbt', 'regression'],
    ['extra_trees', 'multiclass'],
    ['random_forest', 'regression'],
  ];
  it('should export every family as a model that reproduces scikit-learn (binary, multiclass, regression)', async () => {
    for (const [family, kind] of cases) {
      const columns = dataset(150, kind === 'multiclass' ? 3 : 2);
      const out =
        kind === 'regression'
          ? await trainWithPython(columns, { target: 'amount', exclude: ['label'], seed: 1, folds: 2, timeLimitMs: 60_000, metric: 'rmse', families: [family] }, { python: PYTHON })
          : await trainWithPython(columns, { target: 'label', exclude: ['amount'], seed: 1, folds: 2, timeLimitMs: 60_000, families: [family] }, { python: PYTHON });
      assert.deepEqual(out.leaderboard.map((r) => r.family), [family]);
      if (kind === 'multiclass') assert.deepEqual(out.artifact.classes, ['high', 'low', 'mid']);
      if (kind === 'regression') assert.equal(out.higherIsBetter, false);
      const check = out.extra.exportCheck as { rows: number; maxDiff: number; differingRows: number };
      assert.equal(check.rows, 150);
      // Forests compare in float32 inside scikit-learn: a row on a split's very edge may differ.
      assert.ok(check.differingRows <= (family === 'linear' || family === 'gbt' ? 0 : 2), `${family} ${kind}: ${check.differingRows} rows differ (max ${check.maxDiff})`);
      assert.ok(Number.isFinite(out.cvScore));
    }
  });

  it('should say what to install when Python or scikit-learn is missing', async () => {
    await assert.rejects(trainWithPython(dataset(20, 2), { target: 'label', seed: 1, folds: 2, timeLimitMs: 1000 }, { python: '/nonexistent/python3' }), (e: Error & { code?: string; hint?: string }) =>
      e.code === 'ml.python_missing' && /no Python interpreter/.test(e.message) && /apt-get install python3-sklearn/.test(e.hint ?? '') && /pip install scikit-learn pyarrow/.test(e.hint ?? ''),
    );
    // Node itself is an executable that is not Python: it fails the probe.
    await assert.rejects(probePython(process.execPath), (e: Error & { code?: string }) => e.code === 'ml.python_missing');
  });
});
