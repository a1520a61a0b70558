// @ade/sdk end to end: an app's AdeClient against `ade serve` on 127.0.0.1.
// Exposures logged by two clients (two devices of the same users) and tracked
// events land in clean.<source> once each after the server stops with SIGTERM,
// with the variant the SDK assigned.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdeClient, assign, type AdeSdkError, type Experiment } from '../packages/sdk/src/index.js';
import { adeAsync, createToken, initServerProject, serverEnv, startServer } from './support/cli.js';

const checkout: Experiment = {
  key: 'checkout_button',
  status: 'running',
  variants: [
    { name: 'control', weight: 1 },
    { name: 'green', weight: 1 },
  ],
  coverage: 0.5,
  forcedVariations: { 'qa-1': 'green' },
};
const units = Array.from({ length: 300 }, (_, i) => `user-${i}`);

describe('the SDK against ade serve', () => {
  let dir: string;
  let project: string;
  let server: ChildProcess;
  let url: string;
  let writeKey: string;
  const env = serverEnv();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ade-sdk-'));
    project = await initServerProject(
      dir,
      env,
      `
collector:
  flush_interval: 1h        # flushed when the server stops
sources:
  app:
    format: ndjson
    location: data/app/*.ndjson
    event_id: messageId
    event_time: timestamp
    fields:
      userId: keep
`,
    );
    writeKey = await createToken(project, env, 'web-app', { ingest: 'app' });
    ({ server, url } = await startServer(project, env));
  });
  after(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('should land each exposure once, with the assigned variant, and every tracked event', async () => {
    const errors: AdeSdkError[] = [];
    const devices = [0, 1].map(() => new AdeClient({ url, writeKey, flushAt: 50, onError: (e) => errors.push(e) }));
    for (const device of devices) {
      for (const unit of units) {
        for (let view = 0; view < 3; view++) device.getVariant(checkout, unit);
      }
      device.getVariant(checkout, 'qa-1');
    }
    for (let i = 0; i < 25; i++) devices[0]!.track('Order Completed', { total: i }, { userId: units[i]! });
    await Promise.all(devices.map((d) => d.close()));
    assert.deepEqual(errors, []);

    const exited = new Promise<number | null>((r) => server.on('exit', (code) => r(code)));
    server.kill('SIGTERM');
    assert.equal(await exited, 0, 'a SIGTERM flushes the collector');

    const sql = async (query: string) => {
      const r = await adeAsync(project, ['--json', 'sql', query], env);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, unknown>[];
    };
    const exposures = await sql(
      `SELECT user_id, properties_experiment_key AS experiment, properties_variation_id AS variant, message_id
         FROM clean.app WHERE event = 'Experiment Viewed' ORDER BY user_id`,
    );
    const expected = units.filter((u) => assign(checkout, u).inExperiment);
    assert.ok(expected.length > 100 && expected.length < 200, `about half the units are in (${expected.length})`);
    assert.deepEqual(
      exposures.map((e) => e.user_id),
      [...expected].sort(),
      'one exposure per unit in the experiment, whatever the device and view count; none for forced or excluded units',
    );
    for (const e of exposures) {
      assert.equal(e.experiment, 'checkout_button');
      assert.equal(e.variant, assign(checkout, e.user_id as string).variant);
    }
    const [orders] = await sql(`SELECT count(*) AS n, count(DISTINCT message_id) AS ids FROM clean.app WHERE event = 'Order Completed'`);
    assert.deepEqual([Number(orders!.n), Number(orders!.ids)], [25, 25]);
  });
});
