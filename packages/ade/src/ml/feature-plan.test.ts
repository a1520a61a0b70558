import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureStep } from '@ade/sdk';
import { encodeColumns } from './encode-columns.js';
import { planFeatures, type InputColumn } from './feature-plan.js';
import { MlError } from './ml-error.js';

const target = (n: number): InputColumn => ({ name: 'y', type: 'DOUBLE', values: Array.from({ length: n }, (_, i) => i) });
const plan1 = (column: InputColumn, extra: Partial<Parameters<typeof planFeatures>[1]> = {}) =>
  planFeatures([column, target(column.values.length)], { target: 'y', ...extra });
const only = (column: InputColumn): FeatureStep => {
  const plan = plan1(column);
  assert.equal(plan.steps.length, 1);
  return plan.steps[0]!;
};
const isMl = (code: string) => (e: unknown) => e instanceof MlError && e.code === code;

describe('planFeatures', () => {
  it('should impute numerics with the median and standardise with mean and std, NaN and Infinity counting as missing', () => {
    const step = only({ name: 'a', type: 'DOUBLE', values: [1, 2, null, 10, Number.NaN, Number.POSITIVE_INFINITY] });
    assert.equal(step.kind, 'numeric');
    if (step.kind !== 'numeric') return;
    assert.equal(step.impute, 2);
    // imputed column: 1, 2, 2, 10, 2, 2 → mean 19/6
    assert.ok(Math.abs(step.center - 19 / 6) < 1e-12);
    const sd = Math.sqrt([1, 2, 2, 10, 2, 2].reduce((s, v) => s + (v - 19 / 6) ** 2, 0) / 6);
    assert.ok(Math.abs(step.scale - sd) < 1e-12);
  });

  it('should read bigints and numeric strings as numbers and booleans as 0/1', () => {
    assert.equal(only({ name: 'b', type: 'BIGINT', values: [1n, 3n, 5n] }).kind, 'numeric');
    const s = plan1({ name: 's', type: 'VARCHAR', values: ['1.5', ' 2', '-3e1', ''] });
    assert.equal(s.inputs[0]!.kind, 'numeric');
    const b = plan1({ name: 'flag', type: 'BOOLEAN', values: [true, false, true, null] });
    assert.equal(b.inputs[0]!.kind, 'boolean');
    assert.deepEqual(b.steps[0], { kind: 'numeric', column: 'flag', impute: 1, center: 0.75, scale: Math.sqrt(0.1875) });
  });

  it('should one-hot a modest number of categories, sorted, leaving missing values out', () => {
    const step = only({ name: 'c', type: 'VARCHAR', values: ['red', 'blue', null, 'red', '', 'green'] });
    assert.deepEqual(step, { kind: 'categorical', column: 'c', categories: ['blue', 'green', 'red'] });
  });

  it('should keep the most frequent categories of a high-cardinality column', () => {
    const values = Array.from({ length: 300 }, (_, i) => `city${i % 60}`);
    values.push('city7', 'city7', 'city8');
    const step = only({ name: 'city', type: 'VARCHAR', values });
    assert.equal(step.kind, 'categorical');
    if (step.kind !== 'categorical') return;
    assert.equal(step.categories.length, 32);
    assert.ok(step.categories.includes('city7') && step.categories.includes('city8'));
    assert.deepEqual([...step.categories].sort(), step.categories);
  });

  it('should drop identifier-like strings and hash free text', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `0b7e${i}-a1f3-4c9d`);
    const text = Array.from({ length: 100 }, (_, i) => `the order ${i} arrived ${i % 3 ? 'late' : 'on time'} and was fine`);
    const plan = planFeatures(
      [
        { name: 'id', type: 'UUID', values: ids },
        { name: 'note', type: 'VARCHAR', values: text },
        target(100),
      ],
      { target: 'y' },
    );
    assert.deepEqual(plan.dropped, [{ column: 'id', reason: 'identifier-like: 100 distinct values in 100 rows' }]);
    const note = plan.steps[0]!;
    assert.equal(note.kind, 'text_hash');
    if (note.kind !== 'text_hash') return;
    assert.equal(note.buckets, 64);
    assert.equal(plan.featureCount, 64);
    // The scale makes the slots' root mean square 1 on the training rows.
    const x = encodeColumns(plan.steps, plan.featureCount, [{ name: 'note', type: 'VARCHAR', values: text }], Int32Array.from({ length: 100 }, (_, i) => i));
    const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    assert.ok(Math.abs(rms - 1) < 1e-9, `rms ${rms}`);
  });

  it('should split datetimes into the parts that vary', () => {
    const ts = plan1({ name: 't', type: 'TIMESTAMP', values: ['2024-01-01 10:00:00', '2024-03-05T23:30:00Z', new Date(Date.UTC(2024, 6, 9, 4)), null] });
    const step = ts.steps[0]!;
    assert.equal(step.kind, 'datetime');
    if (step.kind !== 'datetime') return;
    assert.deepEqual(
      step.parts.map((p) => p.part),
      ['month', 'day', 'weekday', 'hour', 'epoch_days'],
    );
    const date = plan1({ name: 'd', type: 'DATE', values: ['2023-05-01', '2024-05-02', '2024-06-03'] }).steps[0]!;
    assert.ok(date.kind === 'datetime' && !date.parts.some((p) => p.part === 'hour'));
    assert.equal(plan1({ name: 'iso', type: 'VARCHAR', values: ['2023-05-01', '2024-05-02', null] }).inputs[0]!.kind, 'datetime');
  });

  it('should drop constant, all-missing, unsupported and excluded columns with the reason', () => {
    const plan = planFeatures(
      [
        { name: 'k', type: 'INTEGER', values: [7, 7, null, 7] },
        { name: 'gone', type: 'DOUBLE', values: [null, Number.NaN, Number.NEGATIVE_INFINITY, undefined] },
        { name: 'blank', type: 'VARCHAR', values: ['', null, ' ', null] },
        { name: 'same_day', type: 'DATE', values: ['2024-01-01', '2024-01-01', null, '2024-01-01'] },
        { name: 'tags', type: 'VARCHAR[]', values: [['a'], ['b'], [], null] },
        { name: 'secret', type: 'DOUBLE', values: [1, 2, 3, 4] },
        { name: 'x', type: 'DOUBLE', values: [1, 2, 3, 5] },
        target(4),
      ],
      { target: 'y', exclude: ['secret'] },
    );
    assert.deepEqual(plan.dropped, [
      { column: 'k', reason: 'constant' },
      { column: 'gone', reason: 'all missing' },
      { column: 'blank', reason: 'all missing' },
      { column: 'same_day', reason: 'constant' },
      { column: 'tags', reason: 'type VARCHAR[] is not supported' },
      { column: 'secret', reason: 'excluded' },
    ]);
    assert.deepEqual(plan.inputs, [{ name: 'x', type: 'DOUBLE', kind: 'numeric' }]);
  });

  it('should fit on the given rows only', () => {
    const plan = plan1({ name: 'a', type: 'DOUBLE', values: [1, 3, 1000] }, { rows: Int32Array.from([0, 1]) });
    assert.deepEqual(plan.steps[0], { kind: 'numeric', column: 'a', impute: 2, center: 2, scale: 1 });
  });

  it('should say when nothing is left, or an excluded column does not exist', () => {
    assert.throws(() => plan1({ name: 'k', type: 'DOUBLE', values: [1, 1] }), isMl('ml.no_features'));
    assert.throws(() => plan1({ name: 'a', type: 'DOUBLE', values: [1, 2] }, { exclude: ['nope'] }), isMl('ml.bad_option'));
  });

  it('should map every slot to its input column', () => {
    const plan = planFeatures(
      [
        { name: 'c', type: 'VARCHAR', values: ['a', 'b', 'c', 'a'] },
        { name: 'n', type: 'DOUBLE', values: [1, 2, 3, 4] },
        target(4),
      ],
      { target: 'y' },
    );
    assert.equal(plan.featureCount, 4);
    assert.deepEqual(Array.from(plan.slotInput), [0, 0, 0, 1]);
  });
});

describe('encodeColumns', () => {
  it('should encode the chosen rows as the SDK scorer does', () => {
    const columns: InputColumn[] = [
      { name: 'c', type: 'VARCHAR', values: ['a', 'b', 'zz', null] },
      { name: 'n', type: 'DOUBLE', values: [1, Number.NaN, 3, 4] },
    ];
    const steps: FeatureStep[] = [
      { kind: 'categorical', column: 'c', categories: ['a', 'b'] },
      { kind: 'numeric', column: 'n', impute: 2, center: 1, scale: 2 },
    ];
    const x = encodeColumns(steps, 3, columns, Int32Array.from([1, 2, 3]));
    assert.deepEqual(Array.from(x), [0, 1, 0.5, 0, 0, 1, 0, 0, 1.5]);
  });
});
