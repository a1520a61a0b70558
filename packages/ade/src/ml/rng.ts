import type { Rng } from './estimator.js';

/**
 * A seeded random source (xoshiro128**, seeded through splitmix32): the same
 * seed gives the same sequence on every machine, so training is repeatable.
 *
 * @example
 * const rng = seededRng(42);
 * rng.next(); // the same number in [0, 1) every run
 */
export function seededRng(seed: number): Rng {
  let x = seed >>> 0;
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next32 = () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  return {
    next: () => next32() / 4294967296,
    int: (n: number) => Math.floor((next32() / 4294967296) * n),
  };
}

function rotl(v: number, k: number): number {
  return (v << k) | (v >>> (32 - k));
}

/** A child stream: `derive(rng)` gives an independent seeded source (for parallel parts such as the trees of a forest). */
export function deriveRng(rng: Rng): Rng {
  return seededRng(rng.int(4294967296));
}
