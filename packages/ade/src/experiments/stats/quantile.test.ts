import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../kernel/index.js';
import { quantileMoments, quantileRanks, quantileTest, type QuantileSummary } from './quantile.js';
import { seededRandom } from './test-support/prng.js';
import { assertClose, assertTested, reference, type Json } from './test-support/reference.js';

describe('quantile metrics', () => {
  for (const c of reference.quantile as Json[]) {
    it(`should match the numpy order statistics and z-test: ${c.name}, rank α=${c.control.rankAlpha}, ${c.alternative} α=${c.alpha}`, () => {
      assert.deepEqual(quantileRanks(c.control.n, c.level, c.control.rankAlpha), c.expected.ranks.control);
      assert.deepEqual(quantileRanks(c.treatment.n, c.level, c.treatment.rankAlpha), c.expected.ranks.treatment);
      const r = quantileTest(c.control, c.treatment, { alpha: c.alpha, alternative: c.alternative });
      for (const side of ['control', 'treatment'] as const) {
        assertClose(r[side].mean, c.expected[side].mean, `${side}.mean`);
        assertClose(r[side].variance, c.expected[side].variance, `${side}.variance`);
      }
      assertTested(r.absolute, c.expected.absolute, 'absolute');
      assert.ok(r.relative);
      assertTested(r.relative, c.expected.relative, 'relative');
    });
  }

  it('should cover the true difference of medians about 95% of the time', () => {
    // 400 A/B pairs of exponential samples (rate 1 vs rate 1/1.2): true median difference 0.2·ln 2.
    const rng = seededRandom(7);
    const truth = 0.2 * Math.LN2;
    const n = 800;
    const summarise = (scale: number): QuantileSummary => {
      const values = Array.from({ length: n }, () => -scale * Math.log(1 - rng.uniform())).sort((a, b) => a - b);
      const ranks = quantileRanks(n, 0.5);
      const at = (rank: number): number => values[rank - 1] as number;
      return { n, level: 0.5, estimate: at(ranks.estimate), lower: at(ranks.lower), upper: at(ranks.upper) };
    };
    let covered = 0;
    const runs = 400;
    for (let i = 0; i < runs; i++) {
      const { ci } = quantileTest(summarise(1), summarise(1.2)).absolute;
      if (ci[0] <= truth && truth <= ci[1]) covered++;
    }
    const rate = covered / runs;
    assert.ok(rate >= 0.91 && rate <= 0.99, `coverage ${rate}`);
  });

  it('should refuse too few units for an extreme quantile and out-of-order statistics', () => {
    assert.throws(() => quantileRanks(100, 0.99), ValidationError);
    assert.throws(() => quantileMoments({ n: 1000, level: 0.5, estimate: 5, lower: 6, upper: 7 }), ValidationError);
  });
});
