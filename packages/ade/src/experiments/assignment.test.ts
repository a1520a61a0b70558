// The server's SQL assignment and the SDK's TypeScript are two implementations
// of one algorithm (docs/experiments.md, "Assignment"): this checks they agree
// on a million ids generated in DuckDB, ASCII and not.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Session } from '../engine/index.js';
import { openTestLake, type TestLake } from '../engine/test-support/test-lake.js';
import { assignmentSql, bucketHashSql, fmix32Sql, fnv1a32Sql, hashThresholds, type AssignmentSpec } from './assignment-sql.js';

const N = 1_000_000;

/**
 * The SDK's source, loaded under tsx (a static import would put it under this
 * package's rootDir; its dist may be stale), typed by the little this test uses.
 */
interface Sdk {
  assign(experiment: object, unitId: string): { inExperiment: boolean; variant: string; variationIndex: number; hashValue: number };
  bucketHash(text: string): number;
}
const { assign, bucketHash } = (await import(new URL('../../../sdk/src/index.ts', import.meta.url).href)) as Sdk;

/** A million ids: plain, hex, multi-byte UTF-8 (2, 3 and 4 bytes) and bare numbers. */
const IDS = `(SELECT CASE range % 4
                WHEN 0 THEN 'user-' || range
                WHEN 1 THEN md5(CAST(range AS VARCHAR))
                WHEN 2 THEN 'ünï-€-😀-' || range
                ELSE CAST(range AS VARCHAR) END AS uid
          FROM range(${N}))`;

const spec: AssignmentSpec = {
  key: 'checkout_button',
  seed: 'checkout-v2',
  variants: [
    { name: 'control', weight: 1 },
    { name: 'green', weight: 2 },
    { name: 'big', weight: 3.5 },
  ],
  coverage: 0.85,
  namespace: { name: 'checkout', range: [0.1, 0.9] },
};
const experiment = { ...spec, status: 'running' };

describe('assignment in SQL and in the SDK', () => {
  let lake: TestLake;
  let session: Session;

  before(async () => {
    lake = await openTestLake({ threads: 4, memoryLimit: '1GB' });
    session = await lake.engine.openSession(lake.as('analyst', []));
  });
  after(async () => {
    await session.close();
    await lake.close();
  });

  it('should compute the known FNV-1a answers in SQL', async () => {
    const r = await session.query(`SELECT ${fnv1a32Sql(`''`)} AS e, ${fnv1a32Sql(`'a'`)} AS a, ${fnv1a32Sql(`'foobar'`)} AS f, ${fnv1a32Sql(`'é€😀'`)} AS u`);
    assert.deepEqual(
      Object.values(r.rows[0]!).map(Number),
      [0x811c9dc5, 0xe40c292c, 0xbf9cf968, 0x04a2e806],
    );
  });

  it('should compute the known bucket hashes (the MurmurHash3 finaliser over FNV-1a) in SQL', async () => {
    const r = await session.query(
      `SELECT ${fmix32Sql('CAST(0 AS UBIGINT)')} AS z, ${fmix32Sql('CAST(1 AS UBIGINT)')} AS o, ${fmix32Sql('CAST(4294967295 AS UBIGINT)')} AS m, ${bucketHashSql(`'foobar'`)} AS f, ${bucketHashSql(`'é€😀'`)} AS u`,
    );
    // fmix32(0xffffffff) computed with Python integers, as the SDK's test documents.
    assert.deepEqual(Object.values(r.rows[0]!).map(Number), [0, 0x514e28b7, 0x81f16f39, 0x0c0da6dc, 0xf0d630c0]);
  });

  it('should agree with the SDK on the hash and the variant of 1,000,000 ids', async (t) => {
    const started = performance.now();
    let rows = 0;
    let mismatches = 0;
    const firstMismatches: unknown[] = [];
    const counts = new Map<string, number>();
    for await (const batch of session.stream(assignmentSql(spec, IDS, 'uid'))) {
      for (const row of batch) {
        rows++;
        const unit = row.unit_id as string;
        const a = assign(experiment, unit);
        const sqlIndex = row.variation_index === null ? null : Number(row.variation_index);
        const same =
          Number(row.hash) === bucketHash(`${spec.seed}:${unit}`) &&
          row.hash_value === a.hashValue &&
          sqlIndex === (a.inExperiment ? a.variationIndex : null) &&
          row.variant === (a.inExperiment ? a.variant : null);
        if (!same) {
          mismatches++;
          if (firstMismatches.length < 5) firstMismatches.push({ row, sdk: a });
        }
        const key = String(row.variant);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`${rows} ids compared in ${seconds.toFixed(1)} s; per variant ${JSON.stringify(Object.fromEntries(counts))}`);
    assert.equal(rows, N);
    assert.equal(mismatches, 0, JSON.stringify(firstMismatches, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    // 80% in the namespace range × 85% coverage, split 1 : 2 : 3.5.
    const inside = N * 0.8 * 0.85;
    for (const [name, share] of [['control', 1 / 6.5], ['green', 2 / 6.5], ['big', 3.5 / 6.5]] as const) {
      assert.ok(Math.abs(counts.get(name)! / inside - share) < 0.01, `${name}: ${counts.get(name)}`);
    }
  });

  it('should leave out empty and NULL unit ids, as the SDK does', async () => {
    const r = await session.query(assignmentSql(spec, `(SELECT * FROM (VALUES (''), (NULL)) AS t(uid))`, 'uid'));
    assert.deepEqual(r.rows.map((x) => x.variation_index), [null, null]);
    assert.equal(assign(experiment, '').inExperiment, false);
  });

  it('should put the thresholds where the SDK puts them, as integers', () => {
    assert.deepEqual(hashThresholds([1, 1], 1), [2 ** 31, 2 ** 32]);
    assert.deepEqual(hashThresholds([1, 0], 0.5), [2 ** 31, 2 ** 31]);
    assert.deepEqual(hashThresholds([0, 0], 1), [0, 0]);
  });
});
