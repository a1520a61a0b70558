import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultRange, rangeParams } from './dashboard-store.js';

describe('defaultRange', () => {
  const today = new Date('2026-11-28T15:00:00Z');
  it('should read the last days, weeks and months up to today', () => {
    assert.deepEqual(defaultRange('30d', today), { from: '2026-10-29', to: '2026-11-28' });
    assert.deepEqual(defaultRange('2w', today), { from: '2026-11-14', to: '2026-11-28' });
    assert.deepEqual(defaultRange(' 6M ', today), { from: '2026-05-28', to: '2026-11-28' });
  });
  it('should read ytd, all and fixed ranges with an open end', () => {
    assert.deepEqual(defaultRange('ytd', today), { from: '2026-01-01', to: '2026-11-28' });
    assert.deepEqual(defaultRange('all', today), { from: '', to: '' });
    assert.deepEqual(defaultRange('2026-01-01..2026-03-31', today), { from: '2026-01-01', to: '2026-03-31' });
    assert.deepEqual(defaultRange('2026-05-01..', today), { from: '2026-05-01', to: '' });
  });
  it('should leave the range open for anything else', () => {
    for (const spec of [undefined, '', 'last week', '..', '30x']) assert.equal(defaultRange(spec, today), undefined, String(spec));
  });
});

describe('rangeParams', () => {
  it('should pass only the bounds a query uses, an open end as a far date', () => {
    assert.deepEqual(rangeParams('SELECT 1 WHERE d >= $from', '', '2026-01-01'), { from: '1970-01-01' });
    assert.deepEqual(rangeParams('SELECT 1 WHERE d BETWEEN $from AND $to', '2026-01-01', ''), { from: '2026-01-01', to: '9999-12-31' });
    assert.equal(rangeParams('SELECT 1', 'a', 'b'), undefined);
  });
});
