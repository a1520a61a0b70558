import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CatalogError } from './errors.js';
import { mapPostgresError, toPostgres } from './postgres-driver.js';

function pgError(code: string): Error {
  return Object.assign(new Error(`pg ${code}`), { code });
}

describe('postgres driver', () => {
  it('should number placeholders and leave quoted text alone', () => {
    assert.equal(toPostgres(`SELECT '?', "a?" FROM t WHERE a = ? AND b IN (?, ?)`), `SELECT '?', "a?" FROM t WHERE a = $1 AND b IN ($2, $3)`);
  });

  it('should mark serialization failures, deadlocks, lock timeouts and lost connections retryable', () => {
    for (const [code, expected] of [
      ['40001', 'catalog.serialization'],
      ['40P01', 'catalog.serialization'],
      ['55P03', 'catalog.busy'],
      ['57P01', 'catalog.unavailable'],
      ['08006', 'catalog.unavailable'],
      ['ECONNREFUSED', 'catalog.unavailable'],
    ] as const) {
      const e = mapPostgresError(pgError(code));
      assert.ok(e instanceof CatalogError, code);
      assert.equal(e.code, expected, code);
      assert.equal(e.retryable, true, code);
    }
  });

  it('should keep unique violations and other SQL errors terminal', () => {
    const unique = mapPostgresError(pgError('23505')) as CatalogError;
    assert.equal(unique.code, 'catalog.unique_violation');
    assert.equal(unique.retryable, false);
    assert.equal((mapPostgresError(pgError('42P01')) as CatalogError).code, 'catalog.sql');
  });

  it('should pass errors thrown on purpose through', () => {
    const own = new CatalogError('catalog.commit_conflict', 'x', { retryable: true });
    assert.equal(mapPostgresError(own), own);
  });
});
