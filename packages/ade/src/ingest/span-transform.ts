import { detectAll, emailDetector, placeholderLabel, type Tokenizer } from '../privacy/index.js';

/** What the detectors made of one candidate span (see `spanTransform`). */
export interface SpanResult {
  /** The span with each finding replaced by `[KIND:tok_…]`. */
  readonly text: string;
  /** The token of the span when it is exactly one identifier (an undeclared field's whole value). */
  readonly token: string | null;
  /** Detectors that fired. */
  readonly found: string[];
}

/**
 * One candidate span through the detectors: its redacted text, its token when
 * it is exactly one identifier, and the detectors that fired; undefined when
 * nothing was found.
 */
export function spanTransform(span: string, tokenizer: Tokenizer): SpanResult | undefined {
  // Most spans with an `@` are one email address and nothing else: one detector, not eight.
  const email = span.includes('@') ? emailDetector.find(span) : [];
  const whole = email.length === 1 && email[0]!.start === 0 && email[0]!.end === span.length;
  const found = whole ? [{ ...email[0]!, detector: emailDetector.name, kind: emailDetector.kind }] : detectAll(span);
  if (found.length === 0) return undefined;
  let text = '';
  let at = 0;
  for (const f of found) {
    text += span.slice(at, f.start) + `[${placeholderLabel(f.detector)}:${tokenizer.tokenize(f.value, f.kind)}]`;
    at = f.end;
  }
  text += span.slice(at);
  const only = found.length === 1 ? found[0]! : undefined;
  const token = only && span.slice(0, only.start).trim() === '' && span.slice(only.end).trim() === '' ? tokenizer.tokenize(only.value, only.kind) : null;
  return { text, token, found: [...new Set(found.map((f) => f.detector))] };
}

