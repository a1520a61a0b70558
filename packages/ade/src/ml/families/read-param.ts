import type { Params } from '../estimator.js';
import { MlError } from '../ml-error.js';

/**
 * A numeric hyper-parameter: `params[name]` when present, else `fallback`;
 * throws `ml.bad_option` when it is not a finite number in [min, max] (or not
 * an integer when `integer`).
 *
 * @example
 * const alpha = readNumber(params, 'alpha', 1, { min: 0 }, 'linear');
 */
export function readNumber(
  params: Params,
  name: string,
  fallback: number,
  range: { readonly min?: number; readonly max?: number; readonly integer?: boolean },
  family: string,
): number {
  const v = params[name] ?? fallback;
  const min = range.min ?? -Infinity;
  const max = range.max ?? Infinity;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (range.integer === true && !Number.isInteger(v))) {
    throw new MlError('ml.bad_option', `${family}: parameter ${name} = ${JSON.stringify(v)} is not ${range.integer ? 'an integer' : 'a number'} in [${min}, ${max}]`, {
      hint: `Set ${name} to ${range.integer ? 'an integer' : 'a number'} between ${min} and ${max}.`,
      details: { parameter: name, value: v },
    });
  }
  return v;
}

/**
 * A string hyper-parameter from a fixed set of choices (`fallback` when absent).
 *
 * @example
 * const activation = readChoice(params, 'activation', ['relu', 'tanh'] as const, 'relu', 'mlp');
 */
export function readChoice<T extends string>(params: Params, name: string, choices: readonly T[], fallback: T, family: string): T {
  const v = params[name] ?? fallback;
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new MlError('ml.bad_option', `${family}: parameter ${name} = ${JSON.stringify(v)} is not one of ${choices.join(', ')}`, {
      hint: `Set ${name} to one of: ${choices.join(', ')}.`,
      details: { parameter: name, value: v },
    });
  }
  return v as T;
}

/** Log-uniform draw in [lo, hi] (for penalties and learning rates). */
export function logUniform(next: () => number, lo: number, hi: number): number {
  return Math.exp(Math.log(lo) + next() * (Math.log(hi) - Math.log(lo)));
}
