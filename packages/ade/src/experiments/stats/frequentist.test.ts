import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../kernel/index.js';
import { welchTTest } from './frequentist.js';
import { meanMoments } from './summary.js';
import { assertClose, assertTested, reference, type Json } from './test-support/reference.js';

describe('welchTTest', () => {
  for (const c of reference.welch as Json[]) {
    it(`should match scipy's Welch test: ${c.name}, ${c.alternative}, α=${c.alpha}`, () => {
      const r = welchTTest(meanMoments(c.control), meanMoments(c.treatment), { alpha: c.alpha, alternative: c.alternative });
      assertClose(r.df, c.expected.df, 'df');
      assertTested(r.absolute, c.expected.absolute, 'absolute');
      if (c.expected.relative === null) assert.equal(r.relative, null);
      else {
        assert.ok(r.relative);
        assertTested(r.relative, c.expected.relative, 'relative');
      }
    });
  }

  it('should halve the two-sided p-value on the favoured side', () => {
    const control = { n: 500, mean: 10, variance: 9 };
    const treatment = { n: 500, mean: 10.4, variance: 9 };
    const two = welchTTest(control, treatment).absolute.pValue;
    assertClose(welchTTest(control, treatment, { alternative: 'greater' }).absolute.pValue, two / 2, 'greater');
    assertClose(welchTTest(control, treatment, { alternative: 'less' }).absolute.pValue, 1 - two / 2, 'less');
  });

  it('should refuse a constant metric, too few units and a bad alpha with a hint', () => {
    const constant = { n: 100, mean: 1, variance: 0 };
    assert.throws(() => welchTTest(constant, constant), (e: unknown) => e instanceof ValidationError && e.hint !== undefined);
    assert.throws(() => meanMoments({ n: 1, sum: 3, sumSquares: 9 }), ValidationError);
    assert.throws(() => welchTTest({ n: 10, mean: 1, variance: 1 }, { n: 10, mean: 1, variance: 1 }, { alpha: 1.5 }), ValidationError);
  });
});
