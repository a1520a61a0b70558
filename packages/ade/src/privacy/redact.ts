import { detectAll, DETECTORS } from './detect.js';
import type { Detection, Detector } from './detectors/detector.js';
import type { Tokenizer } from './tokenize.js';

export type RedactResult = {
  text: string;
  /** What was replaced, by detector: positions refer to the input text. Values are not kept. */
  found: readonly Omit<Detection, 'value'>[];
};

/** The placeholder label of a detector: `email` → `EMAIL`. */
export function placeholderLabel(detector: string): string {
  return detector.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/**
 * Replaces each detected span in `text` with `[LABEL:tok_…]`, the token made
 * by `tokenizer` from the value normalised for its kind, so redacted values
 * still join with tokenised columns (`[EMAIL:tok_…]` equals the token of the
 * same address in an `email` column under the same key).
 */
export function redact(text: string, tokenizer: Tokenizer, detectors: readonly Detector[] = DETECTORS): RedactResult {
  const spans = detectAll(text, detectors);
  if (spans.length === 0) return { text, found: [] };
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + `[${placeholderLabel(s.detector)}:${tokenizer.tokenize(s.value, s.kind)}]`;
    at = s.end;
  }
  out += text.slice(at);
  return { text: out, found: spans.map(({ start, end, detector, kind }) => ({ start, end, detector, kind })) };
}

/**
 * Candidate spans: every substring a built-in detector could report lies
 * inside one match of this pattern (tested on the detector quality corpus).
 * Written for both JavaScript and RE2 (DuckDB's regex engine), so that DuckDB
 * can cut free text into candidates and only distinct candidates reach the
 * detectors. Order matters (leftmost alternative wins): email; IPv6 and
 * colon-separated MACs; dash/dot-separated MACs; IBAN; digit runs with
 * phone/card/SSN/IPv4 separators (a leading `(` only when it closes
 * around digits, so that `(2001:db8::1)` is not cut at the colon).
 */
export const CANDIDATE_SPAN_SOURCE =
  "[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+" +
  '|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*' +
  '|[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}' +
  '|[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}' +
  '|\\([0-9]{1,5}\\)[0-9 ().\\-/]*[0-9]|\\+?[0-9][0-9 ().\\-/]*[0-9]|[0-9]';

/**
 * Whether a candidate span can hold anything a built-in detector reports: an
 * `@` (email), a `:` (IPv6, MAC), a dotted quad (IPv4), or at least 8 letters
 * and digits (the shortest phone number has 8 digits; cards, SSNs, IBANs and
 * MACs have more). Spans failing it (order numbers, times, prices) are never
 * sent to the detectors. `SPAN_MAY_HOLD_PII_SQL` is the same test for DuckDB.
 */
export function spanMayHoldPii(span: string): boolean {
  return span.includes('@') || span.includes(':') || /[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}/.test(span) || span.replace(/[^0-9A-Za-z]/g, '').length >= 8;
}

/** `spanMayHoldPii` in DuckDB SQL, for the span in `v`. */
export function spanMayHoldPiiSql(v: string): string {
  return `(contains(${v}, '@') OR contains(${v}, ':') OR regexp_matches(${v}, '[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}') OR length(regexp_replace(${v}, '[^0-9A-Za-z]', '', 'g')) >= 8)`;
}

/**
 * Redaction span by span: each candidate span (see CANDIDATE_SPAN_SOURCE) is
 * redacted on its own and the text between spans is kept. What the
 * DuckDB-side redaction of `ade ingest` computes; at least as strict as
 * `redact` (a span has no surrounding context to excuse a match).
 */
export function redactBySpans(text: string, tokenizer: Tokenizer, detectors: readonly Detector[] = DETECTORS): RedactResult {
  const re = new RegExp(CANDIDATE_SPAN_SOURCE, 'g');
  let out = '';
  let at = 0;
  const found: Omit<Detection, 'value'>[] = [];
  for (const m of text.matchAll(re)) {
    if (!spanMayHoldPii(m[0])) continue;
    const r = redact(m[0], tokenizer, detectors);
    out += text.slice(at, m.index) + r.text;
    at = m.index + m[0].length;
    for (const f of r.found) found.push({ ...f, start: f.start + m.index, end: f.end + m.index });
  }
  return found.length ? { text: out + text.slice(at), found } : { text, found };
}
