// The registry's catalog records on every backend: SQLite, and Postgres when a
// server answers (skipped, saying so, otherwise unless CI=true).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixedClock } from '../kernel/index.js';
import { freshPostgresDatabase, postgresAvailable, PG_ADMIN_URL } from '../test-support/postgres.js';
import { openCatalog, type CatalogConfig, type CatalogStore, type ModelVersionInput } from './index.js';

const pgUp = await postgresAvailable();
const BACKENDS = [
  { name: 'sqlite', skip: false as string | false },
  { name: 'postgres', skip: pgUp ? false : `no Postgres server at ${PG_ADMIN_URL}` },
] as const;

const version = (name: string, v: number, extra: Partial<ModelVersionInput> = {}): ModelVersionInput => ({
  name,
  version: v,
  task: 'classification',
  target: 'churned',
  metric: 'accuracy',
  cvScore: 0.8 + v / 100,
  trainingTable: 'model.customer_d',
  snapshotId: 10 + v,
  artifactKey: `ml/_models/${name}@v${v}/${'a'.repeat(64)}.json`,
  artifactSha256: 'a'.repeat(64),
  manifest: { seed: 42, leaderboard: [{ family: 'gbt', cvScore: 0.8 }] },
  createdBy: 'tester',
  ...extra,
});

for (const backend of BACKENDS) {
  describe(`ml model records on ${backend.name}`, { skip: backend.skip }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });
    const fresh = async (): Promise<CatalogStore> => {
      let config: CatalogConfig;
      if (backend.name === 'sqlite') {
        const dir = await mkdtemp(join(tmpdir(), 'ade-ml-models-'));
        cleanups.push(() => rm(dir, { recursive: true, force: true }));
        config = { kind: 'sqlite', path: join(dir, 'catalog.db') };
      } else {
        const db = await freshPostgresDatabase('ade_ml_models');
        cleanups.push(db.drop);
        config = { kind: 'postgres', url: db.url, poolSize: 4 };
      }
      const catalog = await openCatalog({ ...config, clock: fixedClock('2026-06-01T00:00:00Z') });
      cleanups.push(() => catalog.close());
      return catalog;
    };

    it('should number versions from 1, keep them immutable, and audit each registration', async () => {
      const catalog = await fresh();
      assert.equal(await catalog.nextModelVersion('churn'), 1);
      const v1 = await catalog.registerModelVersion(version('churn', 1));
      assert.equal(v1.version, 1);
      assert.equal(v1.cvScore, 0.81);
      assert.equal(v1.snapshotId, 11);
      assert.deepEqual(v1.manifest, { seed: 42, leaderboard: [{ family: 'gbt', cvScore: 0.8 }] });
      assert.equal(await catalog.nextModelVersion('churn'), 2);
      await assert.rejects(catalog.registerModelVersion(version('churn', 1)), (e: Error & { code?: string; retryable?: boolean }) => e.code === 'catalog.model_version_taken' && e.retryable === true);
      await assert.rejects(catalog.registerModelVersion(version('churn', 3)), /next version is v2/);
      await catalog.registerModelVersion(version('churn', 2, { cvScore: undefined, snapshotId: undefined }));
      const got = await catalog.getModelVersion('churn', 2);
      assert.equal(got?.cvScore, undefined);
      assert.equal(got?.snapshotId, undefined);
      assert.deepEqual((await catalog.listModelVersions('churn')).map((v) => v.version), [2, 1], 'newest first');
      assert.equal(await catalog.getModelVersion('churn', 9), undefined);
      await assert.rejects(catalog.registerModelVersion(version('Bad Name', 1)), /invalid model name/);
      await assert.rejects(catalog.registerModelVersion(version('churn', 3, { artifactSha256: 'xyz' })), /sha256/);
      const audit = (await catalog.listAudit()).filter((e) => e.action === 'ml.register');
      assert.deepEqual(audit.map((e) => e.target), ['churn@v2', 'churn@v1']);
      assert.equal((audit[1]!.details as { sha256: string }).sha256, 'a'.repeat(64));
    });

    it('should move aliases, keep their history, and roll back through it', async () => {
      const catalog = await fresh();
      for (let v = 1; v <= 3; v++) await catalog.registerModelVersion(version('churn', v));
      const p1 = await catalog.promoteModelAlias({ name: 'churn', alias: 'champion', version: 1, actor: 'admin' });
      assert.deepEqual([p1?.version, p1?.previousVersion], [1, undefined]);
      assert.equal(await catalog.promoteModelAlias({ name: 'churn', alias: 'champion', version: 1, actor: 'admin' }), undefined, 'promoting to the same version changes nothing');
      await catalog.promoteModelAlias({ name: 'churn', alias: 'champion', version: 2, actor: 'admin' });
      await catalog.promoteModelAlias({ name: 'churn', alias: 'champion', version: 3, actor: 'admin' });
      await catalog.promoteModelAlias({ name: 'churn', alias: 'staging', version: 3, actor: 'admin' });
      await assert.rejects(catalog.promoteModelAlias({ name: 'churn', alias: 'champion', version: 7, actor: 'admin' }), (e: Error & { code?: string }) => e.code === 'ml.model_not_found');
      await assert.rejects(catalog.promoteModelAlias({ name: 'churn', alias: 'v2', version: 2, actor: 'admin' }), /invalid alias/);

      const back = await catalog.rollbackModelAlias({ name: 'churn', alias: 'champion', actor: 'admin' });
      assert.deepEqual([back?.action, back?.version, back?.previousVersion], ['rollback', 2, 3]);
      // A promotion after a rollback, then a rollback: back to where the alias was before that promotion.
      await catalog.promoteModelAlias({ name: 'churn', alias: 'champion', version: 3, actor: 'admin' });
      assert.equal((await catalog.rollbackModelAlias({ name: 'churn', alias: 'champion', actor: 'admin' }))?.version, 2);
      assert.equal((await catalog.rollbackModelAlias({ name: 'churn', alias: 'champion', actor: 'admin' }))?.version, 1);
      assert.equal(await catalog.rollbackModelAlias({ name: 'churn', alias: 'champion', actor: 'admin' }), undefined, 'nothing before the first promotion');
      assert.equal(await catalog.rollbackModelAlias({ name: 'churn', alias: 'nope', actor: 'admin' }), undefined);

      const aliases = await catalog.listModelAliases('churn');
      assert.deepEqual(aliases.map((a) => [a.alias, a.version]), [['champion', 1], ['staging', 3]]);
      const history = await catalog.listAliasHistory('churn', 'champion');
      assert.deepEqual(history.map((h) => `${h.action}:${h.previousVersion ?? '-'}→${h.version}`), ['promote:-→1', 'promote:1→2', 'promote:2→3', 'rollback:3→2', 'promote:2→3', 'rollback:3→2', 'rollback:2→1']);
      const audit = (await catalog.listAudit()).filter((e) => e.action === 'ml.promote' || e.action === 'ml.rollback').reverse();
      assert.equal(audit.length, 8, 'every move audited (7 of champion, 1 of staging)');
      assert.deepEqual(audit.map((e) => e.target).slice(0, 4), ['churn@champion', 'churn@champion', 'churn@champion', 'churn@staging']);
      assert.deepEqual(await catalog.checkIntegrity(), [], 'the audit chain is intact');
    });

    it('should list models with their newest version and aliases', async () => {
      const catalog = await fresh();
      await catalog.registerModelVersion(version('order_value', 1, { task: 'regression', metric: 'r2' }));
      await catalog.registerModelVersion(version('churn', 1));
      await catalog.registerModelVersion(version('churn', 2));
      await catalog.promoteModelAlias({ name: 'churn', alias: 'champion', version: 1, actor: 'admin' });
      const models = await catalog.listModels();
      assert.deepEqual(
        models.map((m) => [m.name, m.versions, m.latest.version, m.aliases.map((a) => `${a.alias}=${a.version}`)]),
        [
          ['churn', 2, 2, ['champion=1']],
          ['order_value', 1, 1, []],
        ],
      );
      assert.deepEqual((await catalog.listAllModelVersions()).map((v) => `${v.name}@v${v.version}`), ['churn@v1', 'churn@v2', 'order_value@v1']);
    });

    it('should give concurrent registrations distinct versions', async () => {
      const catalog = await fresh();
      const register = async (): Promise<number> => {
        for (;;) {
          const v = await catalog.nextModelVersion('churn');
          try {
            return (await catalog.registerModelVersion(version('churn', v))).version;
          } catch (e) {
            if ((e as { code?: string }).code !== 'catalog.model_version_taken') throw e;
          }
        }
      };
      const got = await Promise.all(Array.from({ length: 6 }, register));
      assert.deepEqual([...got].sort(), [1, 2, 3, 4, 5, 6]);
    });
  });
}
