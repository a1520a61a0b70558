import { ValidationError } from '../../kernel/index.js';

/**
 * Throws the stats engine's one error: an input that cannot be analysed as given
 * (too few units, a zero denominator, a weight that is not positive…). Never
 * retryable — the same numbers give the same answer — so the message says what to change.
 */
export function invalidInput(
  message: string,
  hint: string,
  details: Record<string, unknown> = {},
): never {
  throw new ValidationError(message, { code: 'validation.stats_input', hint, details });
}

/** Checks that `value` is a finite number, naming the field otherwise. */
export function requireFinite(field: string, value: number): number {
  if (!Number.isFinite(value)) {
    invalidInput(`${field} must be a finite number, got ${String(value)}`, 'check the aggregation query that produced it', {
      field,
      value,
    });
  }
  return value;
}

/** Checks a significance level α ∈ (0, 1). */
export function requireAlpha(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) {
    invalidInput(`alpha must be between 0 and 1 (exclusive), got ${String(alpha)}`, 'e.g. alpha: 0.05 for 95% intervals', {
      field: 'alpha',
      value: alpha,
    });
  }
  return alpha;
}
