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
