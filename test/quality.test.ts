// Data quality end to end with real processes: write-audit-publish (a batch an
// error check fails is never visible to readers and stays inspectable as
// staged), check results with history, and alerts to receivers on 127.0.0.1 —
// one per failing check, one recovery, no duplicates, and a dead receiver
// never fails a load.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ade, adeAsync, json } from './support/cli.js';

interface Received {
  path: string;
  body: any;
  key: string | undefined;
}

/** An HTTP receiver on 127.0.0.1 that records what it gets; `hang` never answers. */
async function receiver(opts: { hang?: boolean } = {}): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      got.push({ path: req.url ?? '', body: JSON.parse(text || 'null'), key: req.headers['idempotency-key'] as string | undefined });
      if (!opts.hang) res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, test: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('data quality: write-audit-publish and alerts', () => {
  let dir: string;
  let project: string;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let chat: Awaited<ReturnType<typeof receiver>>;
  const csv = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const load = (name: string, text: string) => adeAsync(project, ['--json', '--as', 'engineer', 'load', csv(name, text), '--table', 'clean.orders']);
  const count = async () => Number(json<any[]>(await adeAsync(project, ['--json', 'sql', 'SELECT count(*) AS n FROM clean.orders']))[0].n);
  const forCheck = (got: Received[], check: string) => got.filter((g) => JSON.stringify(g.body).includes(check));

  before(async () => {
    hook = await receiver();
    chat = await receiver();
    dir = mkdtempSync(join(tmpdir(), 'ade-quality-'));
    project = join(dir, 'proj');
    assert.equal(ade(dir, 'init', 'proj').code, 0);
    appendFileSync(
      join(project, 'ade.yaml'),
      `
checks:
  clean.orders:
    - not_null: [order_id, amount]
    - unique: order_id
    - range: { column: amount, min: 0 }
    - accepted_values: { column: status, values: [paid, shipped] }
      severity: warn
    - row_count: { min: 1 }
alerts:
  sinks:
    hook: { kind: webhook, url: ${hook.url}/hook }
    chat: { kind: slack, url: ${chat.url}/slack }
`,
    );
  });
  after(async () => {
    await new Promise((r) => hook.server.close(r));
    await new Promise((r) => chat.server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('should publish a batch that passes and block one an error check fails, keeping it staged for inspection', async () => {
    const good = await load('o1.csv', 'order_id,amount,status\n1,10,paid\n2,20,shipped\n3,30,paid\n');
    assert.equal(good.code, 0, good.stderr);
    assert.equal(await count(), 3);
    const snapshots = json<any[]>(await adeAsync(project, ['--json', 'history', 'clean.orders'])).length;

    // Amount -5 fails range (error) and order 3 repeats (unique, error): blocked, exit 8.
    const bad = await load('o2.csv', 'order_id,amount,status\n3,-5,paid\n4,40,paid\n');
    assert.equal(bad.code, 8, bad.stderr);
    const err = JSON.parse(bad.stderr.trim().split('\n').at(-1)!);
    assert.equal(err.error, 'quality.blocked');
    assert.match(err.message, /range\(amount\): 1 of 2 added rows have amount outside 0/);
    assert.match(err.message, /unique\(order_id\): 1 value of \(order_id\) repeat/);

    // Readers still see the previous snapshot; nothing was committed.
    assert.equal(await count(), 3);
    assert.equal(json<any[]>(await adeAsync(project, ['--json', 'history', 'clean.orders'])).length, snapshots);

    // The blocked write is inspectable, as the table would have been.
    const staged = json<any[]>(await adeAsync(project, ['--json', 'quality', 'staged']));
    assert.equal(staged.length, 1);
    assert.equal(staged[0].table, 'clean.orders');
    assert.equal(staged[0].id, err.details.stagedId);
    const asStaged = json<any[]>(await adeAsync(project, ['--json', 'quality', 'staged', staged[0].id, '--sql', 'SELECT count(*) AS n, min(amount) AS lo FROM clean.orders']));
    assert.equal(Number(asStaged[0].n), 5);
    assert.equal(Number(asStaged[0].lo), -5);
    const shown = json<any>(await adeAsync(project, ['--json', 'quality', 'staged', staged[0].id]));
    const failed = shown.results.filter((r: any) => r.status === 'fail').map((r: any) => r.check).sort();
    assert.deepEqual(failed, ['range(amount)', 'unique(order_id)']);
    const range = shown.results.find((r: any) => r.check === 'range(amount)');
    assert.equal(range.failing, 1);
    assert.equal(Number(range.sample[0].amount), -5, 'clean is an obfuscated zone: a failing row is kept as a sample');

    // GC keeps the staged files; a discarded one is garbage.
    assert.equal((await adeAsync(project, ['--as', 'engineer', 'gc', '--grace', '0s'])).code, 0);
    assert.equal(json<any[]>(await adeAsync(project, ['--json', 'quality', 'staged', staged[0].id, '--sql', 'SELECT count(*) AS n FROM clean.orders']))[0].n, 5);
    assert.equal((await adeAsync(project, ['--as', 'engineer', 'quality', 'staged', staged[0].id, '--discard'])).code, 0);
    assert.equal(json<any[]>(await adeAsync(project, ['--json', 'quality', 'staged'])).length, 0);
    const gc = json<any>(await adeAsync(project, ['--json', '--as', 'engineer', 'gc', '--grace', '0s']));
    assert.ok(gc.deletedOrphans >= 1, JSON.stringify(gc));

    // `ade check` on the current snapshot: the error checks pass, so exit 0, and results have history.
    const checked = json<any>(await adeAsync(project, ['--json', 'check', 'clean.orders']));
    assert.equal(checked.failed, 0);
    const history = json<any[]>(await adeAsync(project, ['--json', 'quality', 'results', '--check', 'clean.orders/range(amount)']));
    assert.deepEqual(
      history.map((r) => r.status),
      ['pass', 'fail', 'pass'],
    );
    assert.ok(history[1].stagedId, 'the failing result points at the staged snapshot');

    // Each commit is profiled by a background process after the command exits; the profile is stored per snapshot.
    const current = json<any[]>(await adeAsync(project, ['--json', 'history', 'clean.orders']))[0].id;
    const db = new Database(join(project, '.ade', 'catalog.db'), { readonly: true });
    try {
      const stored = () => db.prepare(`SELECT count(*) AS n FROM profiles WHERE table_ref = 'clean.orders' AND snapshot_id = ? AND scope = 'table'`).get(current) as { n: number };
      await until('the background profile', () => stored().n === 1);
    } finally {
      db.close();
    }
    const profile = json<any>(await adeAsync(project, ['--json', 'profile', 'clean.orders']));
    assert.equal(profile.stored, true, 'read from the catalog, not computed again');
    assert.equal(profile.snapshotId, current);
    assert.equal(profile.rows, 3);
  });

  it('should alert once per failing check across three failing runs, then send one recovery', async () => {
    // The range check failed in the first test (one alert opened) and passed in `ade check` (one recovery).
    await until('range alert and recovery', () => forCheck(hook.got, 'range(amount)').length === 2 && forCheck(chat.got, 'range(amount)').length === 2);
    assert.deepEqual(
      forCheck(hook.got, 'range(amount)').map((g) => g.body.kind),
      ['open', 'recovered'],
    );

    // Three loads in a row with a status outside the accepted values: a warning, so they publish.
    for (const [i, id] of [10, 11, 12].entries()) {
      const r = await load(`w${i}.csv`, `order_id,amount,status\n${id},5,lost\n`);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(await count(), 6, 'warn checks publish');
    await until('one open alert per sink', () => forCheck(hook.got, 'accepted_values(status)').length >= 1 && forCheck(chat.got, 'accepted_values(status)').length >= 1);
    await sleep(1500);
    assert.equal(forCheck(hook.got, 'accepted_values(status)').length, 1, 'no duplicate alerts across three failing runs');
    assert.equal(forCheck(chat.got, 'accepted_values(status)').length, 1);
    const open = forCheck(hook.got, 'accepted_values(status)')[0]!;
    assert.equal(open.body.kind, 'open');
    assert.equal(open.body.severity, 'warn');
    assert.equal(open.body.table, 'clean.orders');
    assert.equal(open.key, open.body.id, 'receivers can drop duplicates by Idempotency-Key');
    assert.match(chat.got.find((g) => JSON.stringify(g.body).includes('accepted_values(status)'))!.body.text, /clean\.orders/);

    // A good batch: the check passes again, one recovery notice per sink.
    const fixed = await load('w3.csv', 'order_id,amount,status\n13,5,paid\n');
    assert.equal(fixed.code, 0, fixed.stderr);
    await until('one recovery per sink', () => forCheck(hook.got, 'accepted_values(status)').length === 2 && forCheck(chat.got, 'accepted_values(status)').length === 2);
    assert.equal(forCheck(hook.got, 'accepted_values(status)')[1]!.body.kind, 'recovered');
    assert.equal(forCheck(hook.got, 'accepted_values(status)')[1]!.body.alertId, open.body.alertId);
    const alerts = json<any>(await adeAsync(project, ['--json', 'alerts', '--all']));
    assert.equal(alerts.alerts.filter((a: any) => a.state === 'open').length, 0);
  });

  it('should block a model build whose header check fails, keep the model at its snapshot and skip what depends on it', async () => {
    const proj = join(dir, 'models');
    assert.equal(ade(dir, 'init', 'models').code, 0);
    mkdirSync(join(proj, 'models', 'model'), { recursive: true });
    mkdirSync(join(proj, 'models', 'report'), { recursive: true });
    const model = (max: number) =>
      writeFileSync(join(proj, 'models', 'model', 'small.sql'), `/*\nkind: report\nchecks:\n  - range: { column: amount, max: ${max} }\n*/\nSELECT order_id, amount FROM ref('clean.orders')\n`);
    writeFileSync(join(proj, 'models', 'report', 'n.sql'), "SELECT count(*) AS n FROM ref('model.small')\n");
    assert.equal((await adeAsync(proj, ['--as', 'engineer', 'load', csv('m1.csv', 'order_id,amount\n1,10\n2,12\n'), '--table', 'clean.orders'])).code, 0);
    model(100);
    assert.equal((await adeAsync(proj, ['--as', 'engineer', 'run'])).code, 0);
    assert.equal((await adeAsync(proj, ['--as', 'engineer', 'load', csv('m2.csv', 'order_id,amount\n3,500\n'), '--table', 'clean.orders'])).code, 0);
    model(50);
    const run = await adeAsync(proj, ['--json', '--as', 'engineer', 'run']);
    assert.equal(run.code, 1);
    const results = JSON.parse(run.stdout) as any[];
    assert.deepEqual(results.map((r) => [r.table, r.status]), [['model.small', 'failed'], ['report.n', 'skipped']]);
    assert.match(results[0].error, /blocked by its error checks: range\(amount\): 1 of 3 added rows/);
    const rows = json<any[]>(await adeAsync(proj, ['--json', 'sql', 'SELECT count(*) AS n, max(amount) AS hi FROM model.small']));
    assert.deepEqual(rows, [{ n: 2, hi: 12 }], 'readers still see the last good build');
    assert.equal(json<any[]>(await adeAsync(proj, ['--json', 'quality', 'staged']))[0].table, 'model.small');
  });

  it('should never fail a load because a receiver is down or hangs', async () => {
    const hanging = await receiver({ hang: true });
    const refused = await receiver();
    const refusedUrl = refused.url;
    await new Promise((r) => refused.server.close(r));
    const other = join(dir, 'down');
    assert.equal(ade(dir, 'init', 'down').code, 0);
    appendFileSync(
      join(other, 'ade.yaml'),
      `
checks:
  clean.orders:
    - not_null: amount
      severity: warn
alerts:
  sinks:
    dead: { kind: webhook, url: ${refusedUrl}/x }
    slow: { kind: opsgenie, url: ${hanging.url}, api_key_env: ADE_TEST_GENIE }
`,
    );
    process.env.ADE_TEST_GENIE = 'test-key';
    try {
      const r = await adeAsync(other, ['--json', '--as', 'engineer', 'load', csv('n1.csv', 'order_id,amount\n1,\n2,3\n'), '--table', 'clean.orders']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(json<any>(r).rows, 2, 'the rows landed');
      // The load returned while delivery had not even started: notices wait in the outbox for the background deliverer.
      const queued = json<any>(await adeAsync(other, ['--json', 'alerts', '--all']));
      assert.equal(queued.alerts.length, 1);
      assert.equal(queued.notices.length, 2);
      // The background deliverer reaches the hanging receiver and gives up there; the dead one is refused. Both are left to retry later.
      await until('the hanging receiver to be called', () => hanging.got.length >= 1);
      assert.equal(hanging.got[0]!.path, '/v2/alerts');
      assert.ok(existsSync(join(other, 'ade.yaml')));
    } finally {
      delete process.env.ADE_TEST_GENIE;
      hanging.server.closeAllConnections();
      await new Promise((r) => hanging.server.close(r));
    }
  });
});
