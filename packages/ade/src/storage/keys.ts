import { assertZone, validateName } from '../kernel/index.js';
import { StorageError } from './errors.js';

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** The usual file system limit on one path segment, in UTF-8 bytes. */
export const MAX_SEGMENT_BYTES = 255;

/** Data files end in this suffix; a store never overwrites them. */
export const DATA_FILE_SUFFIX = '.parquet';

/** The partition directory of unpartitioned tables. */
export const NO_PARTITION = '_';

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const BATCH_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function escape(key: string, reason: string): StorageError {
  return new StorageError('storage.path_escape', `key ${JSON.stringify(key)} escapes the store: ${reason}`, {
    hint: 'keys are relative, /-separated paths such as clean/orders/data/_/b1-0.parquet, without ".." or a leading "/"',
    details: { key, reason },
  });
}

function invalid(key: string, reason: string): StorageError {
  return new StorageError('storage.invalid_key', `invalid key ${JSON.stringify(key)}: ${reason}`, {
    hint: 'keys are relative, /-separated paths of non-empty segments, without backslashes or control characters',
    details: { key, reason },
  });
}

/**
 * Checks `text` as a key (`prefix` false) or a list prefix (`prefix` true: may
 * be empty and may end with `/` or in the middle of a segment).
 */
function check(text: string, prefix: boolean): string {
  if (typeof text !== 'string') throw invalid(String(text), 'not a string');
  if (text === '') {
    if (prefix) return text;
    throw invalid(text, 'empty');
  }
  if (text.startsWith('/')) throw escape(text, 'absolute path');
  if (/^[A-Za-z]:/.test(text)) throw escape(text, 'drive-qualified path');
  if (text.includes('\\')) throw invalid(text, 'contains a backslash');
  if (CONTROL_CHARS.test(text)) throw invalid(text, 'contains a control character');
  if (Buffer.byteLength(text, 'utf8') > MAX_KEY_BYTES) throw invalid(text, `longer than ${MAX_KEY_BYTES} bytes`);
  const segments = text.split('/');
  // A prefix may end with "/" (a folder) or stop inside a segment.
  const last = segments.length - 1;
  for (const [i, segment] of segments.entries()) {
    if (segment === '..') throw escape(text, '".." segment');
    if (segment === '') {
      if (prefix && i === last) continue;
      throw invalid(text, i === last ? 'ends with "/"' : 'empty segment');
    }
    if (segment === '.' && !(prefix && i === last)) throw invalid(text, '"." segment');
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw invalid(text, `segment longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
  if (segments[0]!.startsWith('.')) throw invalid(text, 'top-level names starting with "." are reserved for the store');
  return text;
}

/**
 * Returns `key` when it is a valid object key: relative, `/`-separated,
 * non-empty segments, no `.`/`..`, no backslash or control character, no
 * top-level name starting with `.` (reserved for the store's `.tmp/` and
 * `.staging/`), at most 1024 UTF-8 bytes. Throws `storage.path_escape` for
 * keys that would leave the root and `storage.invalid_key` for other
 * malformed keys.
 *
 * @example validateKey('clean/orders/metadata/v3.json') // → same string
 */
export function validateKey(key: string): string {
  return check(key, false);
}

/** Like {@link validateKey}, for a `list` prefix: may be empty, may end with `/` or stop inside a segment. */
export function validatePrefix(prefix: string): string {
  return check(prefix, true);
}

/** True when {@link validateKey} accepts `key`. */
export function isValidKey(key: string): boolean {
  try {
    validateKey(key);
    return true;
  } catch {
    return false;
  }
}

/** Data files (`*.parquet`) are immutable: a store refuses to write one twice. */
export function isImmutableKey(key: string): boolean {
  return key.endsWith(DATA_FILE_SUFFIX);
}

/** Orders keys as S3 does (by UTF-8 bytes), so both stores list in the same order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The key of a table's data file: `<zone>/<table>/data/<partition or "_">/<batchId>-<n>.parquet`.
 * `partition` may span several segments (`dt=2024-05-01/country=nl`).
 *
 * @example dataFileKey('clean', 'orders', undefined, 'b1', 0) // → 'clean/orders/data/_/b1-0.parquet'
 */
export function dataFileKey(zone: string, table: string, partition: string | undefined, batchId: string, n: number): string {
  assertZone(zone);
  validateName('table', table);
  if (!BATCH_ID_PATTERN.test(batchId)) {
    throw invalid(batchId, 'a batch id is letters, digits, "_", "-" and "." (at most 128), starting with a letter or digit');
  }
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(String(n), 'a file number is a non-negative integer');
  const part = partition === undefined || partition === '' ? NO_PARTITION : partition;
  if (part !== NO_PARTITION) {
    validateKey(part);
  }
  return validateKey(`${zone}/${table}/data/${part}/${batchId}-${n}${DATA_FILE_SUFFIX}`);
}
