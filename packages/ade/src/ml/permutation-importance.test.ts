import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metricFor } from './metrics.js';
import { permutationImportance } from './permutation-importance.js';
import { seededRng } from './rng.js';

describe('permutationImportance', () => {
  it('should credit the columns the model reads, all slots of a column shuffled together, and give unused ones 0', () => {
    // Slots: 0 → column 0; 1, 2 → column 1 (say one-hot); 3 → column 2. The model reads slots 0 and 2.
    const n = 200;
    const p = 4;
    const rng = seededRng(1);
    const x = Float64Array.from({ length: n * p }, () => rng.next());
    const predict = (m: Float64Array, rows: number) => Float64Array.from({ length: rows }, (_, i) => 2 * m[i * p]! + m[i * p + 2]!);
    const y = predict(x, n);
    const input = { predict, x, n, p, y, width: 1, slotInput: Int32Array.from([0, 1, 1, 2]), columns: 3 };
    const mae = permutationImportance({ ...input, metric: metricFor('regression', 'mae') }, seededRng(2));
    assert.ok(mae[0]! > mae[1]! && mae[1]! > 0, `${mae}`);
    assert.equal(mae[2], 0);
    // Same sign convention whichever way the metric points.
    const r2 = permutationImportance({ ...input, metric: metricFor('regression', 'r2') }, seededRng(2));
    assert.ok(r2[0]! > r2[1]! && r2[1]! > 0 && r2[2] === 0, `${r2}`);
    // The input is left as it was.
    assert.deepEqual(predict(x, n), y);
  });
});
