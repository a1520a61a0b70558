import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pc from 'picocolors';
import { DATASET_SCALES, DEMO_CHECKS_YAML, DEMO_END_DATE, DEMO_SOURCES_YAML, runDemo, writeDemoModels, type DatasetScale, type DemoReport } from '../../demo/index.js';
import { formatBytes, ValidationError } from '../../kernel/index.js';
import { openContext, type GlobalOptions } from '../context.js';
import { renderTable } from '../output.js';
import { createProgress } from '../progress.js';
import { PROJECT_FILE } from '../project.js';
import { createKeyring, keyringLocation, loadKeyring } from '../keyring-file.js';
import { initProject } from './init.js';

export interface DemoCommandOptions extends GlobalOptions {
  scale?: string;
  seed?: string;
}

/** `ade demo [dir]`: a demo project, a seeded dataset, loads, and answers. */
export async function demoCommand(dir: string, opts: DemoCommandOptions): Promise<DemoReport> {
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
  try {
    report = await runDemo(ctx.lake, join(target, 'data'), {
      scale,
      seed,
      endDate: DEMO_END_DATE,
      sources: ctx.project.sources,
      keyring,
      projectDir: target,
      engineer: { name: 'demo:engineer', role: 'engineer' },
      analyst: { name: 'demo:analyst', role: 'analyst' },
      onStep: (step, done, total) => {
        progress.stage(step, total ?? 1);
        if (done !== undefined) progress.tick(done, total);
      },
    });
  } finally {
    progress.stop();
    await ctx.quality.drain();
    await ctx.lake.close();
  }
  ctx.out.result(report, () => render(report, target));
  return report;
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
    '  npx ade check                 # every declared check on the current data',
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
