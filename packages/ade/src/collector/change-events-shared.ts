import { createHash } from 'node:crypto';
import { ValidationError } from '../kernel/index.js';

/** What a change did to its row: create, update, delete, read (a snapshot), as Debezium writes it. */
export type ChangeOp = 'c' | 'u' | 'd' | 'r';
export const CHANGE_OPS: readonly ChangeOp[] = ['c', 'u', 'd', 'r'];

/** The change formats `/v1/cdc/<stream>` understands. */
export type ChangeFormat = 'debezium' | 'dynamodb' | 'salesforce';

/** Columns every change row carries; a row image may not use names starting with `cdc_`. */
export const CHANGE_COLUMNS = ['cdc_op', 'cdc_position', 'cdc_ts', 'cdc_format', 'cdc_source', 'cdc_id'] as const;

/**
 * One change in the internal format: a flat JSON object ready for ingest,
 * the `cdc_*` columns first, then the row image (the row after the change;
 * for a delete, the row before it, at least its key).
 */
export interface ChangeRecord {
  readonly cdc_op: ChangeOp;
  /** Sorts (as text) in the order the source applied changes to one key: fixed-width numbers joined by `-`. */
  readonly cdc_position: string;
  /** When the source made the change (ISO 8601). */
  readonly cdc_ts: string;
  readonly cdc_format: ChangeFormat;
  /** The table or entity (`public.customers`, `Account`); null when the record does not say. */
  readonly cdc_source: string | null;
  /** Hash of format, source, key and position: a replayed change has the same id, so ingest keeps it once. */
  readonly cdc_id: string;
  readonly [column: string]: unknown;
}

/**
 * A change that cannot be applied row by row: a Salesforce gap or overflow
 * event (the source could not say what changed) or a Debezium truncate. The
 * records it names must be re-synced from the source.
 */
export interface ResyncNotice {
  /** Where in the body (`records[3]`). */
  readonly at: string;
  readonly format: ChangeFormat;
  readonly source: string | null;
  /** What the source sent (`GAP_UPDATE`, `GAP_OVERFLOW`, `truncate`). */
  readonly kind: string;
  /** The record ids concerned, when the source names them. */
  readonly ids: readonly string[];
  readonly message: string;
}

/** How to read one stream's changes (its `cdc:` settings in ade.yaml). */
export interface ChangeOptions {
  /** Key columns. Debezium needs them (its key travels outside the value); DynamoDB defaults to the record's `Keys`, Salesforce to `Id`. */
  readonly key?: readonly string[];
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws the ValidationError of a malformed change: `records[3].payload.op: expected one of c, u, d, r`. */
export function invalid(at: string, message: string, hint?: string): never {
  throw new ValidationError(`${at}: ${message}`, {
    code: 'validation.change',
    details: { at },
    hint: hint ?? 'send Debezium envelopes, DynamoDB Streams records or Salesforce change events (docs/server.md#change-data-capture)',
  });
}

/** `value` as a non-negative integer in `width` digits, zero-padded, so positions sort as text. */
export function digits(value: unknown, at: string, width: number): string {
  const text = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : typeof value === 'string' && /^\d+$/.test(value) ? value : undefined;
  if (text === undefined) return invalid(at, `expected a non-negative integer, got ${describeValue(value)}`);
  const trimmed = text.replace(/^0+(?=\d)/, '');
  if (trimmed.length > width) return invalid(at, `has more than ${width} digits`);
  return trimmed.padStart(width, '0');
}

/** An epoch time in milliseconds as ISO 8601. */
export function isoFromMs(ms: unknown, at: string): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 8.64e15) return invalid(at, `expected a time in epoch milliseconds, got ${describeValue(ms)}`);
  return new Date(Math.floor(ms)).toISOString();
}

/**
 * A value named in a message. Change rows hold personal data, so only a short
 * word of letters (an op, an event name) is quoted when `quote` allows it;
 * anything else is named by its type.
 */
export function describeValue(value: unknown, quote = true): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return quote && /^[A-Za-z_]{1,24}$/.test(value) ? JSON.stringify(value) : value === '' ? 'an empty string' : 'a string';
  if (typeof value === 'boolean') return String(value);
  return typeof value === 'number' ? (quote ? String(value) : 'a number') : typeof value;
}

/** A string field that must be there. */
export function requiredString(obj: Obj, field: string, at: string): string {
  const v = obj[field];
  if (typeof v !== 'string' || v === '') return invalid(`${at}.${field}`, v === undefined || v === null ? 'is required' : `expected a string, got ${describeValue(v)}`);
  return v;
}

/** The key columns' values in a row image, in key order. */
export function keyValues(row: Obj, key: readonly string[], at: string): unknown[] {
  return key.map((k) => {
    const v = row[k];
    if (v === undefined || v === null) return invalid(`${at}.${k}`, 'the key column is missing');
    if (typeof v === 'object') return invalid(`${at}.${k}`, `a key column must hold a string, number or boolean, got ${describeValue(v)}`);
    return v;
  });
}

/** Assembles a change row: the `cdc_*` columns, then the row image. */
export function changeRecord(parts: {
  readonly op: ChangeOp;
  readonly format: ChangeFormat;
  readonly position: string;
  readonly ts: string;
  readonly source: string | null;
  readonly key: readonly unknown[];
  readonly row: Obj;
  /** Where the row image is, for messages. */
  readonly at: string;
}): ChangeRecord {
  for (const column of Object.keys(parts.row)) {
    if (column.startsWith('cdc_')) invalid(`${parts.at}.${column}`, 'column names starting with cdc_ are reserved for the change columns', `rename the column at the source, or leave it out of the change stream (reserved: ${CHANGE_COLUMNS.join(', ')})`);
  }
  const id = createHash('sha256').update(JSON.stringify([parts.format, parts.source, parts.key, parts.position])).digest('hex').slice(0, 32);
  const out: Obj = { cdc_op: parts.op, cdc_position: parts.position, cdc_ts: parts.ts, cdc_format: parts.format, cdc_source: parts.source, cdc_id: id };
  // defineProperty: a column may be called __proto__
  for (const [k, v] of Object.entries(parts.row)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out as ChangeRecord;
}
