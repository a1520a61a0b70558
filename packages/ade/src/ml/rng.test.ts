import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveRng, seededRng } from './rng.js';

describe('seededRng', () => {
  it('should repeat a sequence for a seed, differ across seeds, and stay in range', () => {
    const a = Array.from({ length: 5 }, seededRng(7).next);
    const rng = seededRng(7);
    assert.deepEqual(Array.from({ length: 5 }, rng.next), a);
    assert.notDeepEqual(Array.from({ length: 5 }, seededRng(8).next), a);
    const r = seededRng(1);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const u = r.next();
      assert.ok(u >= 0 && u < 1);
      counts[r.int(10)]!++;
    }
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `int(10) is uniform: ${counts}`);
    assert.notDeepEqual(Array.from({ length: 3 }, deriveRng(seededRng(1)).next), Array.from({ length: 3 }, seededRng(1).next));
  });
});
