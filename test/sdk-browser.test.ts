// @ade/sdk in a real browser: the SDK bundled by esbuild for the browser, on a
// page served from another loopback origin, in headless Chromium. The page's
// assignments match Node's bit for bit, and its AdeClient delivers exposures
// and events to `ade serve` across origins (CORS preflight with the write key),
// where they land once each.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { assign, type Experiment } from '../packages/sdk/src/index.js';
import { adeAsync, createToken, initServerProject, serverEnv, startServer } from './support/cli.js';

const CHROMIUM = process.env.ADE_TEST_CHROMIUM ?? '/usr/bin/chromium';
/** Flags for a closed network: no background connections, no sandbox as root. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const checkout: Experiment = {
  key: 'checkout_button',
  status: 'running',
  variants: [
    { name: 'control', weight: 1 },
    { name: 'green', weight: 1 },
    { name: 'big', weight: 2 },
  ],
  coverage: 0.8,
  namespace: { name: 'checkout', range: [0, 0.9] },
};

describe('the SDK in Chromium against ade serve', () => {
  let dir: string;
  let project: string;
  let server: ChildProcess | undefined;
  let url: string;
  let writeKey: string;
  let page: Server | undefined;
  let pageUrl: string;
  let browser: Browser | undefined;
  const env = serverEnv();

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      // CI installs Chromium (.ci/run); a machine without it cannot run this test.
      if (process.env.CI) throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium`);
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'ade-sdk-browser-'));
    project = await initServerProject(
      dir,
      env,
      `
collector:
  flush_interval: 1h        # flushed when the server stops
sources:
  web:
    format: ndjson
    location: data/web/*.ndjson
    event_id: messageId
    event_time: timestamp
    fields:
      userId: keep
`,
    );
    writeKey = await createToken(project, env, 'shop-web', { ingest: 'web' });
    ({ server, url } = await startServer(project, env));

    // The SDK as a browser script, from its TypeScript source: window.AdeSdk.
    const bundle = await build({ entryPoints: [new URL('../packages/sdk/src/index.ts', import.meta.url).pathname], bundle: true, format: 'iife', globalName: 'AdeSdk', platform: 'browser', target: 'es2020', write: false });
    const script = bundle.outputFiles[0]!.text;
    page = createServer((req, res) => {
      if (req.url === '/sdk.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>shop</title><script src="/sdk.js"></script>');
    });
    await new Promise<void>((resolve) => page!.listen(0, '127.0.0.1', resolve));
    // Another port is another origin: the collector must answer CORS.
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (page ? page.close(() => resolve()) : resolve()));
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('should assign as Node does and deliver exposures and events across origins', { timeout: 120_000 }, async (t) => {
    if (!browser) return t.skip(`no Chromium at ${CHROMIUM}`);
    const tab = await browser.newPage();
    const hosts = new Set<string>();
    tab.on('request', (r) => hosts.add(new URL(r.url()).host));
    await tab.goto(pageUrl);

    // 1. Assignment: 20,000 ids, ASCII and not, in the page and here.
    const ids = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? `user-${i}` : i % 3 === 1 ? `ünï-€-😀-${i}` : String(i)));
    // Page code goes in as source text: functions passed from here would carry tsx's helpers with them.
    const inPage = (await tab.evaluate(`(() => {
      const experiment = ${JSON.stringify(checkout)};
      return ${JSON.stringify(ids)}.map((id) => {
        const a = AdeSdk.assign(experiment, id);
        return [a.variant, a.hashValue, a.reason];
      });
    })()`)) as [string, number, string][];
    let differ = 0;
    ids.forEach((id, i) => {
      const a = assign(checkout, id);
      if (a.variant !== inPage[i]![0] || a.hashValue !== inPage[i]![1] || a.reason !== inPage[i]![2]) differ++;
    });
    assert.equal(differ, 0, 'the browser and Node assign every id alike');

    // 2. Delivery from the page: exposures for 200 units (three views each) and 10 tracked events.
    const units = Array.from({ length: 200 }, (_, i) => `shopper-${i}`);
    const errors = (await tab.evaluate(`(async () => {
      const experiment = ${JSON.stringify(checkout)};
      const units = ${JSON.stringify(units)};
      const problems = [];
      const client = new AdeSdk.AdeClient({ url: ${JSON.stringify(url)}, writeKey: ${JSON.stringify(writeKey)}, flushAt: 40, onError: (e) => problems.push(e.code + ': ' + e.message) });
      for (const u of units) for (let view = 0; view < 3; view++) client.getVariant(experiment, u);
      for (let i = 0; i < 10; i++) client.track('Product Viewed', { position: i }, { userId: units[i] });
      await client.close();
      return problems;
    })()`)) as string[];
    assert.deepEqual(errors, []);
    assert.deepEqual([...hosts].sort(), [new URL(pageUrl).host, new URL(url).host].sort(), 'the page talks to its own origin and the collector only');

    const exited = new Promise<number | null>((r) => server!.on('exit', (code) => r(code)));
    server!.kill('SIGTERM');
    assert.equal(await exited, 0, 'a SIGTERM flushes the collector');
    const r = await adeAsync(project, ['--json', 'sql', `SELECT user_id, properties_variation_id AS variant, event FROM clean.web ORDER BY event, user_id`], env);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { user_id: string; variant: string | null; event: string }[];
    const exposures = rows.filter((x) => x.event === 'Experiment Viewed');
    const expected = units.filter((u) => assign(checkout, u).inExperiment).sort();
    assert.ok(expected.length > 100, `most units are in (${expected.length})`);
    assert.deepEqual(exposures.map((x) => x.user_id), expected, 'one exposure per unit in the experiment');
    for (const x of exposures) assert.equal(x.variant, assign(checkout, x.user_id).variant);
    assert.equal(rows.filter((x) => x.event === 'Product Viewed').length, 10);
  });
});
