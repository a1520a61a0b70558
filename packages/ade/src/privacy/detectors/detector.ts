import type { PiiKind } from '../normalize.js';

/** A found piece of text: `text.slice(start, end) === value`. */
export type Span = Readonly<{ start: number; end: number; value: string }>;

/** A span with the detector that found it. */
export type Detection = Span & Readonly<{ detector: string; kind: PiiKind }>;

/**
 * A detector finds candidate spans by pattern and keeps only those its
 * validator accepts (checksums, number plans, ranges), to keep false
 * positives down. `validate` takes one candidate as it appeared in the text.
 */
export type Detector = Readonly<{
  name: string;
  kind: PiiKind;
  find(text: string): Span[];
  validate(candidate: string): boolean;
}>;

const WORD = /[\p{L}\p{N}_]/u;

/** Whether the character at `i` is a letter, digit or underscore (false outside the text). */
export function isWordAt(text: string, i: number): boolean {
  const c = text[i];
  return c !== undefined && WORD.test(c);
}

/** Whether the character at `i` is one of `chars`. */
export function isOneOfAt(text: string, i: number, chars: string): boolean {
  const c = text[i];
  return c !== undefined && chars.includes(c);
}

/** Whether the character at `i` is an ASCII digit. */
export function isDigitAt(text: string, i: number): boolean {
  const c = text[i];
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * Runs a global regex over `text` and keeps the matches `accept` takes.
 * `accept` may return a narrower [start, end) or false; scanning resumes after
 * the accepted end, or one character after a rejected start. Matches do not overlap.
 */
export function scan(
  text: string,
  pattern: RegExp,
  accept: (start: number, end: number) => readonly [number, number] | false,
): Span[] {
  const re = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
  const out: Span[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const r = accept(m.index, m.index + m[0].length);
    if (r) {
      out.push({ start: r[0], end: r[1], value: text.slice(r[0], r[1]) });
      re.lastIndex = Math.max(r[1], m.index + 1);
    } else {
      // A rejected match may hide a valid one starting inside it ("mac:00:1a:…").
      re.lastIndex = m.index + 1;
    }
  }
  return out;
}

/** Luhn (mod 10) check over a string of digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Merges spans of several scans, keeping the longest where they overlap, ordered by start. */
export function longestNonOverlapping(spans: readonly Span[]): Span[] {
  const byLength = [...spans].sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Span[] = [];
  for (const s of byLength) {
    if (!kept.some((k) => s.start < k.end && k.start < s.end)) kept.push(s);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** The run of letters, digits and underscores that ends just before index `end`. */
export function wordBefore(text: string, end: number): string {
  let i = end;
  while (i > 0 && isWordAt(text, i - 1)) i--;
  return text.slice(i, end);
}
