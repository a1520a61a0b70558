import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Scorer, type ModelArtifact } from '@ade/sdk';
import type { Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { openTempLake } from '../test-support/temp-lake.js';
import { ModelRegistry } from './model-registry.js';
import { predictTable } from './predict-table.js';

const engineer: Principal = { name: 'eng', role: 'engineer' };
const analyst: Principal = { name: 'ana', role: 'analyst' };

/** p(yes) = σ(0.5 + 2·(tenure − 10)/5) plus a plan one-hot: a model with a numeric and a categorical input. */
const classifier: ModelArtifact = {
  format: 'ade.model/v1',
  task: 'classification',
  target: 'churned',
  classes: ['no', 'yes'],
  inputs: [
    { name: 'tenure', type: 'BIGINT' },
    { name: 'plan', type: 'VARCHAR' },
  ],
  features: [
    { kind: 'numeric', column: 'tenure', impute: 10, center: 10, scale: 5 },
    { kind: 'categorical', column: 'plan', categories: ['free', 'pro'] },
  ],
  featureCount: 3,
  model: { kind: 'linear', link: 'logistic', intercept: [0.5], coef: [[2, -1, 1]] },
};

const regressor: ModelArtifact = {
  format: 'ade.model/v1',
  task: 'regression',
  target: 'amount',
  inputs: [{ name: 'tenure', type: 'BIGINT' }],
  features: [{ kind: 'numeric', column: 'tenure', impute: 0, center: 0, scale: 1 }],
  featureCount: 1,
  model: { kind: 'linear', link: 'identity', intercept: [3], coef: [[0.5]] },
};

const register = (registry: ModelRegistry, name: string, artifact: ModelArtifact) =>
  registry.register(analyst, {
    name,
    artifact,
    metric: artifact.task === 'regression' ? 'r2' : 'accuracy',
    leaderboard: [],
    training: { table: 'model.customers', rows: 0, totalRows: 0, sampled: false },
    engine: 'builtin',
    seed: 1,
    timeLimitMs: 1000,
    folds: 5,
  });

describe('predictTable', () => {
  let dir: string;
  let lake: Lake;
  let registry: ModelRegistry;
  const query = async (sql: string) => {
    const s = await lake.session(engineer);
    try {
      return (await s.query(sql)).rows;
    } finally {
      await s.close();
    }
  };
  before(async () => {
    ({ dir, lake } = await openTempLake('ade-predict-'));
    registry = new ModelRegistry(lake, { codeVersion: 'test' });
    await register(registry, 'churn', classifier);
    await register(registry, 'spend', regressor);
    await lake.writeSelect(engineer, {
      table: { zone: 'model', name: 'customers' },
      mode: 'replace',
      sql: `SELECT i AS id, CASE WHEN i % 7 = 0 THEN NULL ELSE i END AS tenure, CASE i % 3 WHEN 0 THEN 'free' WHEN 1 THEN 'pro' ELSE 'team' END AS plan,
              DATE '2024-01-01' + i::INT AS signed_up, 'x' AS prediction FROM range(5000) t(i)`,
    });
  });
  after(async () => {
    await lake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should write every input row with its prediction and class probabilities, equal to the SDK scorer, in one commit', async () => {
    const r = await predictTable(lake, analyst, registry, { model: 'churn', table: { zone: 'model', name: 'customers' }, out: { zone: 'ml', name: 'churn_scores' } });
    assert.equal(r.model, 'churn@v1');
    assert.equal(r.rows, 5000);
    assert.equal(r.alreadyDone, false);
    assert.deepEqual(r.predictionColumns, ['prediction', 'prob_no', 'prob_yes', 'model', 'batch_id']);
    assert.deepEqual(r.renamedColumns, { prediction: 'input_prediction' });
    assert.equal((await lake.catalog.history({ zone: 'ml', name: 'churn_scores' })).length, 1, 'one commit');
    const rows = (await query('SELECT * FROM ml.churn_scores ORDER BY id')) as Record<string, unknown>[];
    assert.equal(rows.length, 5000);
    assert.deepEqual(Object.keys(rows[0]!), ['id', 'tenure', 'plan', 'signed_up', 'input_prediction', 'prediction', 'prob_no', 'prob_yes', 'model', 'batch_id']);
    const scorer = Scorer.load(classifier);
    for (const row of rows) {
      const p = scorer.predict({ tenure: row.tenure, plan: row.plan });
      assert.ok('label' in p);
      assert.equal(row.prediction, p.label);
      assert.equal(row.prob_yes, p.probabilities.yes, 'bit-identical probabilities');
      assert.equal(row.prob_no, p.probabilities.no);
      assert.equal(row.model, 'churn@v1');
      assert.equal(row.batch_id, r.batchId);
    }
    assert.equal(rows[3]!.signed_up, '2024-01-04', 'input columns keep their types');

    const again = await predictTable(lake, analyst, registry, { model: 'churn@v1', table: { zone: 'model', name: 'customers' }, out: { zone: 'ml', name: 'churn_scores' } });
    assert.equal(again.alreadyDone, true, 'the same version on the same snapshot finds its batch');
    assert.equal(again.batchId, r.batchId);
    assert.equal((await lake.catalog.history({ zone: 'ml', name: 'churn_scores' })).length, 1, 'nothing written again');
    const runs = await lake.catalog.listRuns({ kind: 'ml.predict' });
    assert.deepEqual(runs.map((x) => x.state), ['succeeded', 'succeeded']);
  });

  it('should write regression values', async () => {
    const r = await predictTable(lake, analyst, registry, { model: 'spend@v1', table: { zone: 'model', name: 'customers' }, out: { zone: 'ml', name: 'spend_scores' } });
    assert.deepEqual(r.predictionColumns, ['prediction', 'model', 'batch_id']);
    const rows = (await query('SELECT id, tenure, prediction FROM ml.spend_scores ORDER BY id LIMIT 8')) as { id: number; tenure: number | null; prediction: number }[];
    assert.deepEqual(rows.map((x) => x.prediction), rows.map((x) => 3 + 0.5 * (x.tenure ?? 0)));
  });

  it('should refuse a table without the model inputs, an empty table, and the serving table as output', async () => {
    await lake.writeSelect(engineer, { table: { zone: 'model', name: 'other' }, mode: 'replace', sql: 'SELECT 1 AS tenure_days' });
    await assert.rejects(predictTable(lake, analyst, registry, { model: 'churn', table: { zone: 'model', name: 'other' }, out: { zone: 'ml', name: 'x' } }), (e: Error & { code?: string }) => e.code === 'ml.input_invalid' && /tenure, plan/.test(e.message));
    await lake.writeSelect(engineer, { table: { zone: 'model', name: 'empty' }, mode: 'replace', sql: 'SELECT 1 AS tenure, 1 AS plan WHERE false' });
    await assert.rejects(predictTable(lake, analyst, registry, { model: 'churn', table: { zone: 'model', name: 'empty' }, out: { zone: 'ml', name: 'x' } }), (e: Error & { code?: string }) => e.code === 'ml.no_rows');
    await assert.rejects(predictTable(lake, analyst, registry, { model: 'churn', table: { zone: 'model', name: 'customers' }, out: { zone: 'ml', name: 'model_serving' } }), (e: Error & { code?: string }) => e.code === 'ml.bad_option');
    await assert.rejects(predictTable(lake, analyst, registry, { model: 'spend', table: { zone: 'model', name: 'customers' }, out: { zone: 'ml', name: 'churn_scores' } }), (e: Error & { code?: string }) => e.code === 'ml.bad_option' && /class labels/.test(e.message));
    await assert.rejects(predictTable(lake, analyst, registry, { model: 'churn', table: { zone: 'model', name: 'customers' }, out: { zone: 'model', name: 'x' } }), /may not write the model zone/);
    assert.equal(await lake.catalog.getTable({ zone: 'ml', name: 'x' }), undefined, 'no output table was left behind');
  });
});
