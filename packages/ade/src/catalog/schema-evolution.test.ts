import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignColumnIds, columnsDiffer, normalizeColumns } from './schema-evolution.js';

describe('schema evolution', () => {
  it('should fill in defaults and normalise simple type names', () => {
    assert.deepEqual(normalizeColumns('clean.t', [{ name: 'a', type: ' bigint ' }, { name: 'b', type: 'decimal( 10 , 2 )', nullable: false, privacy: 'personal', doc: 'd' }]), [
      { name: 'a', type: 'BIGINT', nullable: true, privacy: 'none' },
      { name: 'b', type: 'DECIMAL(10,2)', nullable: false, privacy: 'personal', doc: 'd' },
    ]);
  });

  it('should leave nested types as written', () => {
    assert.equal(normalizeColumns('clean.t', [{ name: 's', type: 'STRUCT(a INT, B VARCHAR)' }])[0]!.type, 'STRUCT(a INT, B VARCHAR)');
  });

  it('should reject unknown privacy classes', () => {
    assert.throws(() => normalizeColumns('clean.t', [{ name: 'a', type: 'INT', privacy: 'secret' as never }]), /unknown privacy class/);
  });

  it('should keep ids by name and give new columns the next ids', () => {
    const v1 = assignColumnIds([], normalizeColumns('t', [{ name: 'a', type: 'INT' }, { name: 'b', type: 'INT' }]), 1);
    assert.deepEqual(v1.columns.map((c) => c.id), [1, 2]);
    const v2 = assignColumnIds(v1.columns, normalizeColumns('t', [{ name: 'c', type: 'INT' }, { name: 'a', type: 'BIGINT' }]), v1.nextColumnId);
    assert.deepEqual(v2.columns.map((c) => [c.name, c.id]), [['c', 3], ['a', 1]]);
    assert.equal(v2.nextColumnId, 4);
  });

  it('should see changes of order, type, nullability and privacy but not of docs', () => {
    const base = assignColumnIds([], normalizeColumns('t', [{ name: 'a', type: 'INT' }, { name: 'b', type: 'INT' }]), 1).columns;
    const differs = (cols: Parameters<typeof normalizeColumns>[1]) => columnsDiffer(base, normalizeColumns('t', cols));
    assert.equal(differs([{ name: 'a', type: 'int', doc: 'x' }, { name: 'b', type: 'INT' }]), false);
    assert.equal(differs([{ name: 'b', type: 'INT' }, { name: 'a', type: 'INT' }]), true);
    assert.equal(differs([{ name: 'a', type: 'BIGINT' }, { name: 'b', type: 'INT' }]), true);
    assert.equal(differs([{ name: 'a', type: 'INT', nullable: false }, { name: 'b', type: 'INT' }]), true);
    assert.equal(differs([{ name: 'a', type: 'INT', privacy: 'personal' }, { name: 'b', type: 'INT' }]), true);
    assert.equal(differs([{ name: 'a', type: 'INT' }]), true);
  });
});
