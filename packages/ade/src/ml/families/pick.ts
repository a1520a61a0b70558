import type { Rng } from '../estimator.js';

/**
 * One of `choices`, uniformly (for the families' parameter samplers).
 *
 * @example
 * pick(rng, [7, 15, 31]); // e.g. 15
 */
export function pick<T>(rng: Rng, choices: readonly T[]): T {
  return choices[rng.int(choices.length)]!;
}
