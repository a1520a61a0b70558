import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../kernel/index.js';
import { minimumDetectableEffect, power, sampleSizePerVariant } from './power.js';
import { assertClose, reference, type Json } from './test-support/reference.js';

describe('power calculator', () => {
  for (const c of reference.power as Json[]) {
    it(`should match scipy root finding: σ²=${c.variance}, α=${c.alpha}, δ=${c.effect}, n=${c.nPerVariant}, power ${c.power}`, () => {
      const base = { variance: c.variance, alpha: c.alpha };
      assertClose(power({ ...base, effect: c.effect, nPerVariant: c.nPerVariant }), c.expected.power, 'power');
      assertClose(minimumDetectableEffect({ ...base, nPerVariant: c.nPerVariant, power: c.power }), c.expected.minimumDetectableEffect, 'mde');
      assert.equal(sampleSizePerVariant({ ...base, effect: c.effect, power: c.power }), c.expected.sampleSizePerVariant);
    });
  }

  it('should round-trip: the MDE at n has the requested power, and the sample size reaches it', () => {
    const mde = minimumDetectableEffect({ variance: 4, nPerVariant: 2500, power: 0.8 });
    assertClose(power({ variance: 4, effect: mde, nPerVariant: 2500 }), 0.8, 'power at the MDE');
    const n = sampleSizePerVariant({ variance: 4, effect: 0.15, power: 0.9 });
    assert.ok(power({ variance: 4, effect: 0.15, nPerVariant: n }) >= 0.9);
    assert.ok(power({ variance: 4, effect: 0.15, nPerVariant: n - 1 }) < 0.9);
  });

  it('should refuse a target power at or below alpha', () => {
    assert.throws(() => minimumDetectableEffect({ variance: 1, nPerVariant: 100, power: 0.05 }), ValidationError);
    assert.throws(() => sampleSizePerVariant({ variance: 0, effect: 0.1, power: 0.8 }), ValidationError);
  });
});
