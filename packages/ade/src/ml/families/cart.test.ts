import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Rng } from '../estimator.js';
import { seededRng } from '../rng.js';
import { type BinnedData, applyBins, fitBinEdges } from './binning.js';
import { type GrowOptions, type GrowTarget, type GrownTree, TreeGrower } from './cart.js';

const OPEN: GrowOptions = {
  maxDepth: Infinity,
  minSamplesLeaf: 1,
  maxLeafNodes: Infinity,
  minHessian: 0,
  l2: 0,
  maxFeatures: Infinity,
  randomThresholds: false,
};

function binned(rng: Rng, n: number, p: number, distinct = 0): BinnedData {
  const x = new Float64Array(n * p);
  for (let i = 0; i < x.length; i++) x[i] = distinct > 0 ? Math.floor(rng.next() * distinct) : rng.next();
  return applyBins(fitBinEdges(x, n, p, 255, rng), x, n);
}

function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

function gradientTarget(rng: Rng, n: number): GrowTarget & { kind: 'gradient' } {
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    grad[i] = rng.next() - 0.5;
    hess[i] = 0.1 + rng.next();
  }
  return { kind: 'gradient', grad, hess };
}

function classTarget(rng: Rng, data: BinnedData, classes: number): GrowTarget & { kind: 'classes' } {
  const n = data.n;
  const label = new Uint16Array(n);
  // class driven by feature 0's code, with noise, so there is structure to find
  for (let i = 0; i < n; i++) label[i] = rng.next() < 0.7 ? data.codes[i]! % classes : rng.int(classes);
  const weight = new Float64Array(n);
  for (let i = 0; i < n; i++) weight[i] = 1 + rng.int(3);
  return { kind: 'classes', classes, label, weight };
}

/** Score of a side (the quantity a split maximises the sum of), from the row set directly. */
function sideScore(target: GrowTarget, rows: number[], l2: number): { score: number; h: number } {
  if (target.kind === 'gradient') {
    let g = 0;
    let h = 0;
    for (const r of rows) {
      g += target.grad[r]!;
      h += target.hess[r]!;
    }
    return { score: (g * g) / (h + l2), h };
  }
  const sums = new Float64Array(target.classes);
  let h = 0;
  for (const r of rows) {
    sums[target.label[r]!]! += target.weight[r]!;
    h += target.weight[r]!;
  }
  let score = 0;
  for (const s of sums) score += (s * s) / h;
  return { score, h };
}

/** The best split score of a node's rows by trying every feature and cut; -Infinity when none is allowed. */
function bruteForceBest(data: BinnedData, target: GrowTarget, rows: number[], o: GrowOptions): number {
  let best = -Infinity;
  for (let f = 0; f < data.edges.p; f++) {
    for (let b = 0; b < data.edges.nBins[f]! - 1; b++) {
      const left = rows.filter((r) => data.codes[f * data.n + r]! <= b);
      const right = rows.filter((r) => data.codes[f * data.n + r]! > b);
      if (left.length < o.minSamplesLeaf || right.length < o.minSamplesLeaf) continue;
      const l = sideScore(target, left, o.l2);
      const r = sideScore(target, right, o.l2);
      if (l.h < o.minHessian || r.h < o.minHessian) continue;
      best = Math.max(best, l.score + r.score);
    }
  }
  return best;
}

function nodeRows(tree: GrownTree, rows: Int32Array, i: number): number[] {
  return Array.from(rows.subarray(tree.start[i]!, tree.end[i]!));
}

function depths(tree: GrownTree): Int32Array {
  const d = new Int32Array(tree.nodeCount);
  for (let i = 0; i < tree.nodeCount; i++) {
    if (tree.feature[i]! >= 0) {
      d[tree.left[i]!] = d[i]! + 1;
      d[tree.right[i]!] = d[i]! + 1;
    }
  }
  return d;
}

/** Checks every split against brute force, and the structural invariants. */
function assertBestSplits(data: BinnedData, target: GrowTarget, o: GrowOptions, tree: GrownTree, rows: Int32Array): void {
  for (let i = 0; i < tree.nodeCount; i++) {
    const rs = nodeRows(tree, rows, i);
    assert.equal(rs.length, tree.count[i]);
    if (tree.feature[i]! < 0) continue;
    const f = tree.feature[i]!;
    const b = tree.bin[i]!;
    const left = nodeRows(tree, rows, tree.left[i]!);
    const right = nodeRows(tree, rows, tree.right[i]!);
    assert.ok(left.every((r) => data.codes[f * data.n + r]! <= b) && right.every((r) => data.codes[f * data.n + r]! > b), `node ${i} partition`);
    assert.equal(left.length + right.length, rs.length);
    assert.equal(tree.threshold[i], data.edges.thresholds[f]![b]);
    const chosen = sideScore(target, left, o.l2).score + sideScore(target, right, o.l2).score;
    const best = bruteForceBest(data, target, rs, o);
    assert.ok(chosen >= best - 1e-9 * Math.abs(best), `node ${i}: chosen split scores ${chosen}, the best ${best}`);
  }
}

describe('TreeGrower', () => {
  for (const sequenceRows of [false, true]) {
    const mode = sequenceRows ? 'rows moved with their codes' : 'codes read by row id';
    it(`should choose the best split at every node of a gradient tree (histograms, subtraction, small nodes; ${mode})`, () => {
      const rng = seededRng(1);
      const data = binned(rng, 2500, 5);
      const target = gradientTarget(rng, 2500);
      const options = { ...OPEN, minSamplesLeaf: 3, maxDepth: 6, l2: 0.5, minHessian: 0.2 };
      const rows = identity(2500);
      const tree = new TreeGrower(data, 1, { sequenceRows }).grow(rows, target, options, rng, new Float64Array(5));
      assert.ok(tree.nodeCount > 40, `grew ${tree.nodeCount} nodes`);
      assertBestSplits(data, target, options, tree, rows);
      // a bootstrap-like subset of rows, with constant hessians
      const subset = Int32Array.from({ length: 1700 }, (_, i) => Math.floor(i * 1.4));
      const unit: GrowTarget = { kind: 'gradient', grad: target.grad, hess: new Float64Array(2500).fill(2), hessConstant: 2 };
      const sub = new TreeGrower(data, 1, { sequenceRows }).grow(subset, unit, options, rng, new Float64Array(5));
      assertBestSplits(data, unit, options, sub, subset);
    });

    it(`should choose the best Gini split at every node of a class tree (${mode})`, () => {
      const rng = seededRng(2);
      const data = binned(rng, 1200, 6, 40);
      const target = classTarget(rng, data, 3);
      const rows = identity(1200);
      const tree = new TreeGrower(data, 3, { sequenceRows }).grow(rows, target, { ...OPEN, maxDepth: 5 }, rng, new Float64Array(6));
      assertBestSplits(data, target, { ...OPEN, maxDepth: 5 }, tree, rows);
    });
  }

  it('should respect min_samples_leaf, max_depth and max_leaf_nodes', () => {
    const rng = seededRng(3);
    const data = binned(rng, 2000, 4);
    const target = gradientTarget(rng, 2000);
    const grower = new TreeGrower(data, 1);
    const leafCounts = (t: GrownTree) => Array.from(t.feature).filter((f) => f < 0).length;

    const a = grower.grow(identity(2000), target, { ...OPEN, minSamplesLeaf: 50 }, rng, new Float64Array(4));
    for (let i = 0; i < a.nodeCount; i++) if (a.feature[i]! < 0) assert.ok(a.count[i]! >= 50);
    const b = grower.grow(identity(2000), target, { ...OPEN, maxDepth: 3 }, rng, new Float64Array(4));
    assert.equal(Math.max(...depths(b)), 3);
    assert.equal(leafCounts(b), 8);
    const c = grower.grow(identity(2000), target, { ...OPEN, maxLeafNodes: 7 }, rng, new Float64Array(4));
    assert.equal(leafCounts(c), 7);
    assert.equal(c.nodeCount, 13);
  });

  it('should grow best-first: with two leaves the root split is the unlimited tree root split', () => {
    const rng = seededRng(4);
    const data = binned(rng, 1000, 3);
    const target = gradientTarget(rng, 1000);
    const grower = new TreeGrower(data, 1);
    const rows = identity(1000);
    const stump = grower.grow(rows, target, { ...OPEN, maxLeafNodes: 2 }, rng, new Float64Array(3));
    const full = grower.grow(identity(1000), target, OPEN, rng, new Float64Array(3));
    assert.equal(stump.nodeCount, 3);
    assert.deepEqual([stump.feature[0], stump.bin[0]], [full.feature[0], full.bin[0]]);
    // with 3 leaves, the second split goes to the child whose best split gains more
    const gain = (child: number) => {
      const rs = nodeRows(stump, rows, child);
      return bruteForceBest(data, target, rs, OPEN) - sideScore(target, rs, 0).score;
    };
    const three = grower.grow(identity(1000), target, { ...OPEN, maxLeafNodes: 3 }, rng, new Float64Array(3));
    assert.equal(three.nodeCount, 5);
    const splitChild = three.feature[1]! >= 0 ? 1 : 2;
    assert.ok(gain(splitChild) > gain(3 - splitChild), `split child ${splitChild}: ${gain(1)} vs ${gain(2)}`);
  });

  it('should not split a pure node and add each split gain to its feature importance', () => {
    const rng = seededRng(5);
    const data = binned(rng, 300, 2);
    const pure: GrowTarget = { kind: 'classes', classes: 2, label: new Uint16Array(300).fill(1), weight: new Float64Array(300).fill(1) };
    const importance = new Float64Array(2);
    const leaf = new TreeGrower(data, 2).grow(identity(300), pure, OPEN, rng, importance);
    assert.equal(leaf.nodeCount, 1);
    assert.deepEqual(Array.from(importance), [0, 0]);
    assert.deepEqual(Array.from(leaf.sums), [0, 300, 300]);

    // the target is the sign of feature 1: one split, all its gain on feature 1
    const grad = new Float64Array(300);
    for (let i = 0; i < 300; i++) grad[i] = data.codes[300 + i]! < data.edges.nBins[1]! / 2 ? -1 : 1;
    const tree = new TreeGrower(data, 1).grow(identity(300), { kind: 'gradient', grad, hess: new Float64Array(300).fill(1), hessConstant: 1 }, OPEN, rng, importance);
    assert.equal(tree.nodeCount, 3);
    assert.equal(tree.feature[0], 1);
    assert.equal(importance[0], 0);
    const [G, H] = [tree.sums[0]!, tree.sums[1]!];
    const [GL, HL] = [tree.sums[2]!, tree.sums[3]!]; // node 1 (left), width 2
    const expected = (GL * GL) / HL + ((G - GL) * (G - GL)) / (H - HL) - (G * G) / H;
    assert.ok(Math.abs(importance[1]! - expected) < 1e-9 * expected);
  });

  it('should cut at random points inside the node range when extremely randomised, repeatably for a seed', () => {
    const data = binned(seededRng(6), 500, 3);
    const target = gradientTarget(seededRng(7), 500);
    const options = { ...OPEN, randomThresholds: true, minSamplesLeaf: 5 };
    const grow = (seed: number) => {
      const rows = identity(500);
      return { tree: new TreeGrower(data, 1).grow(rows, target, options, seededRng(seed), new Float64Array(3)), rows };
    };
    const { tree, rows } = grow(8);
    for (let i = 0; i < tree.nodeCount; i++) {
      if (tree.feature[i]! < 0) continue;
      assert.ok(tree.count[tree.left[i]!]! >= 5 && tree.count[tree.right[i]!]! >= 5);
      const codes = nodeRows(tree, rows, i).map((r) => data.codes[tree.feature[i]! * 500 + r]!);
      assert.ok(tree.bin[i]! >= Math.min(...codes) && tree.bin[i]! < Math.max(...codes));
    }
    assert.deepEqual(Array.from(grow(8).tree.threshold), Array.from(tree.threshold));
    assert.notDeepEqual(Array.from(grow(9).tree.threshold), Array.from(tree.threshold));
  });

  it('should draw extremely randomised cuts uniformly over the value range, as on raw values', () => {
    // values 0, 1, 2 (bins 0, 1, 2): a threshold uniform in [0, 2] cuts after 0 or after 1 with chance ½ each
    const x = Float64Array.from({ length: 300 }, (_, i) => i % 3);
    const data = applyBins(fitBinEdges(x, 300, 1, 255, seededRng(1)), x, 300);
    const target = gradientTarget(seededRng(2), 300);
    const cuts = [0, 0];
    for (let seed = 0; seed < 400; seed++) {
      const tree = new TreeGrower(data, 1).grow(identity(300), target, { ...OPEN, randomThresholds: true, maxDepth: 1 }, seededRng(seed), new Float64Array(1));
      cuts[tree.bin[0]!]!++;
    }
    assert.ok(Math.abs(cuts[0]! - 200) < 40, `cuts after 0 / after 1: ${cuts}`);
  });

  it('should try a random subset of features per split when max features < p', () => {
    const data = binned(seededRng(10), 400, 5);
    // only feature 0 matters; with one feature tried per split the root still varies across seeds
    const grad = new Float64Array(400);
    for (let i = 0; i < 400; i++) grad[i] = data.codes[i]! < 128 ? -1 : 1;
    const target: GrowTarget = { kind: 'gradient', grad, hess: new Float64Array(400).fill(1) };
    const roots = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      roots.add(new TreeGrower(data, 1).grow(identity(400), target, { ...OPEN, maxFeatures: 1, maxDepth: 1 }, seededRng(seed), new Float64Array(5)).feature[0]!);
    }
    assert.ok(roots.size >= 3, `root features ${[...roots]}`);
    const all = new TreeGrower(data, 1).grow(identity(400), target, { ...OPEN, maxDepth: 1 }, seededRng(0), new Float64Array(5));
    assert.equal(all.feature[0], 0);
  });

  it('should leave a node of one distinct row pattern, and data without features, as one leaf', () => {
    const rng = seededRng(11);
    const x = new Float64Array(200).fill(3);
    const data = applyBins(fitBinEdges(x, 100, 2, 255, rng), x, 100);
    const target = gradientTarget(rng, 100);
    assert.equal(new TreeGrower(data, 1).grow(identity(100), target, OPEN, rng, new Float64Array(2)).nodeCount, 1);
    const none = applyBins(fitBinEdges(new Float64Array(0), 100, 0, 255, rng), new Float64Array(0), 100);
    assert.equal(new TreeGrower(none, 1).grow(identity(100), target, OPEN, rng, new Float64Array(0)).nodeCount, 1);
  });
});
