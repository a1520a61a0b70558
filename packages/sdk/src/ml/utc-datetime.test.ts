import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { datetimePart, daysFromCivil, parseIsoUtc, toEpochMs } from './utc-datetime.js';

describe('utc-datetime', () => {
  it('daysFromCivil should agree with Date.UTC across leap rules and before 1970', () => {
    for (const [y, m, d] of [[1970, 1, 1], [2000, 2, 29], [2000, 3, 1], [1900, 3, 1], [1600, 2, 29], [1969, 12, 31], [-1, 1, 1], [275760, 9, 13]] as const) {
      const utc = new Date(0);
      utc.setUTCFullYear(y, m - 1, d);
      assert.equal(daysFromCivil(y, m, d), Math.round(utc.getTime() / 86_400_000), `${y}-${m}-${d}`);
    }
  });

  it('parseIsoUtc should read the documented forms and nothing else', () => {
    assert.equal(parseIsoUtc('2024-03-05'), Date.UTC(2024, 2, 5));
    assert.equal(parseIsoUtc('2024-03-05 10:00:00+02:00'), Date.UTC(2024, 2, 5, 8));
    assert.equal(parseIsoUtc(' 2024-03-05t10:00z '), Date.UTC(2024, 2, 5, 10));
    assert.equal(parseIsoUtc('2024-03-05T10:00:00+0130'), Date.UTC(2024, 2, 5, 8, 30));
    assert.equal(parseIsoUtc('2024-03-05T10:00:00-03'), Date.UTC(2024, 2, 5, 13));
    assert.equal(parseIsoUtc('+010000-01-01'), Date.UTC(10000, 0, 1));
    for (const bad of ['2024-3-5', '2024-03-05T10', '20240305', 'March 5, 2024', '2024-03-05T10:00:00 PST', '+275761-01-01']) assert.ok(Number.isNaN(parseIsoUtc(bad)), bad);
  });

  it('toEpochMs should keep only instants a Date can hold', () => {
    assert.equal(toEpochMs(8.64e15), 8.64e15);
    assert.ok(Number.isNaN(toEpochMs(8.64e15 + 1)));
    assert.ok(Number.isNaN(toEpochMs(null)));
  });

  it('datetimePart should count weekdays from Sunday = 0', () => {
    const days = ['2024-03-03', '2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07', '2024-03-08', '2024-03-09'];
    assert.deepEqual(days.map((d) => datetimePart(parseIsoUtc(d), 'weekday')), [0, 1, 2, 3, 4, 5, 6]);
  });
});
