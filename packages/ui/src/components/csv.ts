import type { Row } from '../types.js';
import { cell } from './format.js';

/** A result as RFC 4180 CSV (a header line, then a line per row). */
export function toCsv(columns: readonly string[], rows: readonly Row[]): string {
  const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [columns.map(quote).join(','), ...rows.map((r) => columns.map((c) => quote(cell(r[c]))).join(','))].join('\r\n') + '\r\n';
}

/** Saves `text` as a file through a blob: URL (nothing leaves the browser). */
export function download(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
