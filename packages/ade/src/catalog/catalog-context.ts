import { ValidationError, assertZone, validateName, type Clock, type TableRef } from '../kernel/index.js';
import type { SqlDialect } from './sql-driver.js';

/** What the catalog's operations share besides the transaction they run in. */
export interface CatalogContext {
  readonly dialect: SqlDialect;
  readonly clock: Clock;
}

/** Validates a table reference (known zone, valid name) and returns a plain copy. */
export function checkRef(ref: TableRef): TableRef {
  if (ref === null || typeof ref !== 'object') {
    throw new ValidationError('a table reference must be { zone, name }', { code: 'validation.table_ref', hint: 'e.g. { zone: "clean", name: "orders" }' });
  }
  return { zone: assertZone(ref.zone), name: validateName('table', ref.name) };
}

/** Validates a non-negative safe integer option (limits, counts). */
export function checkCount(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`${what} must be a non-negative integer, got ${String(value)}`, { code: 'validation.invalid', details: { [what]: value } });
  }
  return value;
}

/** Validates a date option. */
export function checkDate(what: string, value: Date): number {
  const ms = value instanceof Date ? value.getTime() : NaN;
  if (!Number.isFinite(ms)) {
    throw new ValidationError(`${what} must be a valid Date`, { code: 'validation.invalid', details: { [what]: String(value) } });
  }
  return ms;
}

/** Validates a non-empty string (actors, committers, run kinds). */
export function checkText(what: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(`${what} must be a non-empty string`, { code: 'validation.invalid', details: { [what]: value } });
  }
  return value;
}
