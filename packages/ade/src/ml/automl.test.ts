import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Scorer, validateArtifact } from '@ade/sdk';
import { trainAutoMl, type AutoMlOptions, type TrainingData } from './automl.js';
import type { Estimator } from './estimator.js';
import type { InputColumn } from './feature-plan.js';
import { metricFor } from './metrics.js';
import { MlError } from './ml-error.js';
import { seededRng } from './rng.js';

/** Quick settings: few candidates, time to spare, so every test run walks the whole candidate list. */
const QUICK: Partial<AutoMlOptions> = { timeLimitMs: 5_000, trialsPerFamily: 2, folds: 3 };
const isMl = (code: string) => (e: unknown) => e instanceof MlError && e.code === code;

/** Rows as objects, for the SDK scorer. */
function rowsOf(data: TrainingData): Record<string, unknown>[] {
  const n = data.columns[0]!.values.length;
  return Array.from({ length: n }, (_, i) => Object.fromEntries(data.columns.map((c) => [c.name, c.values[i]])));
}

/**
 * Churn-like classification: churn depends on `tenure` (strongly), `plan`
 * (a category) and `support_calls`; `noise` is unrelated; messy columns on top.
 */
function churnTable(n: number, seed: number): TrainingData {
  const rng = seededRng(seed);
  const tenure: unknown[] = [];
  const plan: unknown[] = [];
  const calls: unknown[] = [];
  const noise: unknown[] = [];
  const churned: unknown[] = [];
  const plans = ['free', 'basic', 'pro'];
  for (let i = 0; i < n; i++) {
    const t = rng.next() * 48;
    const p = plans[rng.int(3)]!;
    const c = rng.int(6);
    const logit = 2.5 - 0.12 * t + (p === 'free' ? 1 : p === 'pro' ? -1 : 0) + 0.3 * c + (rng.next() - 0.5);
    tenure.push(t);
    plan.push(p);
    calls.push(c);
    noise.push(rng.next());
    churned.push(logit > 0);
  }
  return {
    columns: [
      { name: 'tenure', type: 'DOUBLE', values: tenure },
      { name: 'plan', type: 'VARCHAR', values: plan },
      { name: 'support_calls', type: 'INTEGER', values: calls },
      { name: 'noise', type: 'DOUBLE', values: noise },
      { name: 'churned', type: 'BOOLEAN', values: churned },
    ],
  };
}

/** Order value: linear in `items` and `price`, a weekend bump from `ordered_at`. */
function ordersTable(n: number, seed: number): TrainingData {
  const rng = seededRng(seed);
  const items: unknown[] = [];
  const price: unknown[] = [];
  const at: unknown[] = [];
  const value: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + rng.int(5);
    const pr = 5 + rng.next() * 20;
    const ms = Date.UTC(2024, 0, 1) + rng.int(90) * 86_400_000 + rng.int(24) * 3_600_000;
    const weekend = [0, 6].includes(new Date(ms).getUTCDay());
    items.push(k);
    price.push(pr);
    at.push(new Date(ms).toISOString());
    value.push(k * pr + (weekend ? 15 : 0) + (rng.next() - 0.5) * 2);
  }
  return {
    columns: [
      { name: 'items', type: 'INTEGER', values: items },
      { name: 'price', type: 'DOUBLE', values: price },
      { name: 'ordered_at', type: 'TIMESTAMP', values: at },
      { name: 'value', type: 'DOUBLE', values: value },
    ],
  };
}

describe('trainAutoMl', () => {
  it('should train a classifier whose artifact the SDK scorer loads and that ranks the informative columns', () => {
    const data = churnTable(400, 1);
    const result = trainAutoMl(data, { ...QUICK, target: 'churned', families: ['linear', 'tree', 'gbt'] });
    assert.equal(result.task, 'classification');
    assert.deepEqual(result.artifact.classes, ['false', 'true']);
    assert.deepEqual(result.metric, { name: 'accuracy', higherIsBetter: true });
    assert.ok(result.cvScore > 0.85, `cv accuracy ${result.cvScore}`);
    validateArtifact(JSON.parse(JSON.stringify(result.artifact)));
    // Leaderboard: ranked best first, with scores and times.
    const ranked = result.leaderboard.filter((e) => e.rank !== undefined);
    assert.ok(ranked.length >= 3);
    ranked.forEach((e, i) => {
      assert.equal(e.rank, i + 1);
      assert.ok(e.score!.folds.length === 3 && e.fitMs! >= 0 && e.predictMsPer1k! >= 0);
      if (i > 0) assert.ok(e.score!.mean <= ranked[i - 1]!.score!.mean);
    });
    // The ensemble is never worse on OOF than the best single candidate's OOF predictions.
    assert.ok(result.leaderboard.some((e) => e.weight > 0));
    // The scorer reproduces the training-side predictions (in-sample accuracy well above chance).
    const scorer = Scorer.load(JSON.parse(JSON.stringify(result.artifact)));
    const rows = rowsOf(data);
    const preds = scorer.predictMany(rows);
    const hits = preds.filter((p, i) => 'label' in p && p.label === String(rows[i]!['churned'])).length;
    assert.ok(hits / rows.length > 0.85, `in-sample accuracy ${hits / rows.length}`);
    // Importance: tenure matters most, noise hardly.
    assert.equal(result.featureImportance[0]!.column, 'tenure');
    const noise = result.featureImportance.find((f) => f.column === 'noise')!;
    assert.ok(noise.importance < result.featureImportance[0]!.importance / 5);
    assert.deepEqual(result.rows, { total: 400, used: 400, missingTarget: 0 });
    assert.equal(result.oof.predictions.length, 400 * 2);
  });

  it('should train a regressor with datetime parts and report the ensemble CV score from out-of-fold predictions', () => {
    const data = ordersTable(300, 2);
    const result = trainAutoMl(data, { ...QUICK, target: 'value', families: ['linear', 'gbt', 'knn'] });
    assert.equal(result.task, 'regression');
    assert.equal(result.metric.name, 'r2');
    assert.ok(result.cvScore > 0.9, `cv r2 ${result.cvScore}`);
    assert.equal(result.cvScore, metricFor('regression').score(result.oof.y, result.oof.predictions, 1));
    assert.equal(result.cvFoldScores.length, result.folds);
    assert.ok(result.cvFoldScores.every((f) => Number.isFinite(f) && f > 0.5) && result.cvStd >= 0 && result.cvStd < 0.2, `fold scores ${result.cvFoldScores}, std ${result.cvStd}`);
    assert.ok(result.features.some((f) => f.name === 'ordered_at' && f.kind === 'datetime'));
    const scorer = Scorer.load(result.artifact);
    const predicted = scorer.scoreRows(rowsOf(data));
    assert.equal(predicted.length, 300);
    assert.ok(metricFor('regression').score(result.oof.y, predicted, 1) > 0.9);
  });

  it('should export an ensemble node whose integer weights match the leaderboard', () => {
    const result = trainAutoMl(churnTable(300, 3), { ...QUICK, target: 'churned', families: ['linear', 'knn', 'tree'], metric: 'log_loss' });
    const members = result.leaderboard.filter((e) => e.weight > 0);
    if (result.artifact.model.kind === 'ensemble') {
      assert.deepEqual(
        result.artifact.model.members.map((m) => m.weight),
        members.map((e) => e.weight),
      );
      assert.equal(result.artifact.model.link, 'probabilities');
    } else {
      assert.equal(members.length, 1);
    }
    assert.ok(members.every((e) => Number.isInteger(e.weight)));
    assert.equal(result.metric.higherIsBetter, false);
    const best = result.leaderboard[0]!;
    // Greedy selection starts from the best candidate, so the blend is at least as good on OOF as its mean fold score allows.
    assert.ok(result.cvScore <= best.score!.mean + 0.05);
  });

  it('should give the same artifact for the same seed and data', () => {
    const options = { ...QUICK, target: 'churned', families: ['linear', 'gbt', 'random_forest'] };
    const a = trainAutoMl(churnTable(200, 4), { ...options, seed: 7 });
    const b = trainAutoMl(churnTable(200, 4), { ...options, seed: 7 });
    assert.equal(JSON.stringify(a.artifact), JSON.stringify(b.artifact));
    assert.deepEqual(a.oof.predictions, b.oof.predictions);
    assert.deepEqual(
      a.leaderboard.map((e) => [e.family, e.params, e.score?.mean, e.weight]),
      b.leaderboard.map((e) => [e.family, e.params, e.score?.mean, e.weight]),
    );
    const c = trainAutoMl(churnTable(200, 4), { ...options, seed: 8 });
    assert.notEqual(JSON.stringify(c.artifact), JSON.stringify(a.artifact));
  });

  it('should still return a model when the time limit leaves room for only the first candidate', () => {
    const result = trainAutoMl(churnTable(300, 5), { target: 'churned', timeLimitMs: 1, trialsPerFamily: 3 });
    assert.ok(result.search.tried >= 1 && result.search.tried < 21, `tried ${result.search.tried}`);
    validateArtifact(result.artifact);
  });
});

describe('trainAutoMl robustness', () => {
  it('should drop constant, all-missing and id-like columns, keep the top categories, and treat NaN/Infinity as missing', () => {
    const base = churnTable(300, 6);
    const n = 300;
    const tenure = base.columns[0]!.values.map((v, i) => (i % 17 === 0 ? Number.NaN : i % 23 === 0 ? Number.POSITIVE_INFINITY : v));
    const churned = base.columns[4]!.values.map((v, i) => (i % 50 === 0 ? null : v));
    const columns: InputColumn[] = [
      { name: 'tenure', type: 'DOUBLE', values: tenure },
      base.columns[1]!,
      { name: 'constant', type: 'INTEGER', values: new Array(n).fill(3) },
      { name: 'empty', type: 'DOUBLE', values: new Array(n).fill(null) },
      { name: 'customer_id', type: 'VARCHAR', values: Array.from({ length: n }, (_, i) => `c-${i}`) },
      { name: 'zip', type: 'VARCHAR', values: Array.from({ length: n }, (_, i) => `z${(i * 7) % 80}`) },
      { name: 'churned', type: 'BOOLEAN', values: churned },
    ];
    const result = trainAutoMl({ columns }, { ...QUICK, target: 'churned', families: ['linear', 'gbt'] });
    assert.deepEqual(
      result.dropped.map((d) => d.column),
      ['constant', 'empty', 'customer_id'],
    );
    assert.deepEqual(
      result.features.map((f) => [f.name, f.kind]),
      [
        ['tenure', 'numeric'],
        ['plan', 'categorical'],
        ['zip', 'categorical'],
      ],
    );
    const zip = result.artifact.features.find((s) => s.column === 'zip')!;
    assert.ok(zip.kind === 'categorical' && zip.categories.length === 32);
    assert.deepEqual(result.rows, { total: 300, used: 294, missingTarget: 6 });
    assert.ok(result.cvScore > 0.7, `cv ${result.cvScore}`);
    // NaN / Infinity at scoring time are imputed the same way.
    const scorer = Scorer.load(result.artifact);
    const p = scorer.predict({ tenure: Number.NaN, plan: 'unseen', zip: null });
    assert.ok('probabilities' in p && Object.values(p.probabilities).every(Number.isFinite));
  });

  it('should leave out NaN and Infinity regression targets and count them', () => {
    const data = ordersTable(120, 7);
    const value = data.columns[3]!.values.map((v, i) => (i % 10 === 0 ? Number.NaN : i % 10 === 1 ? Number.NEGATIVE_INFINITY : v));
    const result = trainAutoMl({ columns: [...data.columns.slice(0, 3), { name: 'value', type: 'DOUBLE', values: value }] }, { ...QUICK, target: 'value', families: ['linear'] });
    assert.deepEqual(result.rows, { total: 120, used: 96, missingTarget: 24 });
    assert.equal(result.oof.rows.length, 96);
  });

  it('should refuse a single-class target, zero rows, a missing target column, ragged columns and a table of only the target', () => {
    const one = churnTable(50, 8);
    const single = { columns: [one.columns[0]!, { name: 'churned', type: 'BOOLEAN', values: new Array(50).fill(true) }] };
    assert.throws(() => trainAutoMl(single, { ...QUICK, target: 'churned' }), isMl('ml.single_class'));
    const empty = { columns: one.columns.map((c) => ({ ...c, values: [] })) };
    assert.throws(() => trainAutoMl(empty, { ...QUICK, target: 'churned' }), isMl('ml.no_rows'));
    assert.throws(() => trainAutoMl({ columns: [] }, { ...QUICK, target: 'churned' }), isMl('ml.bad_target'));
    const lone = { columns: [{ name: 'y', type: 'DOUBLE', values: [1, 2, 3] }] };
    assert.throws(() => trainAutoMl(lone, { ...QUICK, target: 'y' }), isMl('ml.no_features'));
    const ragged = { columns: [{ name: 'x', type: 'DOUBLE', values: [1, 2] }, { name: 'y', type: 'DOUBLE', values: [1, 2, 3] }] };
    assert.throws(() => trainAutoMl(ragged, { ...QUICK, target: 'y' }), isMl('ml.input_invalid'));
    const oneRow = { columns: [{ name: 'x', type: 'DOUBLE', values: [1, 2] }, { name: 'y', type: 'DOUBLE', values: [1, null] }] };
    assert.throws(() => trainAutoMl(oneRow, { ...QUICK, target: 'y', task: 'regression' }), isMl('ml.no_rows'));
  });

  it('should reject bad options with ml.bad_option', () => {
    const data = churnTable(30, 9);
    for (const bad of [{ folds: 1 }, { timeLimitMs: 0 }, { families: ['svm'] }, { metric: 'r2' }, { seed: 1.5 }, { exclude: ['nope'] }]) {
      assert.throws(() => trainAutoMl(data, { ...QUICK, target: 'churned', ...bad }), isMl('ml.bad_option'), JSON.stringify(bad));
    }
  });

  it('should say so when every candidate fails, naming the first failure', () => {
    /** A test-only family that cannot fit anything. */
    const broken: Estimator = {
      family: 'broken',
      wantsScaled: false,
      costRank: 0,
      defaults: () => ({}),
      sample: (_t, _n, _p, rng) => ({ v: rng.int(1000) }),
      fit: () => {
        throw new MlError('ml.bad_option', 'broken cannot fit');
      },
    };
    assert.throws(
      () => trainAutoMl(churnTable(40, 10), { ...QUICK, target: 'churned', estimators: [broken] }),
      (e: unknown) => e instanceof MlError && e.code === 'ml.no_model' && /broken cannot fit/.test(e.hint ?? ''),
    );
  });

  it('should train through tiny tables: fewer rows than folds, a class with one row', () => {
    const columns: InputColumn[] = [
      { name: 'x', type: 'DOUBLE', values: [1, 2, 3, 10] },
      { name: 'y', type: 'VARCHAR', values: ['a', 'a', 'a', 'b'] },
    ];
    const result = trainAutoMl({ columns }, { ...QUICK, target: 'y' });
    assert.equal(result.folds, 3);
    validateArtifact(result.artifact);
    assert.ok(result.leaderboard.some((e) => e.status === 'ok'));
  });
});
