import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../kernel/index.js';
import { cupedAdjust, cupedTheta } from './cuped.js';
import { welchTTest } from './frequentist.js';
import { meanMoments } from './summary.js';
import { assertClose, assertTested, reference, type Json } from './test-support/reference.js';

describe('cupedAdjust', () => {
  for (const c of reference.cuped as Json[]) {
    it(`should match the numpy adjustment of raw values: ${c.name}`, () => {
      const r = cupedAdjust(c.variants);
      assertClose(r.theta, c.expected.theta, 'theta');
      assertClose(r.covariateMean, c.expected.covariateMean, 'covariateMean');
      r.variants.forEach((v, i) => {
        const e = c.expected.variants[i];
        assert.equal(v.n, e.n);
        assertClose(v.mean, e.mean, `variants[${i}].mean`);
        assertClose(v.variance, e.variance, `variants[${i}].variance`);
        assertClose(r.varianceRatios[i] as number, c.expected.varianceRatios[i], `varianceRatios[${i}]`);
      });
    });

    it(`should give scipy's Welch test on the adjusted values: ${c.name}`, () => {
      const [control, treatment] = cupedAdjust(c.variants).variants;
      assert.ok(control && treatment);
      const r = welchTTest(control, treatment);
      assertClose(r.df, c.expected.welch.df, 'df');
      assertTested(r.absolute, c.expected.welch.absolute, 'absolute');
      assert.ok(r.relative);
      assertTested(r.relative, c.expected.welch.relative, 'relative');
    });
  }

  it('should narrow the interval of the unadjusted test when the covariate predicts the metric', () => {
    const c = (reference.cuped as Json[])[0];
    const [control, treatment] = cupedAdjust(c.variants).variants;
    assert.ok(control && treatment);
    const plain = welchTTest(meanMoments(c.variants[0]), meanMoments(c.variants[1])).absolute;
    const adjusted = welchTTest(control, treatment).absolute;
    assert.ok(adjusted.standardError < plain.standardError * 0.7, `${adjusted.standardError} vs ${plain.standardError}`);
  });

  it('should leave the metric alone when the covariate is constant', () => {
    const v = { n: 10, sum: 50, sumSquares: 300, covariateSum: 20, covariateSumSquares: 40, sumProducts: 100 };
    assert.equal(cupedTheta([v, v]), 0);
    assert.deepEqual(cupedAdjust([v, v]).variants[0], meanMoments(v));
  });

  it('should need at least two variants', () => {
    const v = { n: 10, sum: 50, sumSquares: 300, covariateSum: 20, covariateSumSquares: 50, sumProducts: 100 };
    assert.throws(() => cupedAdjust([v]), ValidationError);
  });
});
