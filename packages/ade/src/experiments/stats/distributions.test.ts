import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chiSquareSf, normalCdf, normalInv, studentTCdf, studentTInv, studentTSf } from './distributions.js';
import { assertClose, reference } from './test-support/reference.js';

const ref = reference.distributions;

describe('distribution functions', () => {
  it('should match scipy for the t upper tail, from 2.5 to 10⁹ degrees of freedom', () => {
    for (const [t, df, expected] of ref.studentTSf) assertClose(studentTSf(t, df), expected, `sf(${t}, ${df})`);
  });

  it('should match scipy for t quantiles, including past the 10⁶-df switch to the expansion', () => {
    for (const [p, df, expected] of ref.studentTInv) assertClose(studentTInv(p, df), expected, `inv(${p}, ${df})`, 1e-9);
  });

  it('should match scipy for the normal distribution function and quantile', () => {
    for (const [x, expected] of ref.normalCdf) assertClose(normalCdf(x), expected, `Φ(${x})`);
    for (const [p, expected] of ref.normalInv) assertClose(normalInv(p), expected, `Φ⁻¹(${p})`);
  });

  it('should keep deep normal tails (below 1e-12) accurate in absolute terms only', () => {
    for (const [x, expected] of ref.normalCdfDeepTail) {
      assert.ok(Math.abs(normalCdf(x) - expected) < 1e-16, `Φ(${x}) = ${normalCdf(x)}, scipy ${expected}`);
    }
  });

  it('should match scipy for the chi-square upper tail', () => {
    for (const [x, df, expected] of ref.chiSquareSf) assertClose(chiSquareSf(x, df), expected, `χ²sf(${x}, ${df})`);
  });

  it('should be continuous at the large-df switch and treat df = Infinity as normal', () => {
    assertClose(studentTSf(1.7, 1e6), studentTSf(1.7, 1e6 + 1e-3), 'sf across the switch');
    assertClose(studentTInv(0.99, 1e6), studentTInv(0.99, 1e6 + 1e-3), 'inv across the switch');
    assert.equal(studentTSf(1.3, Infinity), normalCdf(-1.3));
    assert.equal(studentTInv(0.975, Infinity), normalInv(0.975));
    assertClose(studentTCdf(-1.3, 12) + studentTSf(-1.3, 12), 1, 'cdf + sf');
  });
});
