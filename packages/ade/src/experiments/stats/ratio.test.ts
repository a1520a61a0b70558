import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../kernel/index.js';
import { welchTTest } from './frequentist.js';
import { ratioMoments } from './ratio.js';
import { assertClose, assertTested, reference, type Json } from './test-support/reference.js';

describe('ratioMoments', () => {
  for (const c of reference.ratio as Json[]) {
    it(`should match the numpy delta method and the t-test on it: ${c.name}`, () => {
      const control = ratioMoments(c.control);
      const treatment = ratioMoments(c.treatment);
      for (const [label, actual, expected] of [['control', control, c.expected.control], ['treatment', treatment, c.expected.treatment]] as const) {
        assert.equal(actual.n, expected.n);
        assertClose(actual.mean, expected.mean, `${label}.mean`);
        assertClose(actual.variance, expected.variance, `${label}.variance`);
      }
      const r = welchTTest(control, treatment);
      assertClose(r.df, c.expected.df, 'df');
      assertTested(r.absolute, c.expected.absolute, 'absolute');
      assert.ok(r.relative);
      assertTested(r.relative, c.expected.relative, 'relative');
    });
  }

  it('should reduce to the mean metric when every denominator is 1', () => {
    const m = ratioMoments({ n: 4, numeratorSum: 10, numeratorSumSquares: 30, denominatorSum: 4, denominatorSumSquares: 4, sumProducts: 10 });
    assertClose(m.mean, 2.5, 'mean');
    assertClose(m.variance, 5 / 3, 'variance');
  });

  it('should refuse a zero denominator', () => {
    assert.throws(
      () => ratioMoments({ n: 4, numeratorSum: 0, numeratorSumSquares: 0, denominatorSum: 0, denominatorSumSquares: 0, sumProducts: 0 }),
      ValidationError,
    );
  });
});
