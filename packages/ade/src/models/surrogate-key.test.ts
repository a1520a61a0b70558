import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine, engineConfig, type Workspace } from '../engine/index.js';
import { quoteLiteral } from '../kernel/index.js';
import { surrogateKey, surrogateKeySql } from './surrogate-key.js';

describe('surrogate keys', () => {
  let dir: string;
  let engine: Engine;
  let ws: Workspace;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ade-sk-'));
    engine = await Engine.create(engineConfig({ tempDir: join(dir, 'tmp'), threads: 2, memoryLimit: '256MB' }));
    ws = await engine.openWorkspace({ workDir: join(dir, 'ws') });
  });
  after(async () => {
    await ws?.close();
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should be RFC 4122 version 5 UUIDs, stable and distinct per table and key', () => {
    const a = surrogateKey('model.customer_d', [42]);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(a, surrogateKey('model.customer_d', ['42']));
    assert.notEqual(a, surrogateKey('model.order_f', [42]));
    assert.notEqual(surrogateKey('t', ['a', 'bc']), surrogateKey('t', ['ab', 'c']));
    assert.notEqual(surrogateKey('t', [null]), surrogateKey('t', ['']));
  });

  it('should compute in DuckDB exactly what JavaScript computes, for 10,000 keys', async () => {
    const rows = await ws.all(
      `SELECT i, 'c-' || i AS s, ${surrogateKeySql('model.customer_d', ['i'])} AS k1, ${surrogateKeySql('model.x', ['i', "'c-' || i"])} AS k2,
              ${surrogateKeySql('model.x', ['CASE WHEN i % 7 = 0 THEN NULL ELSE i END'])} AS k3
       FROM range(10000) AS t(i)`,
    );
    assert.equal(rows.length, 10_000);
    for (const r of rows) {
      const i = Number(r.i);
      assert.equal(r.k1, surrogateKey('model.customer_d', [i]));
      assert.equal(r.k2, surrogateKey('model.x', [i, `c-${i}`]));
      assert.equal(r.k3, surrogateKey('model.x', [i % 7 === 0 ? null : i]));
    }
    const [u] = await ws.all(`SELECT ${surrogateKeySql('t', [quoteLiteral('Zoë ☕')])} AS k`);
    assert.equal(u!.k, surrogateKey('t', ['Zoë ☕']));
  });
});
