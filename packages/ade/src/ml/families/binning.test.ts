import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRng } from '../rng.js';
import { MAX_BINS, applyBins, fitBinEdges } from './binning.js';

/** Checks that every code agrees with the thresholds: bin b ⇔ thresholds[b-1] < v <= thresholds[b]. */
function assertCodesMatch(x: Float64Array, n: number, p: number, maxBins = MAX_BINS): void {
  const edges = fitBinEdges(x, n, p, maxBins, seededRng(1));
  const data = applyBins(edges, x, n);
  for (let f = 0; f < p; f++) {
    const cuts = edges.thresholds[f]!;
    assert.equal(edges.nBins[f], cuts.length + 1);
    assert.ok(edges.nBins[f]! <= maxBins);
    for (let b = 1; b < cuts.length; b++) assert.ok(cuts[b - 1]! < cuts[b]!, 'cut points increase');
    for (let r = 0; r < n; r++) {
      const v = x[r * p + f]!;
      const code = data.codes[f * n + r]!;
      assert.ok(code === cuts.length || v <= cuts[code]!, `row ${r}: ${v} <= cut ${cuts[code]}`);
      assert.ok(code === 0 || v > cuts[code - 1]!, `row ${r}: ${v} > cut ${cuts[code - 1]}`);
      assert.equal(data.rowCodes[r * data.rowStride + f], code);
    }
  }
}

describe('fitBinEdges / applyBins', () => {
  it('should give a constant feature one bin and no cut points', () => {
    const x = Float64Array.from([5, 1, 5, 2, 5, 3]);
    const edges = fitBinEdges(x, 3, 2, 255, seededRng(1));
    assert.equal(edges.nBins[0], 1);
    assert.equal(edges.thresholds[0]!.length, 0);
    assert.deepEqual(Array.from(edges.lows[0]!), [5]);
    assert.deepEqual(Array.from(edges.thresholds[1]!), [1.5, 2.5]);
    assert.deepEqual(Array.from(edges.binStart), [0, 1]);
    assert.equal(edges.totalBins, 4);
    assert.deepEqual(Array.from(applyBins(edges, x, 3).codes), [0, 0, 0, 0, 1, 2]);
  });

  it('should put cut points at midpoints between distinct values when they are few', () => {
    const x = Float64Array.from([3, 1, 1, 10, 3, -2]);
    const edges = fitBinEdges(x, 6, 1, 255, seededRng(1));
    assert.deepEqual(Array.from(edges.thresholds[0]!), [-0.5, 2, 6.5]);
    assert.deepEqual(Array.from(edges.lows[0]!), [-2, 1, 3, 10], "each bin's smallest value");
    assertCodesMatch(x, 6, 1);
  });

  it('should cut many distinct values at quantiles into at most max_bins equally filled bins', () => {
    const rng = seededRng(3);
    const n = 20_000;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = rng.next() ** 3; // skewed: quantiles, not equal widths
    const edges = fitBinEdges(x, n, 1, 255, seededRng(1));
    assert.equal(edges.nBins[0], 255);
    const counts = new Int32Array(255);
    for (const c of applyBins(edges, x, n).codes) counts[c]!++;
    for (const c of counts) assert.ok(Math.abs(c - n / 255) <= 2, `bin count ${c} ≈ ${n / 255}`);
    assertCodesMatch(x, n, 1);
    assert.equal(fitBinEdges(x, n, 1, 16, seededRng(1)).nBins[0], 16);
  });

  it('should keep a heavy value in one bin and still separate its neighbours', () => {
    const n = 1000;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = i < 900 ? 0 : i; // 90% zeros, then 100 distinct values
    assertCodesMatch(x, n, 1);
    const edges = fitBinEdges(x, n, 1, 32, seededRng(1));
    assert.equal(edges.thresholds[0]![0], 450, 'first cut between 0 and 900');
    assert.deepEqual(Array.from(edges.lows[0]!.subarray(0, 2)), [0, 900]);
  });

  it('should separate adjacent doubles with the lower one as the cut point', () => {
    const a = 1;
    const b = 1 + Number.EPSILON;
    const x = Float64Array.from([a, b, a, b]);
    const edges = fitBinEdges(x, 4, 1, 255, seededRng(1));
    assert.deepEqual(Array.from(edges.thresholds[0]!), [a]);
    assert.deepEqual(Array.from(applyBins(edges, x, 4).codes), [0, 1, 0, 1]);
  });

  it('should code values outside the training range into the end bins', () => {
    const edges = fitBinEdges(Float64Array.from([1, 2, 3]), 3, 1, 255, seededRng(1));
    const data = applyBins(edges, Float64Array.from([-1e308, 1.5, 1.6, 2.6, 1e308, Infinity]), 6);
    assert.deepEqual(Array.from(data.codes), [0, 0, 1, 2, 2, 2]);
  });

  it('should code several features of a row-major matrix and be repeatable for a seed', () => {
    const rng = seededRng(9);
    const n = 3000;
    const p = 4;
    const x = new Float64Array(n * p);
    for (let i = 0; i < n; i++) {
      x[i * p] = rng.next();
      x[i * p + 1] = Math.floor(rng.next() * 5);
      x[i * p + 2] = 7;
      x[i * p + 3] = -rng.next() * 1e9;
    }
    assertCodesMatch(x, n, p);
    const a = fitBinEdges(x, n, p, 255, seededRng(2));
    const b = fitBinEdges(x, n, p, 255, seededRng(2));
    assert.deepEqual(a.thresholds.map((t) => Array.from(t)), b.thresholds.map((t) => Array.from(t)));
    assert.deepEqual(Array.from(a.nBins), [255, 5, 1, 255]);
  });
});
