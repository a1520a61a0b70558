import type { OutputFormat } from './types.js';

/**
 * Text for a result written in pieces: `start()` once, `rows()` per chunk,
 * `end()` once. Formats:
 *
 * - `csv`: RFC 4180 quoting, a header row, LF line ends (as DuckDB and Unix tools write); a field is quoted when it
 *   holds `"`, `,`, CR or LF, or is the empty string (so `""` is an empty
 *   string and an empty field is NULL); nested values as JSON text.
 * - `ndjson`: one JSON object per line (`\n`).
 * - `json`: one JSON array, one object per line: `[\n{…},\n{…}\n]\n` (`[]\n` when empty).
 */
export interface RowEncoder {
  start(): string;
  rows(rows: readonly Record<string, unknown>[]): string;
  end(): string;
}

export function rowEncoder(format: OutputFormat, names: readonly string[]): RowEncoder {
  switch (format) {
    case 'csv':
      return {
        start: () => names.map(csvField).join(',') + '\n',
        rows: (rows) => rows.map((row) => names.map((n) => csvField(row[n])).join(',') + '\n').join(''),
        end: () => '',
      };
    case 'ndjson':
      return {
        start: () => '',
        rows: (rows) => rows.map((row) => JSON.stringify(row) + '\n').join(''),
        end: () => '',
      };
    case 'json': {
      let written = 0;
      return {
        start: () => '[',
        rows: (rows) => {
          if (rows.length === 0) return '';
          const text = (written === 0 ? '\n' : ',\n') + rows.map((row) => JSON.stringify(row)).join(',\n');
          written += rows.length;
          return text;
        },
        end: () => (written === 0 ? ']\n' : '\n]\n'),
      };
    }
  }
}

/** One CSV field (RFC 4180). `null`/`undefined` → empty; objects → JSON text. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (text === '' || /[",\r\n]/.test(text)) return `"${text.replaceAll('"', '""')}"`;
  return text;
}
