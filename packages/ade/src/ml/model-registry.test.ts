import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { ModelArtifact } from '@ade/sdk';
import type { Principal } from '../kernel/index.js';
import { collectGarbage, verifyLake, type Lake } from '../lake/index.js';
import { openTempLake } from '../test-support/temp-lake.js';
import { artifactKey, ModelRegistry, type RegisterRequest } from './model-registry.js';
import { parseModelRef } from './model-ref.js';
import { closeAbandonedTrainRuns } from './train-model.js';

const analyst: Principal = { name: 'ana', role: 'analyst' };
const admin: Principal = { name: 'boss', role: 'admin' };
const viewer: Principal = { name: 'vic', role: 'viewer' };

/** A tiny logistic model over one numeric column: p(yes) = σ(b + w·x). */
function artifact(w: number): ModelArtifact {
  return {
    format: 'ade.model/v1',
    task: 'classification',
    target: 'churned',
    classes: ['no', 'yes'],
    inputs: [{ name: 'tenure', type: 'BIGINT' }],
    features: [{ kind: 'numeric', column: 'tenure', impute: 0, center: 10, scale: 5 }],
    featureCount: 1,
    model: { kind: 'linear', link: 'logistic', intercept: [0.5], coef: [[w]] },
  };
}

function request(w: number, name = 'churn'): RegisterRequest {
  return {
    name,
    artifact: artifact(w),
    metric: 'accuracy',
    cvScore: 0.75 + w / 100,
    cvStd: 0.01,
    leaderboard: [{ family: 'linear', params: { l2: 1 }, cvScore: 0.75, status: 'ok' }],
    training: { table: 'model.customer_d', snapshotId: 3, rows: 100, totalRows: 100, sampled: false },
    engine: 'builtin',
    seed: 42,
    timeLimitMs: 60_000,
    folds: 5,
  };
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('the model registry', () => {
  let dir: string;
  let lake: Lake;
  let registry: ModelRegistry;
  before(async () => {
    ({ dir, lake } = await openTempLake('ade-registry-'));
    registry = new ModelRegistry(lake, { codeVersion: '9.9.9' });
  });
  after(async () => {
    await lake.close();
    await rm(dir, { recursive: true, force: true });
  });

  const serving = async () => {
    const session = await lake.session(viewer);
    try {
      return (await session.query('SELECT key, name, alias, version, artifact, sha256, updated_at FROM ml.model_serving ORDER BY key')).rows as {
        key: string;
        name: string;
        alias: string | null;
        version: number;
        artifact: string;
        sha256: string;
        updated_at: string;
      }[];
    } finally {
      await session.close();
    }
  };

  it('should register immutable versions with the artifact in the ml zone and a manifest in the catalog', async () => {
    const v1 = await registry.register(analyst, request(1));
    const v2 = await registry.register(analyst, request(1));
    assert.deepEqual([v1.ref, v2.ref], ['churn@v1', 'churn@v2'], 'the same artifact again is a new version');
    const text = JSON.stringify(artifact(1));
    assert.equal(v1.manifest.sha256, sha(text));
    assert.equal(v1.manifest.artifactKey, artifactKey('churn', 1, sha(text)));
    assert.match(v1.manifest.artifactKey, /^ml\/_models\/churn@v1\/[0-9a-f]{64}\.json$/);
    assert.equal((await lake.store.get(v1.manifest.artifactKey)).toString('utf8'), text, 'the stored bytes are the artifact');
    assert.equal(v1.manifest.codeVersion, '9.9.9');
    assert.equal(v1.manifest.createdBy, 'ana');
    assert.deepEqual(v1.manifest.inputs, [{ name: 'tenure', type: 'BIGINT' }]);
    assert.deepEqual(v1.manifest.classes, ['no', 'yes']);
    assert.equal(v1.manifest.training.snapshotId, 3);
    assert.equal(v1.manifest.seed, 42);

    const loaded = await registry.load(viewer, 'churn@v1');
    assert.equal(loaded.text, text);
    assert.deepEqual(loaded.artifact, artifact(1));

    await assert.rejects(registry.register(viewer, request(2)), /may not write the ml zone/);
    await assert.rejects(registry.register(analyst, { ...request(2), artifact: { ...artifact(2), featureCount: 3 } }), (e: Error & { code?: string }) => e.code === 'ml.artifact_invalid');
    await assert.rejects(registry.register(analyst, request(2, 'Bad')), (e: Error & { code?: string }) => e.code === 'ml.bad_option');
  });

  it('should resolve name, name@vN and name@alias (a bare name: the champion, else the newest)', async () => {
    assert.equal((await registry.resolve(viewer, 'churn')).version, 2, 'no champion yet: the newest');
    await registry.promote(admin, 'churn@v1', 'champion');
    const bare = await registry.resolve(viewer, 'churn');
    assert.deepEqual([bare.version, bare.alias], [1, 'champion']);
    assert.equal((await registry.resolve(viewer, 'churn@champion')).version, 1);
    assert.equal((await registry.resolve(viewer, 'churn@v2')).version, 2);
    await assert.rejects(registry.resolve(viewer, 'churn@v9'), (e: Error & { code?: string }) => e.code === 'ml.model_not_found');
    await assert.rejects(registry.resolve(viewer, 'nope'), (e: Error & { code?: string }) => e.code === 'ml.model_not_found');
    await assert.rejects(registry.resolve(viewer, 'churn@staging'), (e: Error & { code?: string; hint?: string }) => e.code === 'ml.alias_not_found' && /champion → v1/.test(e.hint ?? ''));
    assert.throws(() => parseModelRef('churn@'), /invalid model reference/);
    assert.deepEqual(parseModelRef('churn@v12'), { name: 'churn', kind: 'version', version: 12 });
  });

  it('should let only admins move aliases, roll back through their history, and audit every move', async () => {
    await assert.rejects(registry.promote(analyst, 'churn@v2', 'champion'), /may not promote/);
    await assert.rejects(registry.rollback(analyst, 'churn', 'champion'), /may not roll back/);
    const up = await registry.promote(admin, 'churn@v2', 'champion');
    assert.deepEqual([up.changed, up.version, up.previousVersion], [true, 2, 1]);
    const again = await registry.promote(admin, 'churn@v2', 'champion');
    assert.equal(again.changed, false);
    await registry.promote(admin, 'churn@champion', 'staging');
    const back = await registry.rollback(admin, 'churn', 'champion');
    assert.deepEqual([back.version, back.previousVersion], [1, 2]);
    await assert.rejects(registry.rollback(admin, 'churn', 'champion'), (e: Error & { code?: string }) => e.code === 'ml.no_previous_version');
    await assert.rejects(registry.rollback(admin, 'churn', 'nightly'), (e: Error & { code?: string }) => e.code === 'ml.alias_not_found');
    await assert.rejects(registry.promote(admin, 'churn@v1', 'v3'), (e: Error & { code?: string }) => e.code === 'ml.bad_option');

    const shown = await registry.show(viewer, 'churn');
    assert.equal(shown.resolved.version, 1);
    assert.deepEqual(shown.versions.map((v) => [v.ref, v.aliases]), [['churn@v2', ['staging']], ['churn@v1', ['champion']]]);
    assert.deepEqual(shown.history.map((h) => `${h.alias}:${h.action}→v${h.version}`), ['champion:promote→v1', 'champion:promote→v2', 'staging:promote→v2', 'champion:rollback→v1']);

    const audit = (await lake.catalog.listAudit({ limit: 1000 })).filter((e) => e.action.startsWith('ml.')).reverse();
    assert.deepEqual(
      audit.map((e) => `${e.action} ${e.target} by ${e.actor}`),
      ['ml.register churn@v1 by ana', 'ml.register churn@v2 by ana', 'ml.promote churn@champion by boss', 'ml.promote churn@champion by boss', 'ml.promote churn@staging by boss', 'ml.rollback churn@champion by boss'],
    );
  });

  it('should keep the serving table equal to the registry: a row per version and per alias, with the artifact', async () => {
    const rows = await serving();
    assert.deepEqual(rows.map((r) => [r.key, r.alias, r.version]), [
      ['churn@champion', 'champion', 1],
      ['churn@staging', 'staging', 2],
      ['churn@v1', null, 1],
      ['churn@v2', null, 2],
    ]);
    for (const r of rows) {
      assert.equal(r.name, 'churn');
      assert.equal(sha(r.artifact), r.sha256, 'the artifact text is the registered bytes');
      assert.deepEqual(JSON.parse(r.artifact), artifact(1), 'both versions hold the w=1 artifact');
      assert.match(r.updated_at, /^\d{4}-\d\d-\d\dT/);
    }
    const snapshots = (await lake.catalog.history({ zone: 'ml', name: 'model_serving' })).length;
    await registry.register(analyst, request(3, 'order_value'));
    assert.equal((await lake.catalog.history({ zone: 'ml', name: 'model_serving' })).length, snapshots + 1, 'one commit per change');
    const after = await serving();
    assert.deepEqual(after.map((r) => r.key), ['churn@champion', 'churn@staging', 'churn@v1', 'churn@v2', 'order_value@v1']);
    assert.deepEqual(JSON.parse(after.at(-1)!.artifact), artifact(3));
  });

  it('should keep artifacts through garbage collection and lake verification', async () => {
    const report = await collectGarbage(lake, { graceMs: 0, retentionMs: 0, keepLast: 1 });
    assert.equal(report.dryRun, false);
    assert.deepEqual((await registry.load(viewer, 'churn@v1')).artifact, artifact(1), 'artifacts are not table data: GC leaves them alone');
    assert.deepEqual((await verifyLake(lake)).problems, []);
  });

  it('should refuse an artifact whose stored bytes changed', async () => {
    const v = await registry.register(analyst, request(5, 'tamper'));
    await lake.store.put(v.manifest.artifactKey, JSON.stringify(artifact(6)));
    await assert.rejects(registry.load(viewer, 'tamper@v1'), (e: Error & { code?: string }) => e.code === 'ml.artifact_invalid');
  });

  it('should close trainings whose process died: failed when nothing was registered, succeeded when it was', async () => {
    // A lake of its own: the tamper test above leaves a damaged artifact that every serving-table rewrite refuses.
    const own = await openTempLake('ade-registry-runs-');
    const lake = own.lake;
    const registry = new ModelRegistry(lake, { codeVersion: '9.9.9' });
    try {
    // A process that has ended: its pid is free (or reused by a process that is not ours to mind).
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const here = hostname();
    const lost = await lake.catalog.createRun({ kind: 'ml.train', target: 'lost', info: { host: here, pid: dead } });
    await lake.catalog.updateRun(lost.id, { state: 'running', attemptsIncrement: true });
    const late = await lake.catalog.createRun({ kind: 'ml.train', target: 'late', info: { host: here, pid: dead } });
    await lake.catalog.updateRun(late.id, { state: 'running', attemptsIncrement: true });
    await registry.register(analyst, { ...request(1, 'late'), runId: late.id });
    const elsewhere = await lake.catalog.createRun({ kind: 'ml.train', target: 'other', info: { host: 'another-host', pid: dead } });
    await lake.catalog.updateRun(elsewhere.id, { state: 'running', attemptsIncrement: true });
    const alive = await lake.catalog.createRun({ kind: 'ml.train', target: 'alive', info: { host: here, pid: process.pid } });
    await lake.catalog.updateRun(alive.id, { state: 'running', attemptsIncrement: true });

    assert.equal(await closeAbandonedTrainRuns(lake), 2);
    const runs = new Map((await lake.catalog.listRuns({ kind: 'ml.train', limit: 10 })).map((r) => [r.id, r]));
    assert.equal(runs.get(lost.id)!.state, 'failed');
    assert.match(runs.get(lost.id)!.error ?? '', /abandoned: the training process .* no version was registered/);
    assert.equal(runs.get(late.id)!.state, 'succeeded');
    assert.equal(runs.get(elsewhere.id)!.state, 'running', 'runs of other hosts are theirs to close');
    assert.equal(runs.get(alive.id)!.state, 'running', 'a live process is still training');
    } finally {
      await lake.close();
      await rm(own.dir, { recursive: true, force: true });
    }
  });
});
