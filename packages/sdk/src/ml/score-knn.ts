import type { KnnNode } from './artifact.js';
import type { RawScorer } from './raw-scorer.js';

/**
 * Compiles a kNN node. Per row: the squared Euclidean distance to every
 * training point (`Σⱼ (x[j] - point[j])²`, in feature order); the
 * `min(k, rows)` nearest, ties broken by training order (the earlier row
 * wins); then per output `c`:
 *
 * - `uniform`: `(t₁[c] + t₂[c] + …) / count`, neighbours nearest first.
 * - `distance`: weights `wᵢ = 1 / √d²ᵢ`, `(Σ wᵢ·tᵢ[c]) / (Σ wᵢ)`, both sums
 *   nearest first; when the nearest is at distance 0, the plain mean of the
 *   neighbours at distance 0 (an exact match decides).
 *
 * @example
 * compileKnn({ kind: 'knn', link: 'identity', k: 1, points: [0, 10], targets: [[1], [2]], weighting: 'uniform' }, 1).raw(Float64Array.of(8), 1); // [2]
 */
export function compileKnn(node: KnnNode, featureCount: number): RawScorer {
  const p = featureCount;
  const rows = node.targets.length;
  const k = node.targets[0]?.length ?? 0;
  const points = Float64Array.from(node.points);
  const targets = new Float64Array(rows * k);
  node.targets.forEach((t, i) => targets.set(t, i * k));
  const nearest = Math.min(node.k, rows);
  const byDistance = node.weighting === 'distance';
  return {
    k,
    raw(x, n) {
      const out = new Float64Array(n * k);
      const bestD = new Float64Array(nearest);
      const bestI = new Int32Array(nearest);
      const weight = new Float64Array(nearest);
      for (let r = 0; r < n; r++) {
        const xo = r * p;
        let count = 0;
        for (let i = 0; i < rows; i++) {
          const full = count === nearest;
          const worst = full ? bestD[nearest - 1]! : Number.POSITIVE_INFINITY;
          const po = i * p;
          let d = 0;
          for (let j = 0; j < p; j++) {
            const diff = x[xo + j]! - points[po + j]!;
            d += diff * diff;
            if (full && d > worst) break; // rejected whatever the remaining terms add
          }
          if (full && !(d < worst)) continue;
          let q = full ? nearest - 1 : count;
          while (q > 0 && bestD[q - 1]! > d) {
            bestD[q] = bestD[q - 1]!;
            bestI[q] = bestI[q - 1]!;
            q--;
          }
          bestD[q] = d;
          bestI[q] = i;
          if (!full) count++;
        }
        const o = r * k;
        if (byDistance && bestD[0] !== 0) {
          let wsum = 0;
          for (let q = 0; q < count; q++) {
            weight[q] = 1 / Math.sqrt(bestD[q]!);
            wsum += weight[q]!;
          }
          for (let c = 0; c < k; c++) {
            let acc = 0;
            for (let q = 0; q < count; q++) acc += weight[q]! * targets[bestI[q]! * k + c]!;
            out[o + c] = acc / wsum;
          }
        } else {
          // uniform, or distance weighting with exact matches: the plain mean of those at distance 0
          let used = count;
          if (byDistance) {
            used = 0;
            while (used < count && bestD[used] === 0) used++;
          }
          for (let c = 0; c < k; c++) {
            let acc = 0;
            for (let q = 0; q < used; q++) acc += targets[bestI[q]! * k + c]!;
            out[o + c] = acc / used;
          }
        }
      }
      return out;
    },
  };
}
