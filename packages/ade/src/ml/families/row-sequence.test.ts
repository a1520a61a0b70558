import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRng } from '../rng.js';
import { type BinnedData, applyBins, fitBinEdges } from './binning.js';
import type { GrowTarget } from './cart.js';
import { RowSequence } from './row-sequence.js';

function data(n: number, p: number): BinnedData {
  const rng = seededRng(1);
  const x = new Float64Array(n * p);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  return applyBins(fitBinEdges(x, n, p, 255, rng), x, n);
}

function targets(n: number): GrowTarget[] {
  const rng = seededRng(2);
  const grad = Float64Array.from({ length: n }, () => rng.next() - 0.5);
  const hess = Float64Array.from({ length: n }, () => rng.next());
  const label = Uint16Array.from({ length: n }, () => rng.int(3));
  return [
    { kind: 'gradient', grad, hess },
    { kind: 'gradient', grad, hess: new Float64Array(n).fill(2), hessConstant: 2 },
    { kind: 'classes', classes: 3, label, weight: hess },
  ];
}

/** The histogram by definition: for each listed row and feature, add its targets at its bin. */
function naive(d: BinnedData, target: GrowTarget, rows: ArrayLike<number>): Float64Array {
  const C = target.kind === 'gradient' ? 1 : target.classes;
  const s = C + 2;
  const hist = new Float64Array(d.edges.totalBins * s);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    for (let f = 0; f < d.edges.p; f++) {
      const j = (d.edges.binStart[f]! + d.codes[f * d.n + r]!) * s;
      if (target.kind === 'gradient') {
        hist[j]! += target.grad[r]!;
        hist[j + 1]! += target.hess[r]!;
      } else {
        hist[j + target.label[r]!]! += target.weight[r]!;
        hist[j + C]! += target.weight[r]!;
      }
      hist[j + C + 1]! += 1;
    }
  }
  return hist;
}

function build(seq: RowSequence, d: BinnedData, target: GrowTarget, start: number, end: number): Float64Array {
  const s = target.kind === 'gradient' ? 3 : target.classes + 2;
  const hist = new Float64Array(d.edges.totalBins * s);
  seq.build(hist, start, end, d.edges.binStart.map((b) => b * s), s);
  return hist;
}

function assertClose(actual: Float64Array, expected: Float64Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i]! - expected[i]!) > 1e-9) assert.fail(`${what}: slot ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

describe('RowSequence', () => {
  for (const sequenced of [false, true]) {
    it(`should build every feature's histogram and keep it right through partitions (${sequenced ? 'sequenced' : 'by row id'})`, () => {
      // 7 features: one 4-code word plus three single codes per row
      const d = data(600, 7);
      for (const target of targets(600)) {
        const rows = Int32Array.from({ length: 400 }, (_, i) => Math.floor(i * 1.5));
        const seq = new RowSequence(d, target.kind === 'classes', sequenced);
        seq.load(rows, target);
        assertClose(build(seq, d, target, 0, 400), naive(d, target, rows), `${target.kind} all rows`);
        const mid = seq.partition(0, 400, 4, 100);
        assert.ok(mid > 0 && mid < 400);
        for (let i = 0; i < 400; i++) assert.equal(d.codes[4 * 600 + rows[i]!]! <= 100, i < mid, `row at ${i} on its side`);
        const again = seq.partition(mid, 400, 1, 30);
        assertClose(build(seq, d, target, 0, mid), naive(d, target, rows.subarray(0, mid)), `${target.kind} left`);
        assertClose(build(seq, d, target, mid, again), naive(d, target, rows.subarray(mid, again)), `${target.kind} right-left`);
        assertClose(build(seq, d, target, again, 400), naive(d, target, rows.subarray(again, 400)), `${target.kind} right-right`);
        // stable: each side keeps ascending row ids
        for (let i = 1; i < mid; i++) assert.ok(rows[i - 1]! < rows[i]!);
      }
    });
  }

  it('should sequence rows once their codes outgrow the caches (16 MB)', () => {
    assert.equal(new RowSequence(data(100, 3), false).sequenced, false);
  });
});
