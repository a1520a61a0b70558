import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../kernel/index.js';
import { bayesianTest, type Posterior } from './bayesian.js';
import { meanMoments } from './summary.js';
import { assertClose, assertInterval, reference, type Json } from './test-support/reference.js';

function assertPosterior(actual: Posterior, expected: Json, label: string): void {
  assertClose(actual.mean, expected.mean, `${label}.mean`, expected.stdDev);
  assertClose(actual.stdDev, expected.stdDev, `${label}.stdDev`);
  assertClose(actual.chanceToWin, expected.chanceToWin, `${label}.chanceToWin`);
  // Relative down to 1e-9 posterior sds: below that a risk is a difference of two normal
  // tails under 1e-12, where jstat (erfc = 1 − erf) is accurate only in absolute terms.
  const floor = 1e-9 * expected.stdDev;
  assertClose(actual.risk.control, expected.risk.control, `${label}.risk.control`, floor);
  assertClose(actual.risk.treatment, expected.risk.treatment, `${label}.risk.treatment`, floor);
  assertInterval(actual.credibleInterval, expected.credibleInterval, label, expected.stdDev);
}

describe('bayesianTest', () => {
  for (const c of reference.bayesian as Json[]) {
    const prior = c.prior ? `prior N(${c.prior.mean}, ${c.prior.variance})` : 'flat prior';
    it(`should match the scipy posterior: ${c.name}, ${prior}, α=${c.alpha}${c.lowerIsBetter ? ', lower is better' : ''}`, () => {
      const r = bayesianTest(meanMoments(c.control), meanMoments(c.treatment), {
        alpha: c.alpha,
        ...(c.prior ? { prior: c.prior } : {}),
        lowerIsBetter: c.lowerIsBetter,
      });
      assertPosterior(r.absolute, c.expected.absolute, 'absolute');
      assert.ok(r.relative);
      assertPosterior(r.relative, c.expected.relative, 'relative');
    });
  }

  it('should give a coin flip and equal risks when the arms are identical', () => {
    const arm = { n: 1000, mean: 5, variance: 4 };
    const r = bayesianTest(arm, arm).relative;
    assert.ok(r);
    assert.equal(r.chanceToWin, 0.5);
    assertClose(r.risk.control, r.risk.treatment, 'risks');
  });

  it('should pull the estimate towards an informative prior and not at all with a flat one', () => {
    const control = { n: 200, mean: 10, variance: 25 };
    const treatment = { n: 200, mean: 11, variance: 25 };
    const flat = bayesianTest(control, treatment).relative;
    const tight = bayesianTest(control, treatment, { prior: { mean: 0, variance: 0.0001 } }).relative;
    assert.ok(flat && tight);
    assertClose(flat.mean, 0.1, 'flat posterior = estimate');
    assert.ok(tight.mean < flat.mean / 2, `${tight.mean} should shrink towards 0`);
  });

  it('should refuse a prior without positive variance, and a lift prior on a zero baseline', () => {
    const a = { n: 100, mean: 0, variance: 1 };
    const b = { n: 100, mean: 0.2, variance: 1 };
    assert.throws(() => bayesianTest(b, a, { prior: { mean: 0, variance: 0 } }), ValidationError);
    assert.throws(() => bayesianTest(a, b, { prior: { mean: 0, variance: 0.09 } }), ValidationError);
    assert.equal(bayesianTest(a, b).relative, null);
  });
});
