import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { choleskySolve } from './cholesky.js';

describe('choleskySolve', () => {
  it('should solve a positive-definite system and refuse a singular one', () => {
    // A = [[4, 2, 0], [2, 5, 1], [0, 1, 3]], x = [1, -1, 2] → b = A·x = [2, -1, 5]
    const a = Float64Array.of(4, 2, 0, 2, 5, 1, 0, 1, 3);
    const x = choleskySolve(a, 3, Float64Array.of(2, -1, 5))!;
    [1, -1, 2].forEach((v, i) => assert.ok(Math.abs(x[i]! - v) < 1e-14, `x[${i}] = ${x[i]}`));
    assert.deepEqual(a, Float64Array.of(4, 2, 0, 2, 5, 1, 0, 1, 3), 'A is left as it was');
    assert.equal(choleskySolve(Float64Array.of(1, 1, 1, 1), 2, Float64Array.of(1, 1)), undefined);
    assert.equal(choleskySolve(Float64Array.of(1, 0, 0, -1), 2, Float64Array.of(1, 1)), undefined);
    assert.equal(choleskySolve(new Float64Array(0), 0, new Float64Array(0))!.length, 0);
  });
});
