import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlError } from './ml-error.js';
import { prepareTarget } from './prepare-target.js';

const isMl = (code: string) => (e: unknown) => e instanceof MlError && e.code === code;

describe('prepareTarget', () => {
  it('should treat booleans as classes and count the rows without a target', () => {
    const t = prepareTarget('churned', [true, false, null, true, undefined]);
    assert.equal(t.task, 'classification');
    assert.deepEqual(t.classes, ['false', 'true']);
    assert.deepEqual(Array.from(t.rows), [0, 1, 3]);
    assert.deepEqual(Array.from(t.y), [1, 0, 1]);
    assert.equal(t.missing, 2);
  });

  it('should sort numeric labels numerically and text labels by code point', () => {
    assert.deepEqual(prepareTarget('digit', [10, 2, 1, 2]).classes, ['1', '2', '10']);
    assert.deepEqual(prepareTarget('species', ['b', 'a', 'B', 'a']).classes, ['B', 'a', 'b']);
    assert.deepEqual(Array.from(prepareTarget('digit', [10, 2, 1, 2.0]).y), [2, 1, 0, 1]);
  });

  it('should infer regression for non-integers or more than 20 distinct integers', () => {
    assert.equal(prepareTarget('v', [1.5, 2, 3]).task, 'regression');
    assert.equal(prepareTarget('v', Array.from({ length: 21 }, (_, i) => i)).task, 'regression');
    assert.equal(prepareTarget('v', Array.from({ length: 40 }, (_, i) => i % 20)).task, 'classification');
    assert.equal(prepareTarget('v', [1, 2, 3], 'regression').task, 'regression');
  });

  it('should leave out NaN and Infinity targets and count them', () => {
    const t = prepareTarget('v', [1.5, Number.NaN, Number.POSITIVE_INFINITY, 4, null, 2n], 'regression');
    assert.deepEqual(Array.from(t.rows), [0, 3, 5]);
    assert.deepEqual(Array.from(t.y), [1.5, 4, 2]);
    assert.equal(t.missing, 3);
  });

  it('should refuse zero rows, a single class and text as a regression target', () => {
    assert.throws(() => prepareTarget('v', []), isMl('ml.no_rows'));
    assert.throws(() => prepareTarget('v', [null, Number.NaN]), isMl('ml.no_rows'));
    assert.throws(() => prepareTarget('v', ['yes', 'yes', null]), isMl('ml.single_class'));
    assert.throws(() => prepareTarget('v', [1, 2, 'many'], 'regression'), isMl('ml.bad_target'));
  });
});
