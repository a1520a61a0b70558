import type { TreesNode } from './artifact.js';
import type { RawScorer } from './raw-scorer.js';

/**
 * Compiles a trees node into flat typed arrays (every tree's nodes one after
 * another; child indices made absolute), then walks them: at node `i` with
 * `feature[i] ≥ 0`, left when `x[feature] <= threshold`, or when `x` is NaN
 * and `missingLeft`; else right.
 *
 * Order of the sums (the contract, so a trainer can reproduce the bits):
 * `sum`: `raw = base`, then `raw += leaf(tree 0)`, `+= leaf(tree 1)`, … in
 * tree order. `mean`: `acc = 0 + leaf(tree 0) + leaf(tree 1) + …` in tree
 * order, then `raw = base + acc / treeCount`.
 *
 * @example
 * const t = compileTrees(node, featureCount); t.raw(x, n); // n × base.length
 */
export function compileTrees(node: TreesNode, featureCount: number): RawScorer {
  const p = featureCount;
  const k = node.base.length;
  const treeCount = node.trees.length;
  let total = 0;
  for (const tree of node.trees) total += tree.feature.length;
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const missingLeft = new Uint8Array(total);
  const value = new Float64Array(total * k);
  const roots = new Int32Array(treeCount);
  let start = 0;
  node.trees.forEach((tree, t) => {
    roots[t] = start;
    const m = tree.feature.length;
    for (let i = 0; i < m; i++) {
      const g = start + i;
      const f = tree.feature[i]!;
      feature[g] = f < 0 ? -1 : f;
      threshold[g] = tree.threshold[i]!;
      left[g] = f < 0 ? -1 : start + tree.left[i]!;
      right[g] = f < 0 ? -1 : start + tree.right[i]!;
      missingLeft[g] = tree.missingLeft[i] ? 1 : 0;
      const v = tree.value[i]!;
      if (v.length === k) value.set(v, g * k);
    }
    start += m;
  });
  const base = Float64Array.from(node.base);
  const mean = node.aggregate === 'mean';
  return {
    k,
    raw(x, n) {
      const out = new Float64Array(n * k);
      if (!mean) for (let o = 0; o < n * k; o += k) out.set(base, o);
      // Tree by tree over all rows (measured faster than row by row or in
      // blocks of rows: x is read in order); per row the sum still runs in
      // tree order.
      for (let t = 0; t < treeCount; t++) {
        const root = roots[t]!;
        for (let r = 0; r < n; r++) {
          const xo = r * p;
          let i = root;
          let f = feature[i]!;
          while (f >= 0) {
            const v = x[xo + f]!;
            i = v <= threshold[i]! || (v !== v && missingLeft[i] === 1) ? left[i]! : right[i]!;
            f = feature[i]!;
          }
          if (k === 1) out[r] = out[r]! + value[i]!;
          else for (let c = 0; c < k; c++) out[r * k + c] = out[r * k + c]! + value[i * k + c]!;
        }
      }
      if (mean) for (let o = 0; o < n * k; o++) out[o] = base[o % k]! + out[o]! / treeCount;
      return out;
    },
  };
}
