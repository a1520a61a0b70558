import type { LinearNode } from './artifact.js';
import type { RawScorer } from './raw-scorer.js';

/**
 * Compiles a linear node: `raw[k] = intercept[k] + coef[k][0]·x[0] + coef[k][1]·x[1] + …`,
 * summed left to right starting from the intercept (this order is the
 * contract: a trainer reproducing it gets the same bits).
 *
 * @example
 * compileLinear({ kind: 'linear', link: 'identity', intercept: [1], coef: [[2, 3]] }, 2).raw(Float64Array.of(1, 1), 1); // [6]
 */
export function compileLinear(node: LinearNode, featureCount: number): RawScorer {
  const k = node.intercept.length;
  const p = featureCount;
  const intercept = Float64Array.from(node.intercept);
  const coef = new Float64Array(k * p);
  node.coef.forEach((row, j) => coef.set(row, j * p));
  return {
    k,
    raw(x, n) {
      const out = new Float64Array(n * k);
      for (let r = 0; r < n; r++) {
        const xo = r * p;
        for (let c = 0; c < k; c++) {
          const co = c * p;
          let acc = intercept[c]!;
          for (let j = 0; j < p; j++) acc += coef[co + j]! * x[xo + j]!;
          out[r * k + c] = acc;
        }
      }
      return out;
    },
  };
}
