import type { BinnedData } from './binning.js';
import type { GrowTarget } from './cart.js';

/** Row-major codes above this size (bytes) no longer fit the caches: the rows are then kept in sequence with their codes. */
const SEQUENCE_BYTES = 16 * 1024 * 1024;

/** The arrays a sequenced split moves (each `spare*` takes the right side while the left is compacted in place). */
interface SequenceBuffers {
  readonly codes: Uint8Array;
  readonly words: Uint32Array;
  readonly spareWords: Uint32Array;
  rows: Int32Array;
  readonly spareRows: Int32Array;
  /** Gradients (or class weights) in sequence order. */
  readonly a: Float64Array;
  readonly spareA: Float64Array;
  /** Hessians in sequence order (gradient targets). */
  readonly b: Float64Array;
  readonly spareB: Float64Array;
  /** Class indices in sequence order (class targets). */
  readonly label: Uint16Array;
  readonly spareLabel: Uint16Array;
}

/**
 * The rows a tree is grown on, in node order: every node owns a contiguous
 * range of `rows`. On large data (`sequenced`) each position also holds the
 * row's bin codes (row-major, copied as 32-bit words) and its targets, and a
 * split moves them along with the row (sequential copies), so that every
 * histogram pass reads memory in order instead of gathering scattered rows:
 * on a million rows that scattered gather, not the arithmetic, is what
 * costs. On data that fits the caches, moving the codes costs more than it
 * saves: splits move only row ids and histograms read codes by id.
 *
 * @example
 * const seq = new RowSequence(binned, false);
 * seq.load(rows, target);
 * seq.build(hist, 0, rows.length, offsets, 3);
 * const mid = seq.partition(0, rows.length, feature, bin);
 */
export class RowSequence {
  /** Whether codes and targets move with the rows (large data) or are read by row id. */
  readonly sequenced: boolean;
  private readonly data: BinnedData;
  private readonly p: number;
  private readonly wordsPerRow: number;
  /** The binned data's row-major codes as words. */
  private readonly source: Uint32Array;
  private readonly buffers: SequenceBuffers;
  private target: GrowTarget | null = null;

  constructor(data: BinnedData, classes: boolean, sequenced = data.n * data.rowStride > SEQUENCE_BYTES) {
    this.sequenced = sequenced;
    this.data = data;
    this.p = data.edges.p;
    this.wordsPerRow = data.rowStride / 4;
    this.source = new Uint32Array(data.rowCodes.buffer, data.rowCodes.byteOffset, (data.n * data.rowStride) / 4);
    const n = sequenced ? data.n : 0;
    const words = new Uint32Array(n * this.wordsPerRow);
    this.buffers = {
      codes: new Uint8Array(words.buffer),
      words,
      spareWords: new Uint32Array(n * this.wordsPerRow),
      rows: new Int32Array(0),
      spareRows: new Int32Array(data.n),
      a: new Float64Array(n),
      spareA: new Float64Array(n),
      b: new Float64Array(classes ? 0 : n),
      spareB: new Float64Array(classes ? 0 : n),
      label: new Uint16Array(classes ? n : 0),
      spareLabel: new Uint16Array(classes ? n : 0),
    };
  }

  /** Copies `rows`' codes and targets into sequence order; `rows` is then partitioned in step with them. */
  load(rows: Int32Array, target: GrowTarget): void {
    const buf = this.buffers;
    buf.rows = rows;
    this.target = target;
    if (!this.sequenced) return;
    const m = rows.length;
    const W = this.wordsPerRow;
    const words = buf.words;
    const source = this.source;
    let identity = true;
    for (let i = 0; i < m && identity; i++) identity = rows[i] === i;
    if (identity) words.set(source.subarray(0, m * W));
    else {
      for (let i = 0; i < m; i++) {
        const from = rows[i]! * W;
        const to = i * W;
        for (let w = 0; w < W; w++) words[to + w] = source[from + w]!;
      }
    }
    if (target.kind === 'gradient') {
      const constant = target.hessConstant !== undefined;
      for (let i = 0; i < m; i++) {
        const r = rows[i]!;
        buf.a[i] = target.grad[r]!;
        if (!constant) buf.b[i] = target.hess[r]!;
      }
    } else {
      for (let i = 0; i < m; i++) {
        const r = rows[i]!;
        buf.a[i] = target.weight[r]!;
        buf.label[i] = target.label[r]!;
      }
    }
  }

  /** Stable partition of [start, end) by `code(feature) <= bin`, moving ids, codes and targets; returns where the right side starts. */
  partition(start: number, end: number, feature: number, bin: number): number {
    const buf = this.buffers;
    if (!this.sequenced) return partitionIds(buf.rows, buf.spareRows, this.data.codes, start, end, feature * this.data.n, bin);
    const t = this.target;
    const moveB = t?.kind === 'gradient' && t.hessConstant === undefined;
    return partitionSequence(buf, this.wordsPerRow, moveB, t?.kind === 'classes', start, end, feature, bin);
  }

  /**
   * Adds every feature of [start, end) into `hist` (zeroed by the caller):
   * feature f's bin c at `offsets[f] + c × stride`, holding the channel sums,
   * the hessian (weight) sum and the count.
   */
  build(hist: Float64Array, start: number, end: number, offsets: Int32Array, stride: number): void {
    const t = this.target;
    if (!t) return;
    // sequenced: codes and targets at the position; else at the row id
    const buf = this.buffers;
    const seq = this.sequenced;
    const ids = seq ? null : buf.rows;
    const words = seq ? buf.words : this.source;
    const codes = seq ? buf.codes : this.data.rowCodes;
    const W = this.wordsPerRow;
    if (t.kind === 'classes') {
      const weight = seq ? buf.a : t.weight;
      const label = seq ? buf.label : t.label;
      buildClasses(hist, words, codes, W, offsets, this.p, ids, start, end, weight, label, t.classes);
    } else if (t.hessConstant !== undefined) {
      buildGradient(hist, words, codes, W, offsets, this.p, ids, start, end, seq ? buf.a : t.grad);
      const h = t.hessConstant;
      for (let j = 0; j < hist.length; j += stride) hist[j + 1] = hist[j + 2]! * h;
    } else {
      buildGradientHessian(hist, words, codes, W, offsets, this.p, ids, start, end, seq ? buf.a : t.grad, seq ? buf.b : t.hess);
    }
  }
}

/**
 * Stable partition of positions [start, end) by `code(feature) <= bin`,
 * moving each row's id, code words and targets (`b` when `moveB`: hessians
 * that are not constant; `label` when `moveLabel`: classes); returns where the
 * right side starts.
 */
function partitionSequence(
  s: SequenceBuffers,
  W: number,
  moveB: boolean,
  moveLabel: boolean,
  start: number,
  end: number,
  feature: number,
  bin: number,
): number {
  const { codes, words, spareWords, rows, spareRows, a, spareA, b, spareB, label, spareLabel } = s;
  const stride = W * 4;
  let l = start;
  let k = 0;
  for (let i = start; i < end; i++) {
    const from = i * W;
    if (codes[i * stride + feature]! <= bin) {
      const to = l * W;
      for (let w = 0; w < W; w++) words[to + w] = words[from + w]!;
      rows[l] = rows[i]!;
      a[l] = a[i]!;
      if (moveB) b[l] = b[i]!;
      if (moveLabel) label[l] = label[i]!;
      l++;
    } else {
      const to = k * W;
      for (let w = 0; w < W; w++) spareWords[to + w] = words[from + w]!;
      spareRows[k] = rows[i]!;
      spareA[k] = a[i]!;
      if (moveB) spareB[k] = b[i]!;
      if (moveLabel) spareLabel[k] = label[i]!;
      k++;
    }
  }
  words.set(spareWords.subarray(0, k * W), l * W);
  rows.set(spareRows.subarray(0, k), l);
  a.set(spareA.subarray(0, k), l);
  if (moveB) b.set(spareB.subarray(0, k), l);
  if (moveLabel) label.set(spareLabel.subarray(0, k), l);
  return l;
}

// Without sequencing: row ids only move, codes and targets are read by id.

/** Stable partition of row ids in rows[start, end) by `codes[col + row] <= bin`; returns where the right side starts. */
export function partitionIds(rows: Int32Array, spare: Int32Array, codes: Uint8Array, start: number, end: number, col: number, bin: number): number {
  let l = start;
  let k = 0;
  for (let i = start; i < end; i++) {
    const r = rows[i]!;
    // branch-free: write both places, advance one
    const goLeft = codes[col + r]! <= bin ? 1 : 0;
    rows[l] = r;
    spare[k] = r;
    l += goLeft;
    k += 1 - goLeft;
  }
  rows.set(spare.subarray(0, k), l);
  return l;
}

/**
 * The histogram kernels. Row r of [start, end) is `ids[i]` (by id) or `i`
 * itself (sequenced); its codes are read four at a time as 32-bit words
 * (rows are padded to whole words) and the feature loop is unrolled by four:
 * about a third faster than one byte per step.
 */
function buildGradient(
  hist: Float64Array,
  words: Uint32Array,
  codes: Uint8Array,
  W: number,
  offsets: Int32Array,
  p: number,
  ids: Int32Array | null,
  start: number,
  end: number,
  grad: Float64Array,
): void {
  const p4 = p & ~3;
  for (let i = start; i < end; i++) {
    const r = ids === null ? i : ids[i]!;
    const g = grad[r]!;
    const o = r * W;
    let f = 0;
    for (let w = o; f < p4; f += 4, w++) {
      const c = words[w]!;
      const j0 = offsets[f]! + (c & 255) * 3;
      const j1 = offsets[f + 1]! + ((c >>> 8) & 255) * 3;
      const j2 = offsets[f + 2]! + ((c >>> 16) & 255) * 3;
      const j3 = offsets[f + 3]! + (c >>> 24) * 3;
      hist[j0]! += g;
      hist[j0 + 2]! += 1;
      hist[j1]! += g;
      hist[j1 + 2]! += 1;
      hist[j2]! += g;
      hist[j2 + 2]! += 1;
      hist[j3]! += g;
      hist[j3 + 2]! += 1;
    }
    for (; f < p; f++) {
      const j = offsets[f]! + codes[o * 4 + f]! * 3;
      hist[j]! += g;
      hist[j + 2]! += 1;
    }
  }
}

function buildGradientHessian(
  hist: Float64Array,
  words: Uint32Array,
  codes: Uint8Array,
  W: number,
  offsets: Int32Array,
  p: number,
  ids: Int32Array | null,
  start: number,
  end: number,
  grad: Float64Array,
  hess: Float64Array,
): void {
  const p4 = p & ~3;
  for (let i = start; i < end; i++) {
    const r = ids === null ? i : ids[i]!;
    const g = grad[r]!;
    const h = hess[r]!;
    const o = r * W;
    let f = 0;
    for (let w = o; f < p4; f += 4, w++) {
      const c = words[w]!;
      const j0 = offsets[f]! + (c & 255) * 3;
      const j1 = offsets[f + 1]! + ((c >>> 8) & 255) * 3;
      const j2 = offsets[f + 2]! + ((c >>> 16) & 255) * 3;
      const j3 = offsets[f + 3]! + (c >>> 24) * 3;
      hist[j0]! += g;
      hist[j0 + 1]! += h;
      hist[j0 + 2]! += 1;
      hist[j1]! += g;
      hist[j1 + 1]! += h;
      hist[j1 + 2]! += 1;
      hist[j2]! += g;
      hist[j2 + 1]! += h;
      hist[j2 + 2]! += 1;
      hist[j3]! += g;
      hist[j3 + 1]! += h;
      hist[j3 + 2]! += 1;
    }
    for (; f < p; f++) {
      const j = offsets[f]! + codes[o * 4 + f]! * 3;
      hist[j]! += g;
      hist[j + 1]! += h;
      hist[j + 2]! += 1;
    }
  }
}

function buildClasses(
  hist: Float64Array,
  words: Uint32Array,
  codes: Uint8Array,
  W: number,
  offsets: Int32Array,
  p: number,
  ids: Int32Array | null,
  start: number,
  end: number,
  weight: Float64Array,
  label: Uint16Array,
  K: number,
): void {
  const s = K + 2;
  const p4 = p & ~3;
  for (let i = start; i < end; i++) {
    const r = ids === null ? i : ids[i]!;
    const c = label[r]!;
    const wt = weight[r]!;
    const o = r * W;
    let f = 0;
    for (let w = o; f < p4; f += 4, w++) {
      const bits = words[w]!;
      const j0 = offsets[f]! + (bits & 255) * s;
      const j1 = offsets[f + 1]! + ((bits >>> 8) & 255) * s;
      const j2 = offsets[f + 2]! + ((bits >>> 16) & 255) * s;
      const j3 = offsets[f + 3]! + (bits >>> 24) * s;
      hist[j0 + c]! += wt;
      hist[j0 + K]! += wt;
      hist[j0 + K + 1]! += 1;
      hist[j1 + c]! += wt;
      hist[j1 + K]! += wt;
      hist[j1 + K + 1]! += 1;
      hist[j2 + c]! += wt;
      hist[j2 + K]! += wt;
      hist[j2 + K + 1]! += 1;
      hist[j3 + c]! += wt;
      hist[j3 + K]! += wt;
      hist[j3 + K + 1]! += 1;
    }
    for (; f < p; f++) {
      const j = offsets[f]! + codes[o * 4 + f]! * s;
      hist[j + c]! += wt;
      hist[j + K]! += wt;
      hist[j + K + 1]! += 1;
    }
  }
}
