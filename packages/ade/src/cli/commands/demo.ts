import { randomBytes } from 'node:crypto';
import { appendFileSync, createReadStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import pc from 'picocolors';
import { checkServerSecret, issueToken } from '../../api/api-tokens.js';
import { DATASET_SCALES, DEMO_CHECKS_YAML, DEMO_END_DATE, DEMO_EXPERIMENTS_YAML, DEMO_SOURCES_YAML, runDemo, writeDemoModels, type DatasetScale, type DemoDelivery, type DemoReport } from '../../demo/index.js';
import { AdeError, formatBytes, ValidationError } from '../../kernel/index.js';
import type { Keyring } from '../../privacy/index.js';
import { openApiParts, parsePort } from '../api-parts.js';
import { openContext, type CommandContext, type GlobalOptions } from '../context.js';
import { renderTable } from '../output.js';
import { createProgress } from '../progress.js';
import { PROJECT_FILE } from '../project.js';
import { createKeyring, keyringLocation, loadKeyring } from '../keyring-file.js';
import { render as renderAnalysis } from './exp.js';
import { renderImportance, renderLeaderboard } from './ml.js';
import { initProject } from './init.js';

export interface DemoCommandOptions extends GlobalOptions {
  scale?: string;
  seed?: string;
  port?: string;
  /** false: stop the server once the demo is done (`--no-serve`). */
  serve?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `ade demo [dir]`: a demo project, a seeded dataset, loads, live deliveries
 * through the server's collector and CDC endpoint over loopback HTTP, models,
 * answers — then the server keeps running (unless `--no-serve`) with a token
 * for the reader to try.
 */
export async function demoCommand(dir: string, opts: DemoCommandOptions, env: Env, version: string): Promise<DemoReport> {
  const scale = (opts.scale ?? 'medium') as DatasetScale;
  if (!(scale in DATASET_SCALES)) throw new ValidationError(`unknown --scale ${scale}`, { hint: `use ${Object.keys(DATASET_SCALES).join(', ')}` });
  const seed = opts.seed === undefined ? 42 : Number(opts.seed);
  if (!Number.isInteger(seed)) throw new ValidationError(`--seed must be an integer, not ${opts.seed}`);
  const target = resolve(dir);
  if (!existsSync(join(target, PROJECT_FILE))) await initProject(target, { name: 'ade-demo' });
  // The demo's sources go into its ade.yaml, so that `ade ingest <source>` works there afterwards.
  if (!/^sources:/m.test(readFileSync(join(target, PROJECT_FILE), 'utf8'))) appendFileSync(join(target, PROJECT_FILE), DEMO_SOURCES_YAML);
  // And its data-quality checks.
  if (!/^checks:/m.test(readFileSync(join(target, PROJECT_FILE), 'utf8'))) appendFileSync(join(target, PROJECT_FILE), DEMO_CHECKS_YAML);
  // And its metrics and experiments.
  if (!/^experiments:/m.test(readFileSync(join(target, PROJECT_FILE), 'utf8'))) appendFileSync(join(target, PROJECT_FILE), DEMO_EXPERIMENTS_YAML);
  // And its models go into models/, so that `ade run` builds them there afterwards (files already there are kept).
  await writeDemoModels(target);
  // The demo is one long process: it profiles its commits itself, in the background as it goes.
  const ctx = await openContext({ ...opts, project: target, as: undefined }, { deferProfiles: false });
  // Ingest needs a key: the demo makes one (random, outside the project) unless the project has one.
  const location = keyringLocation(ctx.project, process.env);
  if (location.kind === 'file' && !existsSync(location.path)) {
    createKeyring(location.path, { source: location.source });
    ctx.out.info(`created a keyring for the demo at ${location.path} (keep it: tokens cannot be rebuilt without it)`);
  }
  const keyring = loadKeyring(location);
  const progress = createProgress(ctx.out);
  ctx.out.info(`ade demo: project ${target} (scale ${scale}, seed ${seed})`);
  let report: DemoReport;
  let server: DemoServer | undefined;
  let serving = false;
  try {
    server = await startDemoServer(ctx, keyring, opts, env, version);
    report = await runDemo(ctx.lake, join(target, 'data'), {
      deliver: server.deliver,
      scale,
      seed,
      endDate: DEMO_END_DATE,
      sources: ctx.project.sources,
      experiments: ctx.project.experiments,
      metrics: ctx.project.metrics,
      quality: ctx.quality,
      keyring,
      projectDir: target,
      engineer: { name: 'demo:engineer', role: 'engineer' },
      analyst: { name: 'demo:analyst', role: 'analyst' },
      admin: { name: 'demo:admin', role: 'admin' },
      codeVersion: version,
      onStep: (step, done, total) => {
        progress.stage(step, total ?? 1);
        if (done !== undefined) progress.tick(done, total);
      },
    });
    progress.stop();
    await ctx.quality.drain();
    if (opts.serve !== false) {
      const reader = await issueToken(ctx.lake.catalog, server.secret, { name: `demo-analyst-${Date.now()}`, role: 'analyst', createdBy: 'demo' });
      const serve = { url: server.url, token: reader.token, ...(server.generatedSecret ? { secretEnv: ctx.project.server.secretEnv, secret: server.secret } : {}) };
      ctx.out.result({ ...report, serve }, () => `${render(report, target)}\n${renderServe(serve, ctx.project.server.secretEnv)}`);
      serving = true;
      await server.untilStopped(() => ctx.out.info('ade demo: stopping the server'));
    } else {
      ctx.out.result(report, () => render(report, target));
    }
  } finally {
    progress.stop();
    if (!serving) await server?.close();
    await ctx.quality.drain();
    await ctx.lake.close();
  }
  return report;
}

interface DemoServer {
  readonly url: string;
  readonly secret: string;
  /** True when no secret was configured and the demo made one up for this run. */
  readonly generatedSecret: boolean;
  readonly deliver: DemoDelivery;
  /** Serves until SIGINT or SIGTERM, then stops gracefully (requests in flight finish, the collector flushes). */
  untilStopped(onStop: () => void): Promise<void>;
  close(): Promise<void>;
}

/** Most bytes the demo puts in one request to the collector (its limit is 500 KiB). */
const REQUEST_BYTES = 400 * 1024;

/**
 * The demo's server: the same API server and collector as `ade serve`, on
 * loopback, with write keys for the demo's live sources. Deliveries are real
 * HTTP requests; each resolves once the collector flushed what it took.
 */
async function startDemoServer(ctx: CommandContext, keyring: Keyring, opts: DemoCommandOptions, env: Env, version: string): Promise<DemoServer> {
  const configured = env[ctx.project.server.secretEnv];
  const secret = configured ? checkServerSecret(configured) : randomBytes(32).toString('hex');
  const port = opts.serve === false ? 0 : parsePort(opts.port, ctx.project.server.port);
  const flushErrors: string[] = [];
  // The demo flushes after each delivery itself; what fails to flush fails the delivery.
  const server = await openApiParts(ctx, { keyring, secret, version, flushIntervalMs: 3_600_000, log: (m) => {
      flushErrors.push(m);
      process.stderr.write(`ade demo: ${m}\n`);
    },
  });
  const { app, collector } = server;
  let url: string;
  try {
    url = await app.listen({ host: ctx.project.server.host, port });
  } catch (e) {
    await server.close();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ValidationError(`port ${port} is taken`, { code: 'server.port_taken', hint: 'run the demo with --port <another>, or --no-serve' });
    }
    throw e;
  }
  const keys = new Map<string, string>();
  const writeKey = async (source: string) => {
    if (!keys.has(source)) keys.set(source, (await issueToken(ctx.lake.catalog, secret, { name: `demo-${source}-${Date.now()}`, role: 'viewer', createdBy: 'demo', source })).token);
    return `Basic ${Buffer.from(`${keys.get(source)}:`).toString('base64')}`;
  };
  const post = async (path: string, source: string, body: string, type: string) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: await writeKey(source), 'content-type': type }, body });
    const text = await res.text();
    if (res.status !== 200) throw new AdeError('demo.delivery', `POST ${path} answered ${res.status}: ${text.slice(0, 300)}`, { hint: 'see docs/server.md' });
  };
  const flush = async (source: string) => {
    const before = flushErrors.length;
    await collector.flush(source);
    if (flushErrors.length > before) throw new AdeError('demo.delivery', `the collector could not flush ${source}: ${flushErrors.slice(before).join('; ')}`);
  };
  const deliver: DemoDelivery = {
    async events(source, file) {
      let requests = 0;
      let events = 0;
      let chunk = '';
      const send = async () => {
        if (!chunk) return;
        await post(`/v1/events/${source}`, source, chunk, 'application/x-ndjson');
        requests++;
        chunk = '';
      };
      for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
        if (!line.trim()) continue;
        if (chunk.length + line.length + 1 > REQUEST_BYTES) await send();
        chunk += `${line}\n`;
        events++;
      }
      await send();
      await flush(source);
      return { requests, events };
    },
    async changes(source, batches) {
      for (const b of batches) await post(`/v1/cdc/${source}`, source, JSON.stringify(b), 'application/json');
      await flush(source);
      return { requests: batches.length, changes: batches.reduce((n, b) => n + b.length, 0) };
    },
  };
  const close = () => server.close();
  return {
    url,
    secret,
    generatedSecret: !configured,
    deliver,
    close,
    untilStopped: (onStop) =>
      new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          onStop();
          void close().then(resolve, (e: unknown) => {
            process.stderr.write(`ade demo: stopping: ${e instanceof Error ? e.message : String(e)}\n`);
            resolve();
          });
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      }),
  };
}

function renderServe(s: { url: string; token: string; secret?: string; secretEnv?: string }, secretEnv: string): string {
  return [
    '',
    pc.bold(`ade serve is running at ${s.url} (Ctrl-C stops it)`),
    `  an analyst token for you (shown once): ${s.token}`,
    `  curl -s ${s.url}/v1/query -H 'authorization: Bearer ${s.token}' -H 'content-type: application/json' \\`,
    `    -d '{"sql": "SELECT plan, count(*) AS accounts FROM model.account_current GROUP BY 1 ORDER BY 2 DESC"}'`,
    `  curl -s ${s.url}/openapi.json -H 'authorization: Bearer ${s.token}'   # every route`,
    ...(s.secret
      ? [`  no ${secretEnv} was set, so this server made up its secret; to serve this project again with the same tokens:`, `    ${secretEnv}=${s.secret} npx ade serve`]
      : [`  later: npx ade serve   (with ${secretEnv} set as now)`]),
  ].join('\n');
}

function render(r: DemoReport, dir: string): string {
  const out: string[] = [];
  out.push(
    pc.bold(
      `Dataset: ${r.dataset.customers.toLocaleString('en-US')} customers, ${r.dataset.products} products, ${r.dataset.orders.toLocaleString('en-US')} orders, ${r.dataset.events.toLocaleString('en-US')} events, ${r.dataset.tickets.toLocaleString('en-US')} support tickets`,
    ),
  );
  out.push('', pc.bold('Ingest: raw copy, quarantine, obfuscation at the door'));
  out.push(
    renderTable(
      ['source', 'read', 'written', 'quarantined', 'duplicates', 'personal data found'],
      r.ingests.map((i) => [
        i.source,
        i.rowsRead.toLocaleString('en-US'),
        i.rowsWritten.toLocaleString('en-US'),
        i.quarantined,
        i.deduplicated,
        summarize(i.detections),
      ]),
    ),
  );
  out.push('');
  out.push(
    renderTable(
      ['table', 'rows', 'files', 'parquet', 'seconds', 'snapshot'],
      r.loads.map((l) => [l.table, l.rows.toLocaleString('en-US'), l.files, formatBytes(l.bytes), l.seconds.toFixed(2), l.snapshot]),
    ),
  );
  out.push('', pc.bold('Models: models/*/*.sql, built from the clean tables as `ade run` builds them'));
  out.push(
    renderTable(
      ['model', 'kind', 'result', 'rows', 'seconds'],
      r.models.map((m) => [m.table, m.kind, m.status, m.rows.toLocaleString('en-US'), m.status === 'built' ? m.seconds.toFixed(2) : '']),
    ),
  );
  for (const a of r.answers) {
    out.push('', pc.bold(pc.cyan(a.title)));
    out.push(renderTable(a.columns, a.rows.map((row) => a.columns.map((c) => row[c]))));
  }
  const q = r.quality;
  out.push('', pc.bold(`Data quality: the next day (${q.day}) arrives`));
  out.push(
    `  events: ${q.events.rows.toLocaleString('en-US')} rows where a usual day of that weekday has ${q.events.usual.toLocaleString('en-US')} → ${q.events.published ? 'published' : 'not published'}, with a warning`,
    `  orders: ${q.orders.rows} rows, one with a negative total → ${q.orders.blocked ? pc.red('blocked') : pc.green('published')}${q.orders.stagedId ? `: clean.orders kept its snapshot; inspect with ${a(`ade quality staged ${q.orders.stagedId}`)}` : ''}`,
  );
  const failing = q.results.filter((x) => x.status === 'fail' || x.status === 'error');
  out.push(
    renderTable(
      ['table', 'check', 'severity', 'result', 'message'],
      [...failing, ...q.results.filter((x) => !failing.includes(x)).slice(0, 6)].map((x) => [
        x.table,
        x.check,
        x.severity,
        x.status === 'pass' ? pc.green('pass') : x.status === 'skipped' ? 'skipped' : x.severity === 'error' ? pc.red(x.status) : pc.yellow(x.status),
        x.message.length > 90 ? `${x.message.slice(0, 89)}…` : x.message,
      ]),
    ),
    `  ${q.results.length} checks, ${failing.length} failing, ${q.openAlerts} alert(s) open (${a('ade alerts')}; sinks in ade.yaml)`,
    `  rebuilt for the new day: ${q.rebuilt.join(', ') || 'nothing'}`,
  );
  const c = r.changes;
  out.push(
    '',
    pc.bold('Live data through ade serve (real HTTP on loopback)'),
    `  collector: ${r.collector.events.toLocaleString('en-US')} app events of ${q.day} in ${r.collector.requests} request${r.collector.requests === 1 ? "" : "s"} to /v1/events/events, each answered once on disk, flushed into clean.events`,
    `  change stream: the app's accounts table via Debezium to /v1/cdc/account_changes — ${c.snapshot} snapshot rows, then ${c.created} created, ${c.updated} updated, ${c.deleted} deleted in ${c.requests} shuffled requests (one sent twice)`,
    `  model.account_current: ${c.accounts.toLocaleString('en-US')} accounts, ${c.accounts === c.expected ? pc.green('exactly the source\'s state after its last change') : pc.red(`the source holds ${c.expected}`)}`,
  );
  out.push('', pc.bold(`Experiments: the app's A/B tests, analysed as the analyst as of ${r.experiments[0]?.asOf.slice(0, 10) ?? 'the end of the data'}`));
  out.push(
    `  exposures: ${r.dataset.exposures.toLocaleString('en-US')} 'Experiment Viewed' events in clean.events; checkout_button's green button brought ${r.dataset.experimentOrders} extra orders (the true effect)`,
  );
  for (const e of r.experiments) out.push('', renderAnalysis(e));
  const mismatched = r.experiments.filter((e) => e.srm?.mismatch).map((e) => e.experiment);
  if (mismatched.length) out.push('', `  ${mismatched.join(', ')}: the sample ratio check failed and opened an alert (${a('ade alerts')}); ${a(`ade exp show ${mismatched[0]}`)} shows the stored analysis`);
  out.push('', pc.bold('Machine learning: AutoML on the model tables, registered, promoted, published'));
  for (const m of r.ml.models) {
    out.push(
      '',
      `  ${pc.bold(m.ref)} (champion): ${m.task} of ${m.target} on ${m.table}, ${m.rows.toLocaleString('en-US')} rows — CV ${m.metric} ${m.cvScore.toFixed(4)} ± ${m.cvStd.toFixed(4)}`,
      renderLeaderboard(m.leaderboard, m.metric, 5),
      renderImportance(m.importance, 5),
    );
  }
  out.push(
    '',
    `  scored ${r.ml.scored.rows.toLocaleString('en-US')} customers with ${r.ml.scored.model} into ${r.ml.scored.out}: ${r.ml.scored.atRisk.toLocaleString('en-US')} predicted to churn`,
    `  apps read ${a('ml.model_serving')} (name@alias → artifact), or POST /v1/models/churn/predict, or score locally with the SDK's Scorer`,
  );
  out.push('', pc.bold('Privacy sandbox'), `  as analyst: ${a(r.sandbox.query)} → ${r.sandbox.refused ? pc.green('refused') : pc.red('ALLOWED')}: ${r.sandbox.message}`);
  out.push(
    '',
    `Done in ${r.seconds.toFixed(1)} s. Explore it:`,
    `  cd ${dir}`,
    '  npx ade tables',
    '  npx ade sql "SELECT plan, count(*) FROM clean.customers GROUP BY 1"',
    '  npx ade describe clean.orders',
    '  npx ade sql "SELECT topic, body FROM clean.support LIMIT 5"',
    '  npx ade sql "FROM quarantine.events" --as engineer',
    '  npx ade sql "FROM report.customer_360 ORDER BY revenue DESC LIMIT 5"',
    '  npx ade lineage report.customer_360',
    '  npx ade sql "FROM model.account_current LIMIT 5"   # the app\'s accounts, applied from its change stream',
    '  npx ade check                 # every declared check on the current data',
    '  npx ade exp list              # the experiments of ade.yaml; ade exp analyze checkout_button',
    '  npx ade ml show churn         # the champion: manifest, leaderboard, versions, alias history',
    '  npx ade quality staged        # writes an error check blocked',
    '  npx ade search "customer null"',
    '  npx ade plan                  # every model is fresh: nothing to build',
    '  npx ade run --as engineer     # after new files or edits to models/*/*.sql: builds only what changed',
  );
  return out.join('\n');
}

/** `gift_message: phone 12, email 3` — fields and detectors, most found first. */
function summarize(ds: readonly { field: string; detector: string; count: number }[]): string {
  const byField = new Map<string, string[]>();
  for (const d of [...ds].sort((x, y) => y.count - x.count)) {
    const list = byField.get(d.field) ?? [];
    list.push(`${d.detector} ${d.count.toLocaleString('en-US')}`);
    byField.set(d.field, list);
  }
  return [...byField].map(([f, l]) => `${f}: ${l.join(', ')}`).join('; ') || '—';
}

function a(s: string): string {
  return pc.dim(s);
}
