import type { DatetimePart } from './artifact.js';

/** Milliseconds in a UTC day (no leap seconds, as in ECMAScript time). */
const MS_PER_DAY = 86_400_000;
/** The largest |epoch ms| a JavaScript `Date` can hold (±100,000,000 days). */
const MAX_EPOCH_MS = 8.64e15;

/**
 * `YYYY-MM-DD` (or `±YYYYYY-MM-DD`), then optionally `T` or a space and
 * `HH:MM`, `:SS`, `.fraction` (or `,fraction`), then optionally a zone `Z`,
 * `±HH`, `±HHMM` or `±HH:MM`; surrounding whitespace allowed.
 */
const ISO_DATETIME =
  /^\s*([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?\s*$/;

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (month 1–12): the
 * standard era-of-400-years computation, exact for every JavaScript date.
 *
 * @example
 * daysFromCivil(1970, 1, 1); // 0
 * daysFromCivil(2000, 3, 1); // 11017
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = month > 2 ? month - 3 : month + 9; // March = 0
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses an ISO-8601 date or date-time to epoch milliseconds, or NaN when the
 * text is not one. A date-time without a zone is read as UTC (not local
 * time, unlike `Date.parse`), so every machine reads it the same way;
 * fractions of a second beyond milliseconds are truncated; out-of-range
 * fields (month 13, 30 February, 24:00, second 60) make it NaN.
 *
 * @example
 * parseIsoUtc('2024-03-05');                // 1709596800000
 * parseIsoUtc('2024-03-05 10:00:00+02:00'); // 1709625600000
 * parseIsoUtc('05/03/2024');                // NaN
 */
export function parseIsoUtc(text: string): number {
  const m = ISO_DATETIME.exec(text);
  if (m === null) return Number.NaN;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN;
  const fraction = m[7];
  const millis = fraction === undefined ? 0 : Number((fraction + '00').slice(0, 3));
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = m[11] === undefined ? 0 : Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return Number.NaN;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const ms = daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
  return Math.abs(ms) <= MAX_EPOCH_MS ? ms : Number.NaN;
}

/**
 * An input value as epoch milliseconds, or NaN when it is missing or not a
 * date: a `Date` (its time value), a finite number or bigint (epoch ms), or
 * an ISO string ({@link parseIsoUtc}); anything outside JavaScript's date
 * range (±8.64e15 ms) is NaN.
 *
 * @example
 * toEpochMs(new Date(0));     // 0
 * toEpochMs(86_400_000);      // 86400000
 * toEpochMs('1970-01-02');    // 86400000
 * toEpochMs('yesterday');     // NaN
 */
export function toEpochMs(value: unknown): number {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') return parseIsoUtc(value);
  else if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'bigint') ms = Number(value);
  else return Number.NaN;
  return Math.abs(ms) <= MAX_EPOCH_MS ? ms : Number.NaN; // NaN fails the test too
}

/**
 * One calendar part of an instant, in UTC: `year`; `month` 1–12; `day` of the
 * month 1–31; `weekday` 0 = Sunday … 6 = Saturday (as `Date#getUTCDay`);
 * `hour` 0–23; `epoch_days` = ms / 86,400,000 (fractional: days since
 * 1970-01-01T00:00Z, the time of day included). Allocates nothing.
 *
 * @example
 * datetimePart(Date.UTC(2024, 2, 5, 10), 'weekday'); // 2 (a Tuesday)
 * datetimePart(Date.UTC(2024, 2, 5, 10), 'month');   // 3
 */
export function datetimePart(ms: number, part: DatetimePart): number {
  if (part === 'epoch_days') return ms / MS_PER_DAY;
  const days = Math.floor(ms / MS_PER_DAY);
  switch (part) {
    case 'hour':
      return Math.floor((ms - days * MS_PER_DAY) / 3_600_000);
    case 'weekday':
      return (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    default:
      return civilPart(days, part);
  }
}

/** Year, month or day of the proleptic Gregorian date `days` after 1970-01-01 (inverse of {@link daysFromCivil}). */
function civilPart(days: number, part: 'year' | 'month' | 'day'): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // March = 0
  if (part === 'day') return dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  if (part === 'month') return month;
  return yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
}
