import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { openTempLake } from '../test-support/temp-lake.js';

describe('stored experiment analyses', () => {
  it('should keep one analysis per experiment, as-of time and configuration, replacing it when re-run', async () => {
    const { dir, lake } = await openTempLake('ade-exp-analyses-');
    try {
      const asOf = new Date('2026-11-01T00:00:00Z');
      const hash = 'a'.repeat(64);
      const first = await lake.catalog.putExperimentAnalysis({ id: 'one', experiment: 'checkout', asOf, configHash: hash, computedBy: 'test', result: { n: 1 } });
      const again = await lake.catalog.putExperimentAnalysis({ id: 'two', experiment: 'checkout', asOf, configHash: hash, computedBy: 'test', result: { n: 2 } });
      assert.equal(again.id, first.id, 'the same analysis, recomputed');
      await lake.catalog.putExperimentAnalysis({ id: 'three', experiment: 'checkout', asOf: new Date('2026-11-02T00:00:00Z'), configHash: hash, computedBy: 'test', result: { n: 3 } });
      await lake.catalog.putExperimentAnalysis({ id: 'four', experiment: 'checkout', asOf, configHash: 'b'.repeat(64), computedBy: 'test', result: { n: 4 } });
      const list = await lake.catalog.listExperimentAnalyses('checkout');
      assert.deepEqual(list.map((a) => (a.result as { n: number }).n).sort(), [2, 3, 4]);
      assert.equal(list[0]!.asOf.toISOString(), '2026-11-02T00:00:00.000Z', 'newest as-of first');
      assert.deepEqual(await lake.catalog.listExperimentAnalyses('other'), []);
      await assert.rejects(lake.catalog.putExperimentAnalysis({ id: 'x', experiment: 'checkout', asOf, configHash: 'nope', computedBy: 't', result: {} }), /hash/);
    } finally {
      await lake.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
