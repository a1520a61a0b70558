import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { welchTTest } from './frequentist.js';
import { sequentialHalfWidth, sequentialRho, sequentialTest, type SequentialEffect } from './sequential.js';
import { meanMoments } from './summary.js';
import { assertClose, assertInterval, reference, type Json } from './test-support/reference.js';

function assertSequential(actual: SequentialEffect, expected: Json, label: string): void {
  assertClose(actual.estimate, expected.estimate, `${label}.estimate`, expected.standardError);
  assertClose(actual.standardError, expected.standardError, `${label}.standardError`);
  assertInterval(actual.ci, expected.ci, label, expected.standardError);
  assertClose(actual.pValue, expected.pValue, `${label}.pValue`);
}

describe('sequentialTest', () => {
  for (const c of reference.sequential as Json[]) {
    it(`should match the confidence sequence: ${c.name}, ${c.alternative}, α=${c.alpha}, S=${c.expectedSampleSize}`, () => {
      const r = sequentialTest(meanMoments(c.control), meanMoments(c.treatment), {
        alpha: c.alpha,
        expectedSampleSize: c.expectedSampleSize,
        alternative: c.alternative,
      });
      assert.equal(r.n, c.expected.n);
      assertClose(r.rho, c.expected.rho, 'rho');
      assertSequential(r.absolute, c.expected.absolute, 'absolute');
      assert.ok(r.relative);
      assertSequential(r.relative, c.expected.relative, 'relative');
    });
  }

  it('should reject exactly when the interval excludes 0', () => {
    for (const c of reference.sequential as Json[]) {
      const r = sequentialTest(meanMoments(c.control), meanMoments(c.treatment), c);
      const excludes = r.absolute.ci[0] > 0 || r.absolute.ci[1] < 0;
      assert.equal(r.absolute.pValue < r.alpha, excludes, `${c.name} ${c.alternative}`);
    }
  });

  it('should always be wider than the fixed-horizon interval, and tightest relative to it near S', () => {
    const ratio = (n: number): number => {
      const arm = { n: n / 2, mean: 10, variance: 9 };
      const seq = sequentialTest(arm, { ...arm, mean: 10.1 }, { expectedSampleSize: 10_000 }).absolute;
      const fixed = welchTTest(arm, { ...arm, mean: 10.1 }).absolute;
      return (seq.ci[1] - seq.ci[0]) / (fixed.ci[1] - fixed.ci[0]);
    };
    const ratios = [1_000, 10_000, 100_000].map(ratio);
    for (const r of ratios) assert.ok(r > 1, `ratio ${r}`);
    assert.ok((ratios[1] as number) < (ratios[0] as number) && (ratios[1] as number) < (ratios[2] as number), `ratios ${ratios.join(', ')}`);
  });

  it('should shrink the half-width as units accumulate', () => {
    const rho = sequentialRho(0.05, 5000);
    assert.ok(sequentialHalfWidth(1, 10_000, rho, 0.05) < sequentialHalfWidth(1, 1_000, rho, 0.05));
  });
});
