import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { welchTTest } from './frequentist.js';
import { sequentialTest } from './sequential.js';
import { meanMoments, type MeanSummary } from './summary.js';
import { seededRandom } from './test-support/prng.js';

/**
 * A/A simulation: no true effect, so every rejection is a false positive.
 * 1,000 experiments × 1,000 users per arm (normal metric, mean 10, sd 3), looked at
 * after every 10% of the data:
 * - fixed horizon: Welch's test once, at the end — should reject ≈ α = 5%;
 * - naive peeking: Welch's test at all 10 looks, reject if any p < 0.05 — inflates;
 * - sequential: the confidence sequence (tuned to the final 2,000 users) at all 10 looks,
 *   reject if any always-valid p < 0.05 — should stay ≤ 5%.
 */
const EXPERIMENTS = 1_000;
const USERS_PER_ARM = 1_000;
const LOOKS = 10;
const ALPHA = 0.05;

describe('A/A simulation', () => {
  it('should hold the false-positive rate at α for fixed-horizon and sequential tests, and show naive peeking inflating it', { timeout: 60_000 }, () => {
    const rng = seededRandom(20260701);
    let fixed = 0;
    let naive = 0;
    let sequential = 0;
    const started = Date.now();
    for (let e = 0; e < EXPERIMENTS; e++) {
      const control = { n: 0, sum: 0, sumSquares: 0 };
      const treatment = { n: 0, sum: 0, sumSquares: 0 };
      let naiveRejected = false;
      let sequentialRejected = false;
      let lastP = 1;
      for (let look = 1; look <= LOOKS; look++) {
        for (let i = 0; i < USERS_PER_ARM / LOOKS; i++) {
          add(control, 10 + 3 * rng.normal());
          add(treatment, 10 + 3 * rng.normal());
        }
        const c = meanMoments(control);
        const t = meanMoments(treatment);
        lastP = welchTTest(c, t, { alpha: ALPHA }).absolute.pValue;
        if (lastP < ALPHA) naiveRejected = true;
        const seq = sequentialTest(c, t, { alpha: ALPHA, expectedSampleSize: 2 * USERS_PER_ARM });
        if (seq.absolute.pValue < ALPHA) sequentialRejected = true;
      }
      if (lastP < ALPHA) fixed++;
      if (naiveRejected) naive++;
      if (sequentialRejected) sequential++;
    }
    const rate = (k: number): number => k / EXPERIMENTS;
    console.log(
      `A/A false-positive rates over ${EXPERIMENTS} experiments (${LOOKS} looks): fixed-horizon Welch ${pct(rate(fixed))}, ` +
        `naive peeking ${pct(rate(naive))}, sequential confidence sequence ${pct(rate(sequential))} (${Date.now() - started} ms)`,
    );
    assert.ok(rate(fixed) >= 0.035 && rate(fixed) <= 0.065, `fixed-horizon ${pct(rate(fixed))} outside [3.5%, 6.5%]`);
    assert.ok(rate(sequential) <= 0.065, `sequential ${pct(rate(sequential))} above 5% + tolerance`);
    assert.ok(rate(naive) > 0.1, `naive peeking ${pct(rate(naive))} does not visibly inflate`);
  });
});

function add(s: { n: number; sum: number; sumSquares: number } & MeanSummary, y: number): void {
  s.n++;
  s.sum += y;
  s.sumSquares += y * y;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
