// The web UI end to end: `ade serve` on the demo project (small scale), the
// built UI at /, driven in headless Chromium through playwright-core. Logs in,
// searches a table, opens its page and its profile chart, runs a query and
// draws a bar chart, saves it to a dashboard, opens an experiment's results,
// promotes a model as admin and is refused as analyst; shows check and
// null-ratio history, blocked writes, open alerts and an experiment's
// cumulative effect; walks from login to a table page by keyboard alone and
// shows each role only what it may use (the audit log for admins). Every page is
// screenshotted into test-output/screenshots/ (README: "The web UI"), and no
// request may go to any host but the server. First meaningful paint of the
// home and table pages is measured and printed, not asserted.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { adeAsync, createToken, serverEnv, startServer } from './support/cli.js';

const CHROMIUM = process.env.ADE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = new URL('../test-output/screenshots/', import.meta.url).pathname;

describe('the web UI against ade serve on the demo', () => {
  let dir: string;
  let project: string;
  let server: ChildProcess | undefined;
  let url: string;
  let browser: Browser | undefined;
  const tokens: Record<string, string> = {};
  const env = serverEnv();
  const foreign = new Set<string>();

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium`);
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'ade-ui-'));
    env.ADE_KEYRING_FILE = join(dir, 'keys', 'demo.json');
    const demo = await adeAsync(dir, ['--json', 'demo', 'demo', '--scale', 'small', '--no-serve'], env);
    assert.equal(demo.code, 0, demo.stderr);
    project = join(dir, 'demo');
    const file = join(project, 'ade.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/granted_roles: \[[^\]]*\]/, 'granted_roles: [viewer, analyst, engineer, admin]'));
    for (const role of ['viewer', 'analyst', 'admin']) tokens[role] = await createToken(project, env, `ui-${role}`, { role });
    ({ server, url } = await startServer(project, env));
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    if (server && server.exitCode === null) server.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A new tab that records every request's host, logged in with `role`'s token. */
  async function signedIn(role: string): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    const host = new URL(url).host;
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.host !== host) foreign.add(r.url());
    });
    await page.goto(url);
    await page.getByLabel('API token').fill(tokens[role]!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Search').waitFor();
    return page;
  }

  /** First contentful paint of the current document, in ms (the browser's own figure). */
  const paint = (page: Page) =>
    page.evaluate(() => {
      const e = performance.getEntriesByName('first-contentful-paint')[0];
      return e ? Math.round(e.startTime) : null;
    });

  it('should let an analyst search, read a table, chart a query and save it to a dashboard', { timeout: 240_000 }, async (t) => {
    if (!browser) return t.skip(`no Chromium at ${CHROMIUM}`);
    const page = await signedIn('analyst');
    const homePaint = await paint(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'home.png'), fullPage: true });

    // Search a table and open its page: its profile chart draws.
    await page.getByLabel('Search').fill('customers');
    await page.getByRole('link', { name: /clean\.customers/ }).first().click();
    await page.getByTestId('profile-chart').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'table.png'), fullPage: true });
    await page.reload();
    await page.getByTestId('profile-chart').first().waitFor();
    const tablePaint = await paint(page);
    t.diagnostic(`first contentful paint: home ${homePaint} ms, table page ${tablePaint} ms (loopback; reported, not asserted)`);

    // Run a query, draw a bar chart, save it and add it to a dashboard.
    await page.goto(`${url}/#/sql`);
    const editor = page.getByTestId('sql-editor').locator('.cm-content');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('SELECT plan, count(*) AS customers FROM clean.customers GROUP BY plan ORDER BY plan');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('cell', { name: 'pro' }).first().waitFor();
    await page.getByLabel('Chart type').selectOption('bar');
    await page.getByTestId('result-chart').locator('canvas, svg').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'sql.png'), fullPage: true });
    page.once('dialog', (d) => void d.accept('customers_by_plan'));
    await page.getByRole('button', { name: 'Save query' }).click();
    await page.getByText(/saved/i).first().waitFor();
    page.once('dialog', (d) => void d.accept('overview'));
    await page.getByRole('button', { name: 'Add to dashboard' }).click();
    await page.getByText(/added/i).first().waitFor();
    assert.match(readFileSync(join(project, 'queries', 'customers_by_plan.sql'), 'utf8'), /GROUP BY plan/);
    assert.match(readFileSync(join(project, 'dashboards', 'overview.yaml'), 'utf8'), /customers_by_plan/);

    await page.goto(`${url}/#/dashboards/overview`);
    await page.locator('canvas, svg').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png'), fullPage: true });

    // An experiment's results.
    await page.goto(`${url}/#/experiments/checkout_button`);
    await page.getByTestId('experiment-results').waitFor();
    assert.match(await page.getByTestId('experiment-results').innerText(), /green_button/);
    await page.screenshot({ path: join(SCREENSHOTS, 'experiment.png'), fullPage: true });

    for (const [name, hash] of [['quality', '#/quality'], ['runs', '#/runs'], ['models', '#/models/churn'], ['experiments', '#/experiments'], ['dashboards', '#/dashboards']] as const) {
      await page.goto(`${url}/${hash}`);
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    }

    // An analyst may not promote: the UI disables the button or shows the server's refusal, and the server refuses.
    await page.goto(`${url}/#/models/churn`);
    const promote = page.getByRole('button', { name: 'Promote' }).first();
    await promote.waitFor();
    if (await promote.isEnabled()) {
      await promote.click();
      await page.getByRole('alert').first().waitFor();
      assert.match(await page.getByRole('alert').first().innerText(), /admin|permission|denied|may not/i);
    }
    const refused = await fetch(`${url}/v1/models/churn/promote`, { method: 'POST', headers: { authorization: `Bearer ${tokens.analyst}`, 'content-type': 'application/json' }, body: JSON.stringify({ version: 1, alias: 'champion' }) });
    assert.equal(refused.status, 403);
    await page.close();
  });

  it('should show checks and null ratios over time, blocked writes, alerts and an experiment\'s cumulative effect', { timeout: 240_000 }, async (t) => {
    if (!browser) return t.skip(`no Chromium at ${CHROMIUM}`);
    const get = async <T,>(path: string): Promise<T> => {
      const r = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${tokens.analyst}` } });
      assert.equal(r.status, 200, `${path}: ${r.status}`);
      return (await r.json()) as T;
    };
    // The API first: the demo's events were checked on two days (the history holds both), profiled twice, and its
    // next-day orders file (a negative total) was blocked.
    const history = await get<{ checkId: string; expected?: { low?: number } }[]>('/v1/checks/history?table=clean.events');
    const anomaly = history.filter((r) => r.checkId === 'clean.events/events_per_day');
    assert.ok(anomaly.length >= 2 && anomaly.every((r) => typeof r.expected?.low === 'number'), `events_per_day results: ${anomaly.length}`);
    const profiles = await get<{ points: { columns: { name: string; nullRatio: number }[] }[] }>('/v1/tables/clean.events/profile/history');
    assert.ok(profiles.points.length >= 2, `profiled snapshots: ${profiles.points.length}`);
    assert.ok(profiles.points.every((p) => p.columns.some((c) => c.name === 'user_id' && c.nullRatio > 0)), 'anonymous events have no user_id');
    const staged = await get<{ table: string; reason: string; rows: number }[]>('/v1/quality/staged');
    assert.ok(staged.some((w) => w.table === 'clean.orders' && /range/i.test(w.reason) && w.rows > 0), JSON.stringify(staged));
    const alerts = await get<{ table: string; state: string }[]>('/v1/alerts?state=open');
    assert.ok(alerts.some((a) => a.table === 'clean.events'), JSON.stringify(alerts));

    const page = await signedIn('analyst');
    await page.goto(`${url}/#/tables/clean.events`);
    await page.getByTestId('lineage-graph').waitFor();
    const lineage = await get<{ edges: [string, string][] }>('/v1/lineage/clean.events');
    assert.ok(lineage.edges.some(([from, to]) => from === 'clean.events' && to === 'model.event_f'), JSON.stringify(lineage.edges));
    await page.getByTestId('anomaly-chart').first().waitFor();
    await page.getByTestId('null-ratio-chart').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'table-history.png'), fullPage: true });

    await page.goto(`${url}/#/quality`);
    await page.getByTestId('staged-writes').waitFor();
    assert.match(await page.getByTestId('staged-writes').innerText(), /clean\.orders/);
    assert.match(await page.getByTestId('open-alerts').innerText(), /clean\.events/);
    await page.screenshot({ path: join(SCREENSHOTS, 'quality.png'), fullPage: true });

    // The timeline: computed on demand (one analysis per day boundary, thinned), then drawn per metric.
    await page.goto(`${url}/#/experiments/checkout_button`);
    await page.getByRole('button', { name: 'Compute daily history' }).click();
    await page.getByTestId('experiment-timeline').first().waitFor({ timeout: 180_000 });
    const timeline = await get<{ points: { asOf: string; metrics: { metric: string }[] }[] }>('/v1/experiments/checkout_button/timeline');
    assert.ok(timeline.points.length >= 10, `timeline points: ${timeline.points.length}`);
    assert.ok(timeline.points.every((p, i) => i === 0 || p.asOf > timeline.points[i - 1]!.asOf));
    await page.screenshot({ path: join(SCREENSHOTS, 'experiment-timeline.png'), fullPage: true });
    await page.close();
  });

  it('should work from the keyboard alone, and show each role only what it may use', { timeout: 120_000 }, async (t) => {
    if (!browser) return t.skip(`no Chromium at ${CHROMIUM}`);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    /** Presses Tab until the focused element matches (by its label, text or id), at most `max` times. */
    const tabTo = async (pattern: RegExp, max = 60) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate('(() => { const e = document.activeElement; if (!e) return ""; const l = e.labels && e.labels[0] ? e.labels[0].textContent : ""; return [e.id, e.getAttribute("aria-label"), l, e.textContent].filter(Boolean).join(" | "); })()');
        if (pattern.test(String(focused))) return String(focused);
      }
      throw new Error(`Tab never reached ${pattern}`);
    };
    await tabTo(/token/i);
    await page.keyboard.type(tokens.viewer!);
    await page.keyboard.press('Enter');
    await page.getByLabel('Search').waitFor();
    await tabTo(/search/i);
    await page.keyboard.type('orders');
    await tabTo(/clean\.orders/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'clean.orders', level: 1 }).waitFor();
    await page.getByTestId('profile-chart').first().waitFor();
    // Every button and field on the table page has a name a screen reader can say.
    const unnamed = await page.evaluate(
      '[...document.querySelectorAll("button, input, select, textarea")].filter((e) => !(e.getAttribute("aria-label") || (e.labels && e.labels.length) || (e.textContent || "").trim() || e.getAttribute("title"))).map((e) => e.outerHTML.slice(0, 80))',
    );
    assert.deepEqual(unnamed, []);
    // A viewer sees no audit log and may not save queries; an admin sees the log.
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Audit' }).count(), 0);
    await page.goto(`${url}/#/sql`);
    assert.equal(await page.getByRole('button', { name: 'Save query' }).isDisabled(), true);
    await page.screenshot({ path: join(SCREENSHOTS, 'viewer-sql.png'), fullPage: true });
    await page.close();

    const admin = await signedIn('admin');
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await admin.getByRole('table', { name: 'Audit log' }).waitFor();
    assert.match(await admin.getByRole('table', { name: 'Audit log' }).innerText(), /token/);
    await admin.screenshot({ path: join(SCREENSHOTS, 'audit.png'), fullPage: true });
    await admin.close();
  });

  it('should let an admin promote a model version', { timeout: 120_000 }, async (t) => {
    if (!browser) return t.skip(`no Chromium at ${CHROMIUM}`);
    const page = await signedIn('admin');
    await page.goto(`${url}/#/models/churn`);
    await page.getByRole('button', { name: 'Promote' }).first().click();
    await page.getByText(/promoted|champion/i).first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'models-admin.png'), fullPage: true });
    const shown = await adeAsync(project, ['--json', 'ml', 'show', 'churn'], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok((JSON.parse(shown.stdout) as { aliases: { alias: string }[] }).aliases.some((a) => a.alias === 'champion'));
    await page.close();
    assert.deepEqual([...foreign], [], 'the UI talks to its own server only');
  });
});
