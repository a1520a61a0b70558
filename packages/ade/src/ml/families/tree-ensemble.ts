import { type Tree, type TreesNode, applyLink } from '@ade/sdk';
import type { FittedModel, Link } from '../estimator.js';
import type { GrownTree } from './cart.js';

/**
 * One fitted tree in typed arrays. Node `i` is a leaf when `feature[i] < 0`;
 * its outputs are `value[i·width … i·width + width)`, added to raw output
 * `output` when `width` is 1 and `output ≥ 0` (a boosting tree of one class),
 * else to raw outputs 0…width−1.
 */
export interface FittedTree {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly missingLeft: Uint8Array;
  readonly value: Float64Array;
  readonly width: number;
  readonly output: number;
}

/** What a tree ensemble is: K raw outputs, how trees combine, and the link. */
export interface TreeEnsembleSpec {
  /** Raw outputs (1 for regression and binary boosting, K for multiclass). */
  readonly outputs: number;
  readonly link: Link;
  readonly aggregate: 'sum' | 'mean';
  readonly base: Float64Array;
  readonly trees: readonly FittedTree[];
  /** Features per row. */
  readonly p: number;
  /** Total split gain per feature. */
  readonly importance: Float64Array;
}

/**
 * A fitted forest or boosting model: predicts by walking each tree on the raw
 * feature values (`x <= threshold` goes left) in the same order and with the
 * same arithmetic as the SDK's `scoreNode`, so `toNode()` reproduces
 * `predict` exactly: raw = base, then each tree's leaf added in order (`sum`),
 * or base + (Σ leaves) / trees (`mean`), then the link.
 *
 * @example
 * const model = new TreeEnsemble({ outputs: 1, link: 'identity', aggregate: 'mean', base, trees, p, importance });
 * model.predict(x, n);
 */
export class TreeEnsemble implements FittedModel {
  readonly spec: TreeEnsembleSpec;

  constructor(spec: TreeEnsembleSpec) {
    this.spec = spec;
  }

  predict(x: Float64Array, n: number): Float64Array {
    const { outputs: K, base, trees, p, aggregate, link } = this.spec;
    const raw = new Float64Array(n * K);
    if (aggregate === 'mean') {
      for (const tree of trees) addTree(tree, x, n, p, K, raw);
      const count = trees.length;
      for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) raw[i * K + k] = base[k]! + raw[i * K + k]! / count;
    } else {
      for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) raw[i * K + k] = base[k]!;
      for (const tree of trees) addTree(tree, x, n, p, K, raw);
    }
    return applyLink(link, raw, n, K);
  }

  toNode(): TreesNode {
    const { outputs: K, base, trees, link, aggregate } = this.spec;
    return {
      kind: 'trees',
      link,
      aggregate,
      base: Array.from(base),
      trees: trees.map((tree) => treeJson(tree, K)),
    };
  }

  featureImportance(): Float64Array {
    return this.spec.importance.slice();
  }
}

/**
 * A grown tree's arrays with its leaf outputs: `leafValue(sums, offset, out,
 * at, leaf)` writes `width` outputs at `out[at…]` for node `leaf`, from its
 * channel sums (`sums[offset…]`) or its rows.
 */
export function fittedTree(
  grown: GrownTree,
  width: number,
  output: number,
  leafValue: (sums: Float64Array, offset: number, out: Float64Array, at: number, leaf: number) => void,
): FittedTree {
  const count = grown.nodeCount;
  const value = new Float64Array(count * width);
  for (let i = 0; i < count; i++) {
    if (grown.feature[i]! >= 0) continue;
    leafValue(grown.sums, i * grown.width, value, i * width, i);
    // −0 would not survive JSON; +0 adds the same everywhere
    for (let k = 0; k < width; k++) value[i * width + k] = value[i * width + k]! + 0;
  }
  return {
    feature: grown.feature,
    threshold: grown.threshold,
    left: grown.left,
    right: grown.right,
    missingLeft: grown.missingLeft,
    value,
    width,
    output,
  };
}

function addTree(tree: FittedTree, x: Float64Array, n: number, p: number, K: number, raw: Float64Array): void {
  const { feature, threshold, left, right, missingLeft, value, width, output } = tree;
  for (let i = 0; i < n; i++) {
    const o = i * p;
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      const v = x[o + f]!;
      node = v <= threshold[node]! || (v !== v && missingLeft[node] === 1) ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    if (width === 1 && output >= 0) raw[i * K + output]! += value[node]!;
    else for (let k = 0; k < width; k++) raw[i * K + k]! += value[node * width + k]!;
  }
}

/** A tree in the artifact's arrays: leaves carry their K outputs (zeros for the other classes of a one-class tree), splits an empty value. */
function treeJson(tree: FittedTree, K: number): Tree {
  const count = tree.feature.length;
  const value: number[][] = [];
  for (let i = 0; i < count; i++) {
    if (tree.feature[i]! >= 0) {
      value.push([]);
      continue;
    }
    const row = new Array<number>(K).fill(0);
    if (tree.width === 1 && tree.output >= 0) row[tree.output] = tree.value[i]!;
    else for (let k = 0; k < tree.width; k++) row[k] = tree.value[i * tree.width + k]!;
    value.push(row);
  }
  const feature = Array.from(tree.feature);
  return {
    feature,
    threshold: Array.from(tree.threshold),
    left: feature.map((f, i) => (f < 0 ? -1 : tree.left[i]!)),
    right: feature.map((f, i) => (f < 0 ? -1 : tree.right[i]!)),
    missingLeft: Array.from(tree.missingLeft, (m) => m === 1),
    value,
  };
}
