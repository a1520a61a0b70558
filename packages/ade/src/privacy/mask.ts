import { ValidationError } from '../kernel/index.js';

export type MaskOptions = {
  /** Characters left visible at the end. Default 4. */
  keepLast?: number;
  /** The single character that replaces the others. Default `*`. */
  maskChar?: string;
  /** Leave spaces, dashes, dots, slashes and parentheses in place (e.g. `****-****-****-1111`). Default false. */
  keepSeparators?: boolean;
};

const SEPARATOR = /[\s\-./()]/u;

/**
 * Replaces every character but the last `keepLast` with `maskChar`. Counts
 * Unicode code points, not UTF-16 units. A value no longer than `keepLast`
 * is masked whole, so masking never returns the complete input.
 * With keepSeparators, separators are neither masked nor counted.
 */
export function mask(value: string, options: MaskOptions = {}): string {
  const keepLast = options.keepLast ?? 4;
  const maskChar = options.maskChar ?? '*';
  if (!Number.isInteger(keepLast) || keepLast < 0) {
    throw new ValidationError(`mask keepLast must be a non-negative integer, got ${String(keepLast)}`, { hint: 'e.g. keep_last: 4' });
  }
  if (typeof maskChar !== 'string' || Array.from(maskChar).length !== 1) {
    throw new ValidationError('mask character must be exactly one character', { hint: 'e.g. mask_char: "*"' });
  }
  const chars = Array.from(value);
  const significant = options.keepSeparators ? chars.filter((c) => !SEPARATOR.test(c)).length : chars.length;
  const visible = significant <= keepLast ? 0 : keepLast;
  let seen = 0;
  return chars
    .map((c) => {
      if (options.keepSeparators && SEPARATOR.test(c)) return c;
      seen++;
      return seen > significant - visible ? c : maskChar;
    })
    .join('');
}
