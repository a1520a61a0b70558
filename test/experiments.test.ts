// Experiments end to end: exposures and orders loaded into the lake, metrics
// and an experiment in ade.yaml, `ade exp list|analyze|show` and the HTTP
// routes, with the analysis stored once per as-of time and role-scoped.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adeAsync, createToken, initServerProject, serverEnv, startServer, type Ran } from './support/cli.js';

const YAML = `
metrics:
  purchased:
    type: binomial
    table: clean.orders
    unit: user_id
    time: ordered_at
    window: 14d
  revenue:
    table: clean.orders
    unit: user_id
    time: ordered_at
    value: amount
exposures: { table: clean.exposures, unit: user_id, variant: variant, time: exposed_at, key: experiment }
experiments:
  checkout:
    hypothesis: A one-page checkout converts more
    owner: growth
    status: running
    variants: [control, one_page]
    metrics: { primary: [purchased], secondary: [revenue] }
    mde: 0.1
`;

/** A small deterministic generator (an LCG), so the data and its answers are the same on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('ade exp', () => {
  let dir: string;
  let project: string;
  let server: ChildProcess | undefined;
  const env = serverEnv();
  const run = (...args: string[]): Promise<Ran> => adeAsync(project, args, env);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ade-exp-'));
    project = await initServerProject(dir, env, YAML);
    // 4,000 users; the one-page checkout converts 20% against the control's 10%.
    const rand = lcg(7);
    const exposures = ['experiment,user_id,variant,exposed_at'];
    const orders = ['user_id,ordered_at,amount'];
    for (let i = 0; i < 4000; i++) {
      const variant = i % 2 ? 'one_page' : 'control';
      const day = 1 + (i % 20);
      exposures.push(`checkout,u${i},${variant},2026-10-${String(day).padStart(2, '0')} 10:00:00`);
      if (rand() < (variant === 'control' ? 0.1 : 0.2)) orders.push(`u${i},2026-10-${String(day + 2).padStart(2, '0')} 12:00:00,${(20 + rand() * 40).toFixed(2)}`);
    }
    writeFileSync(join(dir, 'exposures.csv'), exposures.join('\n') + '\n');
    writeFileSync(join(dir, 'orders.csv'), orders.join('\n') + '\n');
    for (const t of ['exposures', 'orders']) {
      const r = await run('--as', 'engineer', 'load', join(dir, `${t}.csv`), '--table', `clean.${t}`);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('should list, analyse and show an experiment, finding its effect', async () => {
    const list = await run('--json', 'exp', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).map((e: any) => [e.key, e.status, e.lastAnalysis]), [['checkout', 'running', null]]);

    const analyzed = await run('--json', 'exp', 'analyze', 'checkout', '--as-of', '2026-11-01');
    assert.equal(analyzed.code, 0, analyzed.stderr);
    const a = JSON.parse(analyzed.stdout);
    assert.deepEqual(a.units, [
      { variant: 'control', units: 2000 },
      { variant: 'one_page', units: 2000 },
    ]);
    assert.equal(a.srm.mismatch, false);
    const purchased = a.metrics.find((m: any) => m.metric === 'purchased');
    const [cmp] = purchased.comparisons;
    assert.ok(cmp.adjustedPValue < 0.001, `p ${cmp.adjustedPValue}`);
    assert.ok(cmp.frequentist.relative.ci[0] > 0.3, 'a lift near 100% is found');

    // The human form draws the interval and names the methods.
    const text = await run('exp', 'analyze', 'checkout', '--as-of', '2026-11-01');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /purchased.*primary, binomial/);
    assert.match(text.stdout, /chance to win/);
    assert.match(text.stdout, /●/);

    const shown = await run('--json', 'exp', 'show', 'checkout');
    const show = JSON.parse(shown.stdout);
    assert.equal(show.analyses.length, 1, 'analysed three times as of the same time: stored once');
    assert.equal(show.latest.metrics[0].comparisons[0].adjustedPValue, cmp.adjustedPValue);

    const unknown = await run('exp', 'analyze', 'nope');
    assert.equal(unknown.code, 5, unknown.stderr);
    assert.match(unknown.stderr, /experiments in ade.yaml: checkout/);
  });

  it('should serve experiments and their analyses by role', async () => {
    let url: string;
    ({ server, url } = await startServer(project, env));
    const analyst = await createToken(project, env, 'exp-analyst', { role: 'analyst' });
    const viewer = await createToken(project, env, 'exp-viewer', { role: 'viewer' });
    const call = (path: string, token: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const list = (await (await call('/v1/experiments', viewer)).json()) as any[];
    assert.deepEqual(list.map((e) => e.key), ['checkout']);
    assert.equal((await call('/v1/experiments/checkout/analyze', viewer, {})).status, 403);
    const res = await call('/v1/experiments/checkout/analyze', analyst, { asOf: '2026-11-01T00:00:00Z' });
    assert.equal(res.status, 200);
    const a = (await res.json()) as any;
    assert.equal(a.metrics.length, 2);
    const detail = (await (await call('/v1/experiments/checkout', viewer)).json()) as any;
    assert.equal(detail.analyses.length, 1, 'the same as-of from the CLI and the API: one stored analysis');
    assert.equal((await call('/v1/experiments/nope', viewer)).status, 404);
    server!.kill('SIGTERM');
  });

});
