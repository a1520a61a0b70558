import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../kernel/index.js';
import { sampleRatioMismatch } from './srm.js';
import { assertClose, reference, type Json } from './test-support/reference.js';

describe('sampleRatioMismatch', () => {
  for (const c of reference.srm as Json[]) {
    it(`should match scipy's chi-square test: ${c.counts.join('/')} against ${c.weights.join(':')}`, () => {
      const r = sampleRatioMismatch(c.counts, c.weights);
      assertClose(r.chiSquare, c.expected.chiSquare, 'chiSquare');
      assert.equal(r.df, c.expected.df);
      assertClose(r.pValue, c.expected.pValue, 'pValue');
      r.expected.forEach((e, i) => assertClose(e, c.expected.expected[i], `expected[${i}]`));
      assert.equal(r.mismatch, c.expected.pValue < 0.001);
    });
  }

  it('should flag a 5000/5400 split of a 50/50 experiment and pass a 5000/5100 one', () => {
    assert.equal(sampleRatioMismatch([5000, 5400], [50, 50]).mismatch, true);
    assert.equal(sampleRatioMismatch([5000, 5100], [50, 50]).mismatch, false);
  });

  it('should not flag an experiment without units yet', () => {
    assert.deepEqual(sampleRatioMismatch([0, 0], [1, 1]).pValue, 1);
  });

  it('should refuse mismatched lengths and non-positive weights', () => {
    assert.throws(() => sampleRatioMismatch([10, 20], [1]), ValidationError);
    assert.throws(() => sampleRatioMismatch([10, 20], [1, 0]), ValidationError);
    assert.throws(() => sampleRatioMismatch([10.5, 20], [1, 1]), ValidationError);
  });
});
