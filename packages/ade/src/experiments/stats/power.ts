import { normalCdf, normalInv } from './distributions.js';
import { invalidInput, requireAlpha } from './invalid-input.js';

/**
 * Power, minimum detectable effect and sample size for a two-sided test of the
 * difference of two means with equal allocation, under the normal approximation
 * (GrowthBook, "Technical power details"; any two-sample z-test text). With per-unit
 * variance σ² in each variant and n units per variant, SE = √(2σ²/n) and for a true
 * absolute effect δ
 *
 *   power = Φ(δ/SE − z₁₋α/₂) + Φ(−δ/SE − z₁₋α/₂)        (both rejection regions).
 *
 * MDE and sample size invert that exact expression (by bisection on the standardised
 * effect λ = δ/SE, so power(mde(…)) returns the requested power), rather than the
 * textbook shortcut (z₁₋α/₂ + z₁₋β)·SE that drops the far tail. For a relative MDE,
 * multiply it by the baseline mean: δ = lift · μ_C.
 */

export interface PowerInputs {
  /** Per-unit variance σ² of the metric (assumed equal in both variants). */
  readonly variance: number;
  /** Two-sided significance level. Default 0.05. */
  readonly alpha?: number;
}

/**
 * Probability of a significant two-sided result for true effect `effect` with
 * `nPerVariant` units in each of the two variants.
 *
 * @example power({ effect: 0.1, variance: 1, nPerVariant: 1571 }) // → 0.8003…
 */
export function power(inputs: PowerInputs & { readonly effect: number; readonly nPerVariant: number }): number {
  const { variance, alpha } = resolve(inputs);
  requirePositive('nPerVariant', inputs.nPerVariant);
  const lambda = Math.abs(inputs.effect) / Math.sqrt((2 * variance) / inputs.nPerVariant);
  return powerAt(lambda, normalInv(1 - alpha / 2));
}

/**
 * Smallest absolute effect detected with probability `power` given `nPerVariant` units per variant.
 *
 * @example minimumDetectableEffect({ variance: 1, nPerVariant: 1571, power: 0.8 }) // → 0.09996…
 */
export function minimumDetectableEffect(inputs: PowerInputs & { readonly nPerVariant: number; readonly power: number }): number {
  const { variance, alpha } = resolve(inputs);
  requirePositive('nPerVariant', inputs.nPerVariant);
  return standardisedEffect(inputs.power, alpha) * Math.sqrt((2 * variance) / inputs.nPerVariant);
}

/**
 * Units needed in each variant to detect absolute effect `effect` with probability
 * `power`, rounded up to a whole unit.
 *
 * @example sampleSizePerVariant({ effect: 0.1, variance: 1, power: 0.8 }) // → 1570
 */
export function sampleSizePerVariant(inputs: PowerInputs & { readonly effect: number; readonly power: number }): number {
  const { variance, alpha } = resolve(inputs);
  requirePositive('|effect|', Math.abs(inputs.effect));
  const lambda = standardisedEffect(inputs.power, alpha);
  return Math.ceil((2 * variance * lambda * lambda) / (inputs.effect * inputs.effect) - 1e-9);
}

/** The λ = δ/SE at which the two-sided test has the requested power. */
export function standardisedEffect(targetPower: number, alpha: number): number {
  requireAlpha(alpha);
  if (!(targetPower > alpha && targetPower < 1)) {
    invalidInput(`power must be between alpha (${alpha}) and 1, got ${String(targetPower)}`, 'e.g. power: 0.8', { field: 'power', value: targetPower });
  }
  const z = normalInv(1 - alpha / 2);
  let lo = 0;
  let hi = z + normalInv(targetPower) + 1; // powerAt(hi) > targetPower
  while (powerAt(hi, z) < targetPower) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (powerAt(mid, z) < targetPower) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function powerAt(lambda: number, z: number): number {
  return normalCdf(lambda - z) + normalCdf(-lambda - z);
}

function resolve(inputs: PowerInputs): { variance: number; alpha: number } {
  requirePositive('variance', inputs.variance);
  return { variance: inputs.variance, alpha: requireAlpha(inputs.alpha ?? 0.05) };
}

function requirePositive(field: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    invalidInput(`${field} must be a positive number, got ${String(value)}`, 'variance is the per-unit variance of the metric; effects are absolute (lift × baseline mean)', {
      field,
      value,
    });
  }
}
