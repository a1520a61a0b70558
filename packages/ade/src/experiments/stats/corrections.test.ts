import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../kernel/index.js';
import { adjustPValues, benjaminiHochberg, holmBonferroni } from './corrections.js';
import { assertClose, reference, type Json } from './test-support/reference.js';

describe('multiple-comparison corrections', () => {
  for (const c of reference.corrections as Json[]) {
    it(`should match Holm by definition and scipy's BH for ${c.pValues.length} p-values`, () => {
      holmBonferroni(c.pValues).forEach((p, i) => assertClose(p, c.expected.holm[i], `holm[${i}]`));
      benjaminiHochberg(c.pValues).forEach((p, i) => assertClose(p, c.expected.benjaminiHochberg[i], `bh[${i}]`));
    });
  }

  it('should never lower a p-value, and BH should never exceed Holm', () => {
    for (const c of reference.corrections as Json[]) {
      const holm = holmBonferroni(c.pValues);
      const bh = benjaminiHochberg(c.pValues);
      c.pValues.forEach((p: number, i: number) => {
        assert.ok((bh[i] as number) >= p && (holm[i] as number) >= (bh[i] as number) - 1e-15);
      });
    }
  });

  it('should dispatch by name and refuse values outside [0, 1]', () => {
    assert.deepEqual(adjustPValues([0.01, 0.04, 0.03], 'none'), [0.01, 0.04, 0.03]);
    assert.deepEqual(adjustPValues([0.01, 0.04, 0.03], 'holm'), holmBonferroni([0.01, 0.04, 0.03]));
    assert.throws(() => benjaminiHochberg([0.2, Number.NaN]), ValidationError);
    assert.throws(() => holmBonferroni([1.2]), ValidationError);
  });
});
