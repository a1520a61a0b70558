import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdeSdkError } from '../errors.js';
import type { KnnNode, LinearNode, MlpNode, ModelNode, Tree, TreesNode } from './artifact.js';
import { compileNode, scoreNode } from './score-node.js';

const x = (...v: number[]) => Float64Array.from(v);

function close(actual: Float64Array, expected: number[], tol = 1e-15): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} ≠ ${expected.length}`);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tol, `[${i}] ${actual[i]} ≠ ${e}`));
}

/** x[0] <= 0.5 ? 1.5 : -2; NaN goes left only when `missingLeft`. */
function stump(missingLeft = false, left = [1.5], right = [-2]): Tree {
  return { feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], missingLeft: [missingLeft, false, false], value: [[], left, right] };
}
const leaf = (value: number[]): Tree => ({ feature: [-1], threshold: [0], left: [-1], right: [-1], missingLeft: [false], value: [value] });

describe('scoreNode: trees', () => {
  it('should walk a 3-node tree: x <= threshold goes left, base added', () => {
    const node: TreesNode = { kind: 'trees', link: 'identity', aggregate: 'sum', base: [10], trees: [stump()] };
    assert.deepEqual([...scoreNode(node, x(0.5, 0.6, -1e300), 3, 1)], [11.5, 8, 11.5]);
  });

  it('should send NaN by missingLeft', () => {
    const right: TreesNode = { kind: 'trees', link: 'identity', aggregate: 'sum', base: [0], trees: [stump(false)] };
    const left: TreesNode = { ...right, trees: [stump(true)] };
    assert.deepEqual([...scoreNode(right, x(Number.NaN), 1, 1)], [-2]);
    assert.deepEqual([...scoreNode(left, x(Number.NaN), 1, 1)], [1.5]);
  });

  it('should read the feature the node names among several', () => {
    const tree: Tree = { ...stump(), feature: [2, -1, -1] };
    const node: TreesNode = { kind: 'trees', link: 'identity', aggregate: 'sum', base: [0], trees: [tree] };
    assert.deepEqual([...scoreNode(node, x(9, 9, 0, 0, 0, 9), 2, 3)], [1.5, -2]);
  });

  it('should average with mean: base + (Σ leaves) / trees', () => {
    const node: TreesNode = { kind: 'trees', link: 'identity', aggregate: 'mean', base: [1], trees: [stump(), leaf([4])] };
    assert.deepEqual([...scoreNode(node, x(0, 1), 2, 1)], [1 + 5.5 / 2, 1 + 2 / 2]);
  });

  it('should sum from base, then the trees in order (the documented rounding)', () => {
    const node: TreesNode = { kind: 'trees', link: 'identity', aggregate: 'sum', base: [0.1], trees: [leaf([0.2]), leaf([0.3])] };
    assert.deepEqual([...scoreNode(node, x(0), 1, 1)], [0.1 + 0.2 + 0.3]); // 0.6000000000000001, not 0.1 + (0.2 + 0.3) = 0.6
  });

  it('should give class probabilities of a forest (probabilities link, K = 2)', () => {
    const node: TreesNode = { kind: 'trees', link: 'probabilities', aggregate: 'mean', base: [0, 0], trees: [stump(false, [1, 0], [0, 1]), leaf([0.5, 0.5])] };
    assert.deepEqual([...scoreNode(node, x(0, 1), 2, 1)], [0.75, 0.25, 0.25, 0.75]);
  });

  it('should turn a boosted logit into [1 - p, p]', () => {
    const node: TreesNode = { kind: 'trees', link: 'logistic', aggregate: 'sum', base: [Math.log(3)], trees: [leaf([0])] };
    close(scoreNode(node, x(0), 1, 1), [0.25, 0.75]);
  });

  it('should give softmax probabilities of multiclass boosting', () => {
    const node: TreesNode = { kind: 'trees', link: 'softmax', aggregate: 'sum', base: [0, Math.log(2), 0], trees: [leaf([0, 0, Math.log(5)])] };
    close(scoreNode(node, x(0), 1, 1), [1 / 8, 2 / 8, 5 / 8]);
  });
});

describe('scoreNode: linear', () => {
  it('should compute intercept + Σ coef·x for 2 features', () => {
    const node: LinearNode = { kind: 'linear', link: 'identity', intercept: [1], coef: [[2, -3]] };
    assert.deepEqual([...scoreNode(node, x(4, 5, 0, 0), 2, 2)], [-6, 1]);
  });

  it('should give logistic regression [1 - p, p]', () => {
    const node: LinearNode = { kind: 'linear', link: 'logistic', intercept: [0], coef: [[1, 1]] };
    close(scoreNode(node, x(Math.log(3), 0, 0, 0), 2, 2), [0.25, 0.75, 0.5, 0.5]);
  });

  it('should give softmax over K rows of coefficients', () => {
    const node: LinearNode = { kind: 'linear', link: 'softmax', intercept: [0, 0, 0], coef: [[0, 0], [1, 0], [0, 1]] };
    close(scoreNode(node, x(Math.log(2), Math.log(5)), 1, 2), [1 / 8, 2 / 8, 5 / 8]);
  });

  it('should not overflow softmax with large raw values', () => {
    const node: LinearNode = { kind: 'linear', link: 'softmax', intercept: [1000, 1000], coef: [[0], [0]] };
    assert.deepEqual([...scoreNode(node, x(0), 1, 1)], [0.5, 0.5]);
  });
});

describe('scoreNode: mlp', () => {
  const layers = [
    { inputs: 2, outputs: 2, weights: [1, -1, 2, 1], bias: [0, -1] },
    { inputs: 2, outputs: 1, weights: [3, -2], bias: [0.5] },
  ];

  it('should run a 2-layer relu network layer by layer', () => {
    const node: MlpNode = { kind: 'mlp', link: 'identity', activation: 'relu', layers };
    // (1,2): h = relu(-1, 3) = (0, 3) → 0.5 − 6; (2,0): h = (2, 3) → 0.5 + 6 − 6
    assert.deepEqual([...scoreNode(node, x(1, 2, 2, 0), 2, 2)], [-5.5, 0.5]);
  });

  it('should apply tanh on hidden layers only', () => {
    const node: MlpNode = { kind: 'mlp', link: 'identity', activation: 'tanh', layers };
    assert.deepEqual([...scoreNode(node, x(0, 0), 1, 2)], [0.5 - 2 * Math.tanh(-1)]);
  });

  it('should feed a softmax link from the last layer', () => {
    const node: MlpNode = { kind: 'mlp', link: 'softmax', activation: 'relu', layers: [{ inputs: 1, outputs: 2, weights: [1, 0], bias: [0, 0] }] };
    close(scoreNode(node, x(Math.log(3)), 1, 1), [3 / 4, 1 / 4]);
  });

  it('should run three layers (buffers swapped correctly)', () => {
    const node: MlpNode = {
      kind: 'mlp',
      link: 'identity',
      activation: 'relu',
      layers: [
        { inputs: 1, outputs: 2, weights: [1, -1], bias: [0, 0] },
        { inputs: 2, outputs: 2, weights: [1, 1, 2, 0], bias: [0, 1] },
        { inputs: 2, outputs: 1, weights: [10, 1], bias: [0] },
      ],
    };
    // x = 3: h1 = (3, 0); h2 = (3, 7); out = 30 + 7. x = -2: h1 = (0, 2); h2 = (2, 1); out = 21
    assert.deepEqual([...scoreNode(node, x(3, -2), 2, 1)], [37, 21]);
  });
});

describe('scoreNode: knn', () => {
  // Four points in 2-D with regression targets 1, 2, 3, 10.
  const base: KnnNode = { kind: 'knn', link: 'identity', k: 2, points: [0, 0, 1, 0, 0, 1, 3, 3], targets: [[1], [2], [3], [10]], weighting: 'uniform' };

  it('should average the k nearest targets', () => {
    // (0.4, 0): d² = 0.16, 0.36, 1.16, 16.76 → points 0, 1. (3, 2.9): d² = 17.41, 12.41, 12.61, 0.01 → points 3, 1.
    assert.deepEqual([...scoreNode(base, x(0.4, 0, 3, 2.9), 2, 2)], [1.5, 6]);
  });

  it('should weight by 1 / distance', () => {
    const node: KnnNode = { ...base, weighting: 'distance' };
    close(scoreNode(node, x(0.4, 0), 1, 2), [(2.5 * 1 + 2 * (1 / 0.6)) / (2.5 + 1 / 0.6)]); // 1.4
  });

  it('should let an exact match decide under distance weighting', () => {
    const node: KnnNode = { ...base, k: 3, weighting: 'distance' };
    assert.deepEqual([...scoreNode(node, x(1, 0), 1, 2)], [2]);
  });

  it('should break distance ties by training order', () => {
    // (0.5, 0.5) is at distance √0.5 from points 0, 1 and 2: the first two win.
    assert.deepEqual([...scoreNode(base, x(0.5, 0.5), 1, 2)], [1.5]);
    // Moved so that point 2 is nearest and 0, 1 tie for second: point 0 wins.
    assert.deepEqual([...scoreNode(base, x(0.25, 0.75), 1, 2)], [(3 + 1) / 2]);
  });

  it('should use every row when k exceeds them', () => {
    const node: KnnNode = { ...base, k: 9 };
    assert.deepEqual([...scoreNode(node, x(0, 0), 1, 2)], [4]);
  });

  it('should give class frequencies with the probabilities link', () => {
    const node: KnnNode = { ...base, link: 'probabilities', k: 3, targets: [[1, 0], [0, 1], [1, 0], [0, 1]] };
    close(scoreNode(node, x(0, 0), 1, 2), [2 / 3, 1 / 3]);
  });
});

describe('scoreNode: ensemble', () => {
  const two: LinearNode = { kind: 'linear', link: 'identity', intercept: [2], coef: [[0]] };
  const five: TreesNode = { kind: 'trees', link: 'identity', aggregate: 'sum', base: [5], trees: [] };

  it('should average members by weight', () => {
    const node: ModelNode = { kind: 'ensemble', link: 'identity', members: [{ weight: 1, model: two }, { weight: 3, model: five }] };
    assert.deepEqual([...scoreNode(node, x(0, 0), 2, 1)], [4.25, 4.25]);
  });

  it('should skip members of weight 0', () => {
    const node: ModelNode = { kind: 'ensemble', link: 'identity', members: [{ weight: 0, model: two }, { weight: 2, model: five }] };
    assert.deepEqual([...scoreNode(node, x(0), 1, 1)], [5]);
  });

  it('should average class probabilities after each member\'s link', () => {
    const logistic: LinearNode = { kind: 'linear', link: 'logistic', intercept: [Math.log(3)], coef: [[0]] };
    const forest: TreesNode = { kind: 'trees', link: 'probabilities', aggregate: 'mean', base: [0, 0], trees: [leaf([0.75, 0.25])] };
    const node: ModelNode = { kind: 'ensemble', link: 'probabilities', members: [{ weight: 1, model: logistic }, { weight: 1, model: forest }] };
    close(scoreNode(node, x(0), 1, 1), [0.5, 0.5]);
  });
});

describe('scoreNode: errors and caching', () => {
  it('should refuse an invalid node with the path of the problem', () => {
    const node = { kind: 'trees', link: 'identity', aggregate: 'sum', base: [0], trees: [{ ...stump(), left: [7, -1, -1] }] } as TreesNode;
    assert.throws(
      () => scoreNode(node, x(0), 1, 1),
      (e: unknown) => e instanceof AdeSdkError && e.code === 'model.invalid' && e.message === 'model.trees[0].left[0]: 7 is out of range [0, 2]',
    );
  });

  it('should refuse x shorter than n × featureCount', () => {
    const node: LinearNode = { kind: 'linear', link: 'identity', intercept: [1], coef: [[2, -3]] };
    assert.throws(() => scoreNode(node, x(1, 2, 3), 2, 2), (e: unknown) => e instanceof AdeSdkError && e.code === 'model.input');
  });

  it('should compile a node once and reuse it', () => {
    const node: LinearNode = { kind: 'linear', link: 'identity', intercept: [1], coef: [[2]] };
    assert.equal(compileNode(node, 1), compileNode(node, 1));
    assert.throws(() => compileNode(node, 2), /model\.coef\[0\]: must have length 2/);
  });

  it('should score zero rows', () => {
    const node: LinearNode = { kind: 'linear', link: 'logistic', intercept: [1], coef: [[2]] };
    assert.equal(scoreNode(node, new Float64Array(0), 0, 1).length, 0);
  });
});

/** A complete binary tree of depth 5 (31 leaves) with thresholds and leaf values from `random`. */
function randomTree(random: () => number, p: number): Tree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[][] = [];
  let shortened = false;
  const build = (depth: number): number => {
    const i = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push([]);
    // Leaves at depth 5, and the first node at depth 4: 31 leaves, 61 nodes.
    const isLeaf = depth === 5 || (depth === 4 && !shortened);
    if (depth === 4) shortened = true;
    if (isLeaf) value[i] = [random() - 0.5];
    else {
      feature[i] = Math.floor(random() * p);
      threshold[i] = random() * 2 - 1;
      left[i] = build(depth + 1);
      right[i] = build(depth + 1);
    }
    return i;
  };
  build(0);
  assert.equal(value.filter((v) => v.length === 1).length, 31);
  return { feature, threshold, left, right, missingLeft: feature.map(() => false), value };
}

/** The JSON walked directly, the plain definition, to check the compiled form against. */
function naive(node: TreesNode, x: Float64Array, r: number, p: number): number {
  let acc = node.base[0]!;
  for (const t of node.trees) {
    let i = 0;
    while (t.feature[i]! >= 0) i = x[r * p + t.feature[i]!]! <= t.threshold[i]! ? t.left[i]! : t.right[i]!;
    acc += t.value[i]![0]!;
  }
  return acc;
}

describe('scoreNode: speed sanity', () => {
  it('should score 100k rows × 20 features with 100 trees of depth 5, as the plain walk does', () => {
    let seed = 11;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const p = 20;
    const n = 100_000;
    const trees = Array.from({ length: 100 }, () => randomTree(random, p));
    const node: TreesNode = { kind: 'trees', link: 'identity', aggregate: 'sum', base: [0.25], trees };
    const xs = Float64Array.from({ length: n * p }, () => random() * 2 - 1);
    const out = scoreNode(node, xs, n, p);
    assert.equal(out.length, n);
    for (let r = 0; r < n; r += 97) assert.equal(out[r], naive(node, xs, r, p), `row ${r}`);
  });
});
