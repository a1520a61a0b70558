import type { Rng } from '../estimator.js';

/** The most bins a feature gets: codes fit a byte. */
export const MAX_BINS = 255;

/** Rows used to find the quantile cut points (as scikit-learn's histogram boosting does); the rest are only coded. */
const QUANTILE_SAMPLE = 200_000;

/**
 * Per-feature cut points: feature `f`'s bin `b` holds the values `v` with
 * `thresholds[f][b-1] < v <= thresholds[f][b]`, so a split "bin ≤ b" is the
 * same test as `x <= thresholds[f][b]` on the raw value. Every threshold lies
 * strictly between two values seen in training (a midpoint, or the lower value
 * when the two are adjacent doubles).
 */
export interface BinEdges {
  readonly p: number;
  /** Per feature, its ascending cut points (`nBins[f] - 1` of them). */
  readonly thresholds: readonly Float64Array[];
  /** Per feature, the smallest sampled value in each bin (`nBins[f]` of them). */
  readonly lows: readonly Float64Array[];
  /** Per feature, its bin count (1 for a constant feature). */
  readonly nBins: Int32Array;
  /** Per feature, the index of its first bin among all features' bins (histograms lay features end to end). */
  readonly binStart: Int32Array;
  /** Σ nBins. */
  readonly totalBins: number;
}

/**
 * Rows coded to bins, in two layouts: column-major `codes` (feature `f` of
 * row `r` at `codes[f * n + r]`: partitions and per-feature passes read one
 * column) and row-major `rowCodes` (at `r * rowStride + f`, rows padded to a
 * multiple of 4 bytes so a row's codes copy as 32-bit words).
 */
export interface BinnedData {
  readonly edges: BinEdges;
  readonly n: number;
  readonly codes: Uint8Array;
  readonly rowCodes: Uint8Array;
  /** Bytes per row in `rowCodes`: p rounded up to a multiple of 4. */
  readonly rowStride: number;
}

/**
 * Finds each feature's quantile cut points (≤ `maxBins` bins) from a row-major
 * matrix of `n` rows, or from its rows listed in `rows` (a random sample of
 * 200,000 rows when there are more).
 *
 * @example
 * const edges = fitBinEdges(x, n, p, 255, rng);
 * const data = applyBins(edges, x, n);
 */
export function fitBinEdges(x: Float64Array, n: number, p: number, maxBins: number, rng: Rng, rows?: Int32Array): BinEdges {
  const bins = Math.max(2, Math.min(MAX_BINS, Math.floor(maxBins)));
  const sample = sampleRows(rows ? rows.length : n, rng);
  if (rows) for (let i = 0; i < sample.length; i++) sample[i] = rows[sample[i]!]!;
  const m = sample.length;
  const thresholds: Float64Array[] = [];
  const lows: Float64Array[] = [];
  const nBins = new Int32Array(p);
  const binStart = new Int32Array(p);
  const values = new Float64Array(m);
  const cumulative = new Int32Array(m);
  // a block of the sample's columns (≤ 4M values), copied in one sequential pass over the rows
  const block = Math.max(1, Math.min(p, Math.floor(4_000_000 / Math.max(1, m))));
  const columns = new Float64Array(m * block);
  let total = 0;
  for (let f0 = 0; f0 < p; f0 += block) {
    const width = Math.min(block, p - f0);
    for (let i = 0; i < m; i++) {
      const o = sample[i]! * p + f0;
      for (let c = 0; c < width; c++) columns[c * m + i] = x[o + c]!;
    }
    for (let c = 0; c < width; c++) {
      const f = f0 + c;
      const { cuts, lows: low } = cutPoints(columns.subarray(c * m, c * m + m).sort(), bins, values, cumulative);
      thresholds.push(cuts);
      lows.push(low);
      nBins[f] = cuts.length + 1;
      binStart[f] = total;
      total += cuts.length + 1;
    }
  }
  return { p, thresholds, lows, nBins, binStart, totalBins: total };
}

/**
 * Codes every row of a row-major matrix (or the rows listed in `rows`, which
 * become rows 0…m−1 of the result) with `edges`; a value above the last cut
 * point goes to the last bin.
 */
export function applyBins(edges: BinEdges, x: Float64Array, n: number, rows?: Int32Array): BinnedData {
  if (rows) n = rows.length;
  const p = edges.p;
  const codes = new Uint8Array(n * p);
  const rowStride = Math.ceil(p / 4) * 4;
  const rowCodes = new Uint8Array(n * rowStride);
  // each feature's cut points padded with +∞ to 256 slots: an 8-step search finds the number of cut points below v
  const padded = new Float64Array(p * 256).fill(Infinity);
  for (let f = 0; f < p; f++) padded.set(edges.thresholds[f]!, f * 256);
  for (let r = 0; r < n; r++) {
    const o = r * p;
    const source = (rows ? rows[r]! : r) * p;
    for (let f = 0; f < p; f++) {
      const v = x[source + f]!;
      const t = f * 256 - 1;
      // branch-free (the comparisons are unpredictable): b += (cut < v) << k
      let b = +(padded[t + 128]! < v) << 7;
      b += +(padded[t + b + 64]! < v) << 6;
      b += +(padded[t + b + 32]! < v) << 5;
      b += +(padded[t + b + 16]! < v) << 4;
      b += +(padded[t + b + 8]! < v) << 3;
      b += +(padded[t + b + 4]! < v) << 2;
      b += +(padded[t + b + 2]! < v) << 1;
      b += +(padded[t + b + 1]! < v);
      codes[f * n + r] = b;
      rowCodes[r * rowStride + f] = b;
    }
  }
  return { edges, n, codes, rowCodes, rowStride };
}

/**
 * Sorted values → ≤ `bins - 1` cut points, each between two neighbouring
 * distinct values, at the sample's quantiles, and each bin's smallest value
 * (`values` and `cumulative` are scratch space as long as `sorted`).
 */
function cutPoints(sorted: Float64Array, bins: number, values: Float64Array, cumulative: Int32Array): { cuts: Float64Array; lows: Float64Array } {
  const m = sorted.length;
  if (m === 0) return { cuts: new Float64Array(0), lows: new Float64Array(1) };
  // distinct values and their cumulative counts
  let d = 0;
  for (let i = 0; i < m; i++) {
    const v = sorted[i]!;
    if (d > 0 && values[d - 1] === v) cumulative[d - 1] = i + 1;
    else {
      values[d] = v;
      cumulative[d] = i + 1;
      d++;
    }
  }
  // cut after distinct value i, for each chosen i
  const after: number[] = [];
  if (d <= bins) {
    for (let i = 0; i + 1 < d; i++) after.push(i);
  } else {
    let i = 0;
    for (let q = 1; q < bins; q++) {
      const rank = (q * m) / bins;
      while (i < d - 2 && cumulative[i]! < rank) i++;
      if (after.length === 0 || i > after[after.length - 1]!) after.push(i);
    }
  }
  const cuts = new Float64Array(after.length);
  const lows = new Float64Array(after.length + 1);
  lows[0] = values[0]!;
  after.forEach((i, b) => {
    cuts[b] = midpoint(values[i]!, values[i + 1]!);
    lows[b + 1] = values[i + 1]!;
  });
  return { cuts, lows };
}

/** A value strictly below `b` and at least `a` (a < b): the midpoint, or `a` when no double lies between them. */
function midpoint(a: number, b: number): number {
  let mid = a + (b - a) / 2;
  if (!Number.isFinite(mid)) mid = a / 2 + b / 2;
  return mid < b && mid >= a ? mid : a;
}

function sampleRows(n: number, rng: Rng): Int32Array {
  if (n <= QUANTILE_SAMPLE) {
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  // partial Fisher–Yates over row indices, then sorted for a sequential read
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) index[i] = i;
  for (let i = 0; i < QUANTILE_SAMPLE; i++) {
    const j = i + rng.int(n - i);
    const t = index[i]!;
    index[i] = index[j]!;
    index[j] = t;
  }
  return index.slice(0, QUANTILE_SAMPLE).sort();
}
