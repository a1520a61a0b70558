import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storedType } from './stored-type.js';

describe('storedType', () => {
  it('should map the types Parquet cannot hold to what DuckDB reads back, nested ones too', () => {
    assert.equal(storedType('HUGEINT'), 'DOUBLE');
    assert.equal(storedType('UHUGEINT'), 'DOUBLE');
    assert.equal(storedType("ENUM('x', 'it''s')"), 'VARCHAR');
    assert.equal(storedType('TIMESTAMP_MS'), 'TIMESTAMP');
    assert.equal(storedType('BIT'), 'VARCHAR');
    assert.equal(storedType("STRUCT(n HUGEINT, tags ENUM('a', 'b')[])"), 'STRUCT(n DOUBLE, tags VARCHAR[])');
    for (const t of ['BIGINT', 'DECIMAL(38,2)', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_NS', 'VARCHAR[]', 'STRUCT("hugeint_count" BIGINT)']) assert.equal(storedType(t), t);
  });
});
