import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdeSdkError } from '../errors.js';
import { fnv1a32 } from '../fnv1a.js';
import type { FeatureStep } from './artifact.js';
import { categoryKey, encodeRow, encodeRows, numericValue } from './encode.js';

const numeric = (scaling: Partial<{ impute: number; center: number; scale: number }> = {}): FeatureStep => ({
  kind: 'numeric',
  column: 'v',
  impute: -1,
  center: 0,
  scale: 1,
  ...scaling,
});
const one = (step: FeatureStep, width: number, value: unknown): number[] => [...encodeRows([step], width, [{ [step.column]: value }])];

describe('encodeRows: numeric', () => {
  it('should read numbers, decimal strings, booleans and bigints', () => {
    const cases: [unknown, number][] = [
      [2.5, 2.5],
      [-0, -0],
      ['12.5', 12.5],
      [' -3e2 ', -300],
      ['.5', 0.5],
      ['+1', 1],
      ['1.', 1],
      [true, 1],
      [false, 0],
      [12n, 12],
    ];
    for (const [value, expected] of cases) assert.deepEqual(one(numeric(), 1, value), [expected], String(value));
  });

  it('should impute missing, non-finite and non-decimal values', () => {
    const missing: unknown[] = [null, undefined, '', '  ', '12abc', '0x10', '1_000', 'Infinity', 'NaN', '1e999', Number.NaN, Infinity, -Infinity, {}, [], new Date(0), () => 1];
    for (const value of missing) assert.deepEqual(one(numeric(), 1, value), [-1], String(value));
    assert.deepEqual([...encodeRows([numeric()], 1, [{}])], [-1], 'an absent column');
  });

  it('should standardise, the impute too', () => {
    const step = numeric({ impute: 4, center: 2, scale: 4 });
    assert.deepEqual(one(step, 1, 10), [2]);
    assert.deepEqual(one(step, 1, null), [0.5]);
  });

  it('should impute a value whose standardised form overflows', () => {
    assert.deepEqual(one(numeric({ impute: 0, center: -1e308 }), 1, 1e308), [1e308]); // (0 + 1e308) / 1
  });

  it('should not read inherited properties as values', () => {
    const step: FeatureStep = { kind: 'numeric', column: 'toString', impute: 7, center: 0, scale: 1 };
    assert.deepEqual([...encodeRows([step], 1, [{}])], [7]);
  });

  it('numericValue should be NaN for missing', () => {
    assert.ok(Number.isNaN(numericValue('12abc')));
    assert.equal(numericValue('1e3'), 1000);
  });
});

describe('encodeRows: categorical', () => {
  const step: FeatureStep = { kind: 'categorical', column: 'c', categories: ['free', 'pro', '3', 'true', '__proto__'] };

  it('should one-hot a known category', () => {
    assert.deepEqual(one(step, 5, 'pro'), [0, 1, 0, 0, 0]);
    assert.deepEqual(one(step, 5, '__proto__'), [0, 0, 0, 0, 1]);
  });

  it('should compare numbers and booleans as strings', () => {
    assert.deepEqual(one(step, 5, 3), [0, 0, 1, 0, 0]);
    assert.deepEqual(one(step, 5, 3.0), [0, 0, 1, 0, 0]);
    assert.deepEqual(one(step, 5, 3n), [0, 0, 1, 0, 0]);
    assert.deepEqual(one(step, 5, true), [0, 0, 0, 1, 0]);
  });

  it('should give all zeros for unseen, differently cased and missing values', () => {
    for (const value of ['enterprise', 'Pro', ' pro', null, undefined, Number.NaN, {}]) assert.deepEqual(one(step, 5, value), [0, 0, 0, 0, 0], String(value));
  });

  it('categoryKey should write numbers as String does', () => {
    assert.equal(categoryKey(2.5), '2.5');
    assert.equal(categoryKey(1e21), '1e+21');
    assert.equal(categoryKey(Infinity), undefined);
  });
});

describe('encodeRows: datetime', () => {
  const allParts: FeatureStep = {
    kind: 'datetime',
    column: 't',
    parts: (['year', 'month', 'day', 'weekday', 'hour', 'epoch_days'] as const).map((part) => ({ part, impute: -1, center: 0, scale: 1 })),
  };
  // 2024-03-05 was a Tuesday (weekday 2); 19787 days after 1970-01-01.
  const tuesday10 = [2024, 3, 5, 2, 10, 19787 + 10.5 / 24];

  it('should read ISO strings, with or without a zone (no zone = UTC)', () => {
    assert.deepEqual(one(allParts, 6, '2024-03-05T10:30:00Z'), tuesday10);
    assert.deepEqual(one(allParts, 6, '2024-03-05 10:30:00'), tuesday10);
    assert.deepEqual(one(allParts, 6, '2024-03-05T12:30+02:00'), tuesday10);
    assert.deepEqual(one(allParts, 6, '2024-03-05T05:00:00.000-0530'), tuesday10);
    assert.deepEqual(one(allParts, 6, '2024-03-05'), [2024, 3, 5, 2, 0, 19787]);
  });

  it('should read Dates and epoch milliseconds', () => {
    const ms = Date.UTC(2024, 2, 5, 10, 30);
    assert.deepEqual(one(allParts, 6, new Date(ms)), tuesday10);
    assert.deepEqual(one(allParts, 6, ms), tuesday10);
    assert.deepEqual(one(allParts, 6, BigInt(ms)), tuesday10);
  });

  it('should read instants before 1970', () => {
    // 1969-12-31T23:00Z: a Wednesday, day −1/24 before the epoch.
    assert.deepEqual(one(allParts, 6, '1969-12-31T23:00:00Z'), [1969, 12, 31, 3, 23, -1 / 24]);
  });

  it('should impute every part of a missing or unparseable value', () => {
    const bad: unknown[] = [null, undefined, '', 'yesterday', '05/03/2024', '2024-02-30', '2023-02-29', '2024-13-01', '2024-03-05T24:00', '2024-03-05T10:60', '2024-03-05T10:00+25:00', Number.NaN, 9e15, new Date(Number.NaN), true, {}];
    for (const value of bad) assert.deepEqual(one(allParts, 6, value), [-1, -1, -1, -1, -1, -1], String(value));
  });

  it('should accept 29 February of a leap year', () => {
    assert.deepEqual(one(allParts, 6, '2000-02-29').slice(0, 4), [2000, 2, 29, 2]);
  });

  it('should standardise each part with its own center and scale', () => {
    const step: FeatureStep = { kind: 'datetime', column: 't', parts: [{ part: 'year', impute: 2000, center: 2020, scale: 2 }, { part: 'month', impute: 6, center: 0, scale: 12 }] };
    assert.deepEqual(one(step, 2, '2024-03-05'), [2, 0.25]);
    assert.deepEqual(one(step, 2, null), [-10, 0.5]);
  });

  it('should agree with Date for random instants and for Date.parse on ISO strings with a zone', () => {
    let seed = 5;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 3000; i++) {
      const ms = Math.round((random() * 2 - 1) * 1.2e13); // years ~1590 to ~2350
      const d = new Date(ms);
      const expected = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCDay(), d.getUTCHours(), ms / 86_400_000];
      assert.deepEqual(one(allParts, 6, ms), expected, d.toISOString());
      assert.deepEqual(one(allParts, 6, d.toISOString()), expected, d.toISOString());
    }
  });

  it('should truncate fractions of a second beyond milliseconds', () => {
    const step: FeatureStep = { kind: 'datetime', column: 't', parts: [{ part: 'epoch_days', impute: 0, center: 0, scale: 1 / 86_400_000 }] };
    assert.deepEqual(one(step, 1, '1970-01-01T00:00:01.2349999Z'), [1234]);
    assert.deepEqual(one(step, 1, '1970-01-01T00:00:01,5'), [1500]);
  });
});

describe('encodeRows: text_hash', () => {
  const buckets = 16;
  const step: FeatureStep = { kind: 'text_hash', column: 's', buckets, scale: 2 };
  const expected = (tokens: string[]): number[] => {
    const out = new Array<number>(buckets).fill(0);
    for (const t of tokens) out[fnv1a32(t) % buckets]! += 1;
    return out.map((c) => c / 2);
  };

  it('should count lower-cased [a-z0-9] tokens into fnv1a32 buckets, divided by scale', () => {
    assert.deepEqual(one(step, buckets, 'Hello, hello WORLD! 42x'), expected(['hello', 'hello', 'world', '42x']));
  });

  it('should split on any other character, non-ASCII letters included', () => {
    assert.deepEqual(one(step, buckets, 'naïve café_au-lait'), expected(['na', 've', 'caf', 'au', 'lait']));
  });

  it('should hash numbers as their text, and give zeros when missing or empty', () => {
    assert.deepEqual(one(step, buckets, 42), expected(['42']));
    for (const value of [null, undefined, '', '!!', {}]) assert.deepEqual(one(step, buckets, value), expected([]), String(value));
  });
});

describe('encodeRows: layout and errors', () => {
  const steps: FeatureStep[] = [
    { kind: 'numeric', column: 'a', impute: 0, center: 0, scale: 1 },
    { kind: 'categorical', column: 'b', categories: ['x', 'y'] },
    { kind: 'datetime', column: 'c', parts: [{ part: 'hour', impute: 0, center: 0, scale: 1 }] },
  ];

  it('should lay rows out row-major, steps in order', () => {
    assert.deepEqual([...encodeRows(steps, 4, [{ a: 1, b: 'y', c: '2024-01-01T05:00Z' }, { a: '2', b: 'x' }])], [1, 0, 1, 5, 2, 1, 0, 0]);
    assert.equal(encodeRows(steps, 4, []).length, 0);
  });

  it('should encode one row into a reused buffer at an offset, overwriting it', () => {
    const buffer = new Float64Array(6).fill(9);
    encodeRow(steps, 4, { a: 3, b: 'x' }, buffer, 1);
    assert.deepEqual([...buffer], [9, 3, 1, 0, 0, 9]);
    encodeRow(steps, 4, { a: 4, b: 'z' }, buffer, 1);
    assert.deepEqual([...buffer], [9, 4, 0, 0, 0, 9]);
    assert.deepEqual([...encodeRow(steps, 4, { a: 5 })], [5, 0, 0, 0]);
  });

  it('should refuse a buffer too small, a row that is not an object, and a wrong featureCount', () => {
    assert.throws(() => encodeRow(steps, 4, {}, new Float64Array(4), 1), (e: unknown) => e instanceof AdeSdkError && e.code === 'model.input');
    assert.throws(() => encodeRows(steps, 4, [null as unknown as Record<string, unknown>]), (e: unknown) => e instanceof AdeSdkError && e.code === 'model.input');
    assert.throws(() => encodeRows(steps, 5, [{}]), (e: unknown) => e instanceof AdeSdkError && e.code === 'model.invalid' && e.message === 'featureCount: is 5 but the feature steps make 4 slots');
  });

  it('should refuse invalid steps with their path', () => {
    const bad = [{ kind: 'numeric', column: 'a', impute: 0, center: 0, scale: 0 }] as FeatureStep[];
    assert.throws(() => encodeRows(bad, 1, [{}]), /^AdeSdkError: features\[0\]\.scale: must be > 0, is 0$/);
  });
});
