import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { removeStaleStaging } from './stale-staging.js';

describe('removeStaleStaging', () => {
  it('should remove only stage-* folders untouched since the cutoff', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ade-staging-'));
    try {
      for (const d of ['stage-old', 'stage-new', 'other']) {
        await mkdir(join(root, d));
        await writeFile(join(root, d, 'x.parquet'), 'x');
      }
      const old = new Date(Date.now() - 2 * 86_400_000);
      await utimes(join(root, 'stage-old'), old, old);
      await utimes(join(root, 'other'), old, old);
      assert.equal(await removeStaleStaging(root, new Date(Date.now() - 86_400_000)), 1);
      assert.ok(!existsSync(join(root, 'stage-old')));
      assert.ok(existsSync(join(root, 'stage-new')));
      assert.ok(existsSync(join(root, 'other')));
      assert.equal(await removeStaleStaging(join(root, 'missing'), new Date()), 0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
