import type { Rng } from '../estimator.js';
import type { BinnedData } from './binning.js';
import { RowSequence, partitionIds } from './row-sequence.js';

/**
 * What a tree fits, per row. `gradient`: one channel of gradients with their
 * hessians (boosting; a forest's regression passes `w·(y − ȳ)` and `w`), and
 * a split scores `G²/(H + l2)` per side. `classes`: a class index and a weight
 * per row; a split scores `Σₖ Gₖ²/H` per side (Gₖ = weight of class k), the
 * Gini decrease. Rows of weight 0 must be left out of `rows`.
 */
export type GrowTarget =
  | {
      readonly kind: 'gradient';
      readonly grad: Float64Array;
      readonly hess: Float64Array;
      /** Set when every row's hessian is this value (squared error, unweighted): histograms then skip summing hessians. */
      readonly hessConstant?: number;
    }
  | { readonly kind: 'classes'; readonly classes: number; readonly label: Uint16Array; readonly weight: Float64Array };

/** How a tree grows. */
export interface GrowOptions {
  /** Deepest level a split may create (root = 0); Infinity for none. */
  readonly maxDepth: number;
  /** Fewest rows on each side of a split. */
  readonly minSamplesLeaf: number;
  /** Most leaves; finite → best-first growth (largest gain first), else depth-first until pure or blocked. */
  readonly maxLeafNodes: number;
  /** Smallest hessian (weight) sum on each side of a split. */
  readonly minHessian: number;
  /** L2 penalty on leaf values (gradient targets). */
  readonly l2: number;
  /** Features tried per split, drawn at random when < p (more are tried when none of them splits). */
  readonly maxFeatures: number;
  /** Extremely randomised: one random cut point per tried feature instead of the best one. */
  readonly randomThresholds: boolean;
}

/**
 * A grown tree: node 0 is the root; `feature[i] < 0` marks a leaf. A split
 * sends a row left when its bin code ≤ `bin[i]`, i.e. when
 * `x <= threshold[i]`. `sums` holds `width` numbers per node (the channel sums,
 * then the hessian/weight sum); `start`/`end` the node's range in the `rows`
 * array the tree was grown on (partitioned in place).
 */
export interface GrownTree {
  readonly nodeCount: number;
  readonly width: number;
  readonly feature: Int32Array;
  readonly bin: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Per split: whether the larger side (by weight) is the left one — where a missing value would go. */
  readonly missingLeft: Uint8Array;
  readonly sums: Float64Array;
  readonly count: Int32Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
}

/** The best split found so far for a node. */
interface Best {
  feature: number;
  bin: number;
  score: number;
}

interface Pending {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
  readonly sums: Float64Array;
  hist: Float64Array | null;
  // the best split found for the node (feature < 0: none)
  feature: number;
  bin: number;
  gain: number;
  /** The best split's left-side sums (set with the split). */
  leftSums: Float64Array | null;
}

/**
 * Grows histogram trees over one binned data set, reusing its buffers across
 * trees (a boosting run or a forest grows many on the same bins). Histograms
 * hold, per bin, the channel sums, the hessian sum and the row count. When
 * every feature is tried per split, the rows are kept in node order
 * (`RowSequence`) and a node's larger child gets its histogram by
 * subtraction; when features are sampled per split (or a node is small),
 * each tried feature's histogram is built from its column. A node with
 * fewer rows than bins scans only the bins its rows fall in.
 *
 * @example
 * const grower = new TreeGrower(binned, 1);
 * const tree = grower.grow(rows, { kind: 'gradient', grad, hess }, options, rng, importance);
 */
export class TreeGrower {
  private readonly data: BinnedData;
  /** Channels: 1 for gradient targets, K for classes. */
  private readonly channels: number;
  /** Doubles per histogram bin: channels + hessian + count. */
  private readonly stride: number;
  private readonly pool: Float64Array[] = [];
  private readonly scratchRows: Int32Array;
  // per-node gathered targets, in the node's row order
  private readonly orderedGrad: Float64Array;
  private readonly orderedHess: Float64Array;
  private readonly orderedLabel: Uint16Array;
  /** All zero between calls of `sparseScan`, which cleans the bins it touches. */
  private readonly sparseHist: Float64Array;
  /** The best split of the node being searched. */
  private readonly best: Best = { feature: -1, bin: 0, score: -Infinity };
  /** One feature's codes of a node's rows, in row order (`randomSplit`). */
  private readonly gathered: Uint8Array;
  /** 256-bit set of the codes `sparseScan` met. */
  private readonly seen = new Uint32Array(8);
  private readonly featureOrder: Int32Array;
  private readonly acc: Float64Array;
  private readonly bestLeft: Float64Array;
  private readonly candidate: Float64Array;
  private readonly directHist: Float64Array;
  /** Per feature, where its bins start in a histogram (first bin × stride). */
  private readonly offsets: Int32Array;

  // the tree being grown
  private target!: GrowTarget;
  private options!: GrowOptions;
  private rng!: Rng;
  private rows!: Int32Array;
  /** Whether `rows` was 0…n−1 when growth began (the root's passes then read columns sequentially). */
  private identity = false;
  /** The rows in node order (with their codes on large data), when every feature is tried per split. */
  private sequence: RowSequence | null = null;
  /** Every feature tried per split: full histograms (the larger child's by subtraction), rows partitioned through `sequence`. */
  private allFeatures = false;
  private feature: number[] = [];
  private bin: number[] = [];
  private left: number[] = [];
  private right: number[] = [];
  private missingLeft: number[] = [];
  private sums: number[] = [];
  private count: number[] = [];
  private start: number[] = [];
  private end: number[] = [];

  /** Whether rows move with their codes (`RowSequence`); undefined: decided by the data size. */
  private readonly sequenceRows: boolean | undefined;

  constructor(data: BinnedData, channels: number, options: { readonly sequenceRows?: boolean } = {}) {
    this.data = data;
    this.sequenceRows = options.sequenceRows;
    this.channels = channels;
    this.stride = channels + 2;
    this.scratchRows = new Int32Array(data.n);
    this.orderedGrad = new Float64Array(channels === 1 ? data.n : 0);
    this.orderedHess = new Float64Array(data.n);
    this.orderedLabel = new Uint16Array(channels === 1 ? 0 : data.n);
    this.sparseHist = new Float64Array(256 * this.stride);
    this.gathered = new Uint8Array(data.n);
    this.featureOrder = new Int32Array(data.edges.p);
    this.acc = new Float64Array(channels + 1);
    this.bestLeft = new Float64Array(channels + 1);
    this.candidate = new Float64Array(channels + 1);
    this.directHist = new Float64Array(maxBinsOf(data) * this.stride);
    this.offsets = data.edges.binStart.map((b) => b * this.stride);
  }

  /**
   * Grows one tree on `rows` (indices into the binned data; partitioned in
   * place) and adds each split's gain to `importance[feature]`.
   */
  grow(rows: Int32Array, target: GrowTarget, options: GrowOptions, rng: Rng, importance: Float64Array): GrownTree {
    if ((target.kind === 'gradient') !== (this.channels === 1)) throw new Error('TreeGrower: target kind does not match the channel count');
    this.target = target;
    this.options = options;
    this.rng = rng;
    this.rows = rows;
    this.identity = isIdentity(rows, this.data.n);
    this.feature = [];
    this.bin = [];
    this.left = [];
    this.right = [];
    this.missingLeft = [];
    this.sums = [];
    this.count = [];
    this.start = [];
    this.end = [];
    const p = this.data.edges.p;
    const subtract = options.maxFeatures >= p && !options.randomThresholds;
    const bestFirst = Number.isFinite(options.maxLeafNodes);

    this.allFeatures = subtract;
    if (subtract) {
      this.sequence ??= new RowSequence(this.data, this.channels > 1, this.sequenceRows);
      this.sequence.load(rows, target);
    }
    const root = this.newNode(0, rows.length, 0, this.totals(0, rows.length));
    if (subtract && this.splittable(root) && rows.length >= this.data.edges.totalBins) {
      root.hist = this.acquire();
      this.buildFull(root.hist, root.start, root.end);
    }
    this.findSplit(root);
    const frontier: Pending[] = [];
    if (root.feature >= 0) frontier.push(root);
    else this.release(root);
    let leaves = 1;
    while (frontier.length > 0 && leaves < options.maxLeafNodes) {
      const node = bestFirst ? popBest(frontier) : frontier.pop()!;
      const [l, r] = this.split(node, importance);
      leaves++;
      if (l.feature >= 0) frontier.push(l);
      else this.release(l);
      if (r.feature >= 0) frontier.push(r);
      else this.release(r);
    }
    for (const node of frontier) this.release(node);

    const count = this.feature.length;
    const threshold = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const f = this.feature[i]!;
      if (f >= 0) threshold[i] = this.data.edges.thresholds[f]![this.bin[i]!]!;
    }
    return {
      nodeCount: count,
      width: this.channels + 1,
      feature: Int32Array.from(this.feature),
      bin: Int32Array.from(this.bin),
      threshold,
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      missingLeft: Uint8Array.from(this.missingLeft),
      sums: Float64Array.from(this.sums),
      count: Int32Array.from(this.count),
      start: Int32Array.from(this.start),
      end: Int32Array.from(this.end),
    };
  }

  private newNode(start: number, end: number, depth: number, sums: Float64Array): Pending {
    const id = this.feature.length;
    this.feature.push(-1);
    this.bin.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.missingLeft.push(0);
    for (let k = 0; k < sums.length; k++) this.sums.push(sums[k]!);
    this.count.push(end - start);
    this.start.push(start);
    this.end.push(end);
    return { id, start, end, depth, sums, hist: null, feature: -1, bin: 0, gain: 0, leftSums: null };
  }

  private splittable(node: Pending): boolean {
    const o = this.options;
    const rows = node.end - node.start;
    const hessian = node.sums[this.channels]!;
    return node.depth < o.maxDepth && rows >= 2 && rows >= 2 * o.minSamplesLeaf && hessian >= 2 * o.minHessian;
  }

  /** Splits `node` (its best split already found): partitions its rows and creates both children with their best splits. */
  private split(node: Pending, importance: Float64Array): [Pending, Pending] {
    const { n, codes } = this.data;
    const f = node.feature;
    const b = node.bin;
    const l = this.allFeatures ? this.sequence!.partition(node.start, node.end, f, b) : partitionIds(this.rows, this.scratchRows, codes, node.start, node.end, f * n, b);
    const width = this.channels + 1;
    const rightSums = new Float64Array(width);
    const leftSums = node.leftSums!;
    for (let c = 0; c < width; c++) rightSums[c] = node.sums[c]! - leftSums[c]!;
    const depth = node.depth + 1;
    const lNode = this.newNode(node.start, l, depth, leftSums);
    const rNode = this.newNode(l, node.end, depth, rightSums);
    this.feature[node.id] = f;
    this.bin[node.id] = b;
    this.left[node.id] = lNode.id;
    this.right[node.id] = rNode.id;
    this.missingLeft[node.id] = leftSums[width - 1]! >= rightSums[width - 1]! ? 1 : 0;
    importance[f] = importance[f]! + node.gain;

    const parentHist = node.hist;
    node.hist = null;
    if (this.allFeatures && parentHist) {
      const lSplit = this.splittable(lNode);
      const rSplit = this.splittable(rNode);
      const leftSmaller = lNode.end - lNode.start <= rNode.end - rNode.start;
      const small = leftSmaller ? lNode : rNode;
      const large = leftSmaller ? rNode : lNode;
      const largeSplittable = large === lNode ? lSplit : rSplit;
      const smallSplittable = small === lNode ? lSplit : rSplit;
      const totalBins = this.data.edges.totalBins;
      if (largeSplittable && large.end - large.start >= totalBins) {
        const smallHist = this.acquire();
        this.buildFull(smallHist, small.start, small.end);
        for (let i = 0; i < parentHist.length; i++) parentHist[i] = parentHist[i]! - smallHist[i]!;
        large.hist = parentHist;
        if (smallSplittable && small.end - small.start >= totalBins) small.hist = smallHist;
        else this.pool.push(smallHist);
      } else {
        this.pool.push(parentHist);
      }
    } else if (parentHist) {
      this.pool.push(parentHist);
    }
    this.findSplit(lNode);
    this.findSplit(rNode);
    return [lNode, rNode];
  }

  /** Channel and hessian sums over rows[start, end). */
  private totals(start: number, end: number): Float64Array {
    const out = new Float64Array(this.channels + 1);
    const rows = this.rows;
    const t = this.target;
    if (t.kind === 'gradient') {
      let g = 0;
      let h = 0;
      for (let i = start; i < end; i++) {
        const r = rows[i]!;
        g += t.grad[r]!;
        h += t.hess[r]!;
      }
      out[0] = g;
      out[1] = h;
    } else {
      const K = this.channels;
      for (let i = start; i < end; i++) {
        const r = rows[i]!;
        const w = t.weight[r]!;
        out[t.label[r]!]! += w;
        out[K]! += w;
      }
    }
    return out;
  }

  /** Fills `hist` with every feature's bins over rows[start, end) (the row sequence is loaded). */
  private buildFull(hist: Float64Array, start: number, end: number): void {
    hist.fill(0);
    this.sequence!.build(hist, start, end, this.offsets, this.stride);
  }

  /** Copies the node's targets into row order (sequential reads in the histogram passes). */
  private gather(start: number, end: number): void {
    const rows = this.rows;
    const t = this.target;
    const m = end - start;
    if (t.kind === 'gradient') {
      const og = this.orderedGrad;
      const oh = this.orderedHess;
      for (let i = 0; i < m; i++) {
        const r = rows[start + i]!;
        og[i] = t.grad[r]!;
        oh[i] = t.hess[r]!;
      }
    } else {
      const ol = this.orderedLabel;
      const ow = this.orderedHess;
      for (let i = 0; i < m; i++) {
        const r = rows[start + i]!;
        ol[i] = t.label[r]!;
        ow[i] = t.weight[r]!;
      }
    }
  }

  /** Adds feature `f`'s rows into `hist` at `offset` (the feature's first bin × stride); targets already gathered. */
  private buildFeature(hist: Float64Array, f: number, start: number, end: number, offset: number): void {
    const { n, codes } = this.data;
    const rows = this.rows;
    const col = f * n;
    const m = end - start;
    if (this.channels === 1) {
      const og = this.orderedGrad;
      const oh = this.orderedHess;
      if (m === n && this.identity) {
        for (let i = 0; i < m; i++) {
          const j = offset + codes[col + i]! * 3;
          hist[j]! += og[i]!;
          hist[j + 1]! += oh[i]!;
          hist[j + 2]!++;
        }
      } else {
        for (let i = 0; i < m; i++) {
          const j = offset + codes[col + rows[start + i]!]! * 3;
          hist[j]! += og[i]!;
          hist[j + 1]! += oh[i]!;
          hist[j + 2]!++;
        }
      }
    } else {
      const s = this.stride;
      const K = this.channels;
      const ol = this.orderedLabel;
      const ow = this.orderedHess;
      for (let i = 0; i < m; i++) {
        const j = offset + codes[col + rows[start + i]!]! * s;
        const w = ow[i]!;
        hist[j + ol[i]!]! += w;
        hist[j + K]! += w;
        hist[j + K + 1]!++;
      }
    }
  }

  /** Finds the node's best split (or none) into node.feature/bin/gain/leftSums. */
  private findSplit(node: Pending): void {
    node.feature = -1;
    if (!this.splittable(node)) return;
    const p = this.data.edges.p;
    const o = this.options;
    const m = node.end - node.start;
    const best = this.best;
    best.feature = -1;
    best.bin = 0;
    best.score = -Infinity;
    if (node.hist) {
      for (let f = 0; f < p; f++) this.scanBins(node.hist, this.data.edges.binStart[f]! * this.stride, f, node, best);
    } else {
      this.gather(node.start, node.end);
      const order = this.featureOrder;
      for (let f = 0; f < p; f++) order[f] = f;
      const sampled = o.maxFeatures < p;
      let tried = 0;
      for (let q = 0; q < p; q++) {
        if (sampled) {
          const j = q + this.rng.int(p - q);
          const t = order[q]!;
          order[q] = order[j]!;
          order[j] = t;
        }
        const f = order[q]!;
        const bins = this.data.edges.nBins[f]!;
        if (bins > 1) {
          if (o.randomThresholds) this.randomSplit(f, node, best);
          else if (m < bins) this.sparseScan(f, node, best);
          else {
            const hist = this.directHist;
            hist.fill(0, 0, bins * this.stride);
            this.buildFeature(hist, f, node.start, node.end, 0);
            this.scanBins(hist, 0, f, node, best);
          }
        }
        tried++;
        if (tried >= o.maxFeatures && best.feature >= 0) break;
      }
    }
    if (best.feature < 0) return;
    const gain = best.score - this.nodeScore(node.sums);
    if (!(gain > 0) || !this.distinct(node.sums, this.bestLeft)) return;
    node.feature = best.feature;
    node.bin = best.bin;
    node.gain = gain;
    node.leftSums = this.bestLeft.slice();
  }

  /** Scans feature f's bins (at `offset` in `hist`) for its best cut. */
  private scanBins(hist: Float64Array, offset: number, f: number, node: Pending, best: Best): void {
    const bins = this.data.edges.nBins[f]!;
    const s = this.stride;
    const C = this.channels;
    const total = node.end - node.start;
    const o = this.options;
    const msl = o.minSamplesLeaf;
    if (C === 1) {
      const G = node.sums[0]!;
      const H = node.sums[1]!;
      const l2 = o.l2;
      const minH = o.minHessian;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < bins - 1; b++) {
        const j = offset + b * 3;
        gl += hist[j]!;
        hl += hist[j + 1]!;
        cl += hist[j + 2]!;
        if (cl < msl || hl < minH) continue;
        if (total - cl < msl) break;
        const hr = H - hl;
        if (hr < minH) break;
        const gr = G - gl;
        const score = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2);
        if (score > best.score) {
          best.score = score;
          best.feature = f;
          best.bin = b;
          this.bestLeft[0] = gl;
          this.bestLeft[1] = hl;
        }
      }
      return;
    }
    const acc = this.acc;
    acc.fill(0);
    let count = 0;
    for (let b = 0; b < bins - 1; b++) {
      const j = offset + b * s;
      for (let c = 0; c <= C; c++) acc[c]! += hist[j + c]!;
      count += hist[j + C + 1]!;
      if (count < msl) continue;
      if (total - count < msl) break;
      this.consider(f, b, acc, count, total, node.sums, best);
    }
  }

  /**
   * Small node (fewer rows than bins): adds its rows into a histogram that is
   * kept all-zero between calls, marks the codes seen in a 256-bit set, and
   * scans only those codes in order (clearing them again): cost ∝ rows, not
   * bins.
   */
  private sparseScan(f: number, node: Pending, best: Best): void {
    const { n, codes } = this.data;
    const rows = this.rows;
    const col = f * n;
    const m = node.end - node.start;
    const hist = this.sparseHist;
    const seen = this.seen;
    const C = this.channels;
    const s = this.stride;
    const t = this.target;
    if (t.kind === 'gradient') {
      const og = this.orderedGrad;
      const oh = this.orderedHess;
      for (let i = 0; i < m; i++) {
        const code = codes[col + rows[node.start + i]!]!;
        const j = code * 3;
        hist[j]! += og[i]!;
        hist[j + 1]! += oh[i]!;
        hist[j + 2]! += 1;
        seen[code >> 5]! |= 1 << (code & 31);
      }
    } else {
      const ol = this.orderedLabel;
      const ow = this.orderedHess;
      for (let i = 0; i < m; i++) {
        const code = codes[col + rows[node.start + i]!]!;
        const j = code * s;
        const w = ow[i]!;
        hist[j + ol[i]!]! += w;
        hist[j + C]! += w;
        hist[j + C + 1]! += 1;
        seen[code >> 5]! |= 1 << (code & 31);
      }
    }
    if (C === 1) {
      this.scanSeenGradient(f, node, best);
      return;
    }
    const acc = this.acc;
    acc.fill(0);
    let count = 0;
    let previous = -1;
    for (let word = 0; word < 8; word++) {
      let bits = seen[word]!;
      seen[word] = 0;
      while (bits !== 0) {
        const low = bits & -bits;
        bits ^= low;
        const code = word * 32 + 31 - Math.clz32(low);
        // the cut after the previous code, now that a larger code exists
        if (previous >= 0) this.consider(f, previous, acc, count, m, node.sums, best);
        const j = code * s;
        for (let c = 0; c <= C; c++) {
          acc[c]! += hist[j + c]!;
          hist[j + c] = 0;
        }
        count += hist[j + C + 1]!;
        hist[j + C + 1] = 0;
        previous = code;
      }
    }
  }

  /** `sparseScan`'s scan for one gradient channel, with the split score inlined. */
  private scanSeenGradient(f: number, node: Pending, best: Best): void {
    const hist = this.sparseHist;
    const seen = this.seen;
    const o = this.options;
    const msl = o.minSamplesLeaf;
    const minH = o.minHessian;
    const l2 = o.l2;
    const total = node.end - node.start;
    const G = node.sums[0]!;
    const H = node.sums[1]!;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    let previous = -1;
    for (let word = 0; word < 8; word++) {
      let bits = seen[word]!;
      seen[word] = 0;
      while (bits !== 0) {
        const low = bits & -bits;
        bits ^= low;
        const code = word * 32 + 31 - Math.clz32(low);
        // the cut after the previous code, now that a larger code exists
        if (previous >= 0 && cl >= msl && total - cl >= msl && hl >= minH && H - hl >= minH) {
          const gr = G - gl;
          const score = (gl * gl) / (hl + l2) + (gr * gr) / (H - hl + l2);
          if (score > best.score) {
            best.score = score;
            best.feature = f;
            best.bin = previous;
            this.bestLeft[0] = gl;
            this.bestLeft[1] = hl;
          }
        }
        const j = code * 3;
        gl += hist[j]!;
        hl += hist[j + 1]!;
        cl += hist[j + 2]!;
        hist[j] = 0;
        hist[j + 1] = 0;
        hist[j + 2] = 0;
        previous = code;
      }
    }
  }

  /** Extremely randomised: one random cut between the node's smallest and largest code of feature f (two passes over its rows). */
  private randomSplit(f: number, node: Pending, best: Best): void {
    const { n, codes } = this.data;
    const rows = this.rows;
    const col = f * n;
    const m = node.end - node.start;
    const gathered = this.gathered;
    let lo = 255;
    let hi = 0;
    for (let i = 0; i < m; i++) {
      const c = codes[col + rows[node.start + i]!]!;
      gathered[i] = c;
      lo = c < lo ? c : lo;
      hi = c > hi ? c : hi;
    }
    if (lo >= hi) return;
    const cut = this.randomCut(f, lo, hi);
    const acc = this.acc;
    acc.fill(0);
    let count = 0;
    const t = this.target;
    if (t.kind === 'gradient') {
      const og = this.orderedGrad;
      const oh = this.orderedHess;
      let g = 0;
      let h = 0;
      for (let i = 0; i < m; i++) {
        // branch-free: the side is unpredictable
        const take = gathered[i]! <= cut ? 1 : 0;
        g += take * og[i]!;
        h += take * oh[i]!;
        count += take;
      }
      acc[0] = g;
      acc[1] = h;
    } else {
      const C = this.channels;
      const ol = this.orderedLabel;
      const ow = this.orderedHess;
      for (let i = 0; i < m; i++) {
        const take = gathered[i]! <= cut ? 1 : 0;
        const w = take * ow[i]!;
        acc[ol[i]!]! += w;
        acc[C]! += w;
        count += take;
      }
    }
    this.consider(f, cut, acc, count, m, node.sums, best);
  }

  /**
   * Draws a cut between the node's lowest bin `lo` and highest bin `hi` as
   * scikit-learn's extra trees do on raw values: a threshold uniform between
   * the node's smallest and largest value (here: the bins' smallest values),
   * rounded to the bin below it. Returns the last bin on the left, in [lo, hi).
   */
  private randomCut(f: number, lo: number, hi: number): number {
    const lows = this.data.edges.lows[f]!;
    const a = lows[lo]!;
    const t = a + this.rng.next() * (lows[hi]! - a);
    // the last bin in [lo, hi − 1] whose smallest value is ≤ t
    let left = lo;
    let right = hi - 1;
    while (left < right) {
      const mid = (left + right + 1) >>> 1;
      if (lows[mid]! <= t) left = mid;
      else right = mid - 1;
    }
    return left;
  }

  /** Scores a candidate split (left sums `acc`, `count` rows) against the best so far. */
  private consider(f: number, b: number, acc: Float64Array, count: number, total: number, sums: Float64Array, best: Best): void {
    const o = this.options;
    if (count < o.minSamplesLeaf || total - count < o.minSamplesLeaf) return;
    const C = this.channels;
    const hl = acc[C]!;
    const hr = sums[C]! - hl;
    if (hl < o.minHessian || hr < o.minHessian) return;
    const cand = this.candidate;
    for (let c = 0; c <= C; c++) cand[c] = sums[c]! - acc[c]!;
    let score = 0;
    if (C === 1) score = (acc[0]! * acc[0]!) / (hl + o.l2) + (cand[0]! * cand[0]!) / (hr + o.l2);
    else for (let c = 0; c < C; c++) score += (acc[c]! * acc[c]!) / hl + (cand[c]! * cand[c]!) / hr;
    if (score > best.score) {
      best.score = score;
      best.feature = f;
      best.bin = b;
      this.bestLeft.set(acc);
    }
  }

  private nodeScore(sums: Float64Array): number {
    const C = this.channels;
    if (C === 1) return (sums[0]! * sums[0]!) / (sums[1]! + this.options.l2);
    let score = 0;
    for (let c = 0; c < C; c++) score += (sums[c]! * sums[c]!) / sums[C]!;
    return score;
  }

  /** Whether the two sides' mean outputs differ by more than rounding (a split of a pure node scores a tiny positive gain). */
  private distinct(sums: Float64Array, left: Float64Array): boolean {
    const C = this.channels;
    const hl = left[C]!;
    const hr = sums[C]! - hl;
    for (let c = 0; c < C; c++) {
      const a = left[c]! / hl;
      const b = (sums[c]! - left[c]!) / hr;
      if (Math.abs(a - b) > 1e-12 * (Math.abs(a) + Math.abs(b))) return true;
    }
    return false;
  }

  private acquire(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.data.edges.totalBins * this.stride);
  }

  private release(node: Pending): void {
    if (node.hist) this.pool.push(node.hist);
    node.hist = null;
  }
}

/** The pending node with the largest gain (ties: the lower id). */
function popBest(frontier: Pending[]): Pending {
  let at = 0;
  for (let i = 1; i < frontier.length; i++) {
    const a = frontier[i]!;
    const b = frontier[at]!;
    if (a.gain > b.gain || (a.gain === b.gain && a.id < b.id)) at = i;
  }
  const node = frontier[at]!;
  frontier[at] = frontier[frontier.length - 1]!;
  frontier.pop();
  return node;
}

function maxBinsOf(data: BinnedData): number {
  let max = 1;
  for (let f = 0; f < data.edges.p; f++) max = Math.max(max, data.edges.nBins[f]!);
  return max;
}

function isIdentity(rows: Int32Array, n: number): boolean {
  if (rows.length !== n) return false;
  for (let i = 0; i < n; i++) if (rows[i] !== i) return false;
  return true;
}
