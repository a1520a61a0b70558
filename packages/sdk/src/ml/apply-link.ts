import type { Link } from './artifact.js';

/**
 * Turns `n × k` raw outputs into predictions, in the layout of
 * `FittedModel.predict`:
 *
 * - `identity`, `probabilities`: the raw values themselves (the same array).
 * - `logistic` (k = 1): `n × 2`, row `[1 - p, p]` with `p = 1 / (1 + exp(-raw))`.
 * - `softmax`: in place, per row `m = max(raw)`, `e[j] = exp(raw[j] - m)`,
 *   `s = e[0] + e[1] + …` (in order), `p[j] = e[j] / s`.
 *
 * `Math.exp` is the only engine-dependent step: V8 (Node, Chrome, Edge)
 * gives identical bits; another engine may differ in the last place.
 *
 * @example
 * applyLink('logistic', Float64Array.of(0), 1, 1); // Float64Array [0.5, 0.5]
 */
export function applyLink(link: Link, raw: Float64Array, n: number, k: number): Float64Array {
  switch (link) {
    case 'identity':
    case 'probabilities':
      return raw;
    case 'logistic': {
      const out = new Float64Array(n * 2);
      for (let r = 0; r < n; r++) {
        const p = 1 / (1 + Math.exp(-raw[r]!));
        out[2 * r] = 1 - p;
        out[2 * r + 1] = p;
      }
      return out;
    }
    case 'softmax': {
      for (let o = 0; o < n * k; o += k) {
        let m = raw[o]!;
        for (let j = 1; j < k; j++) if (raw[o + j]! > m) m = raw[o + j]!;
        let s = 0;
        for (let j = 0; j < k; j++) {
          const e = Math.exp(raw[o + j]! - m);
          raw[o + j] = e;
          s += e;
        }
        for (let j = 0; j < k; j++) raw[o + j] = raw[o + j]! / s;
      }
      return raw;
    }
  }
}
