import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pc from 'picocolors';
import { DATASET_SCALES, DEMO_END_DATE, runDemo, type DatasetScale, type DemoReport } from '../../demo/index.js';
import { ValidationError } from '../../kernel/index.js';
import { openContext, type GlobalOptions } from '../context.js';
import { formatBytes } from '../durations.js';
import { renderTable } from '../output.js';
import { createProgress } from '../progress.js';
import { PROJECT_FILE } from '../project.js';
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
  const ctx = await openContext({ ...opts, project: target, as: undefined });
  const progress = createProgress(ctx.out);
  ctx.out.info(`ade demo: project ${target} (scale ${scale}, seed ${seed})`);
  let report: DemoReport;
  try {
    report = await runDemo(ctx.lake, join(target, 'data'), {
      scale,
      seed,
      endDate: DEMO_END_DATE,
      engineer: { name: 'demo:engineer', role: 'engineer' },
      analyst: { name: 'demo:analyst', role: 'analyst' },
      onStep: (step, done, total) => {
        progress.stage(step, total ?? 1);
        if (done !== undefined) progress.tick(done, total);
      },
    });
  } finally {
    progress.stop();
    await ctx.lake.close();
  }
  ctx.out.result(report, () => render(report, target));
  return report;
}

function render(r: DemoReport, dir: string): string {
  const out: string[] = [];
  out.push(pc.bold(`Dataset: ${r.dataset.customers.toLocaleString('en-US')} customers, ${r.dataset.products} products, ${r.dataset.orders.toLocaleString('en-US')} orders, ${r.dataset.events.toLocaleString('en-US')} events`));
  out.push(
    renderTable(
      ['table', 'rows', 'files', 'parquet', 'seconds', 'snapshot'],
      r.loads.map((l) => [l.table, l.rows.toLocaleString('en-US'), l.files, formatBytes(l.bytes), l.seconds.toFixed(2), l.snapshot]),
    ),
  );
  for (const a of r.answers) {
    out.push('', pc.bold(pc.cyan(a.title)));
    out.push(renderTable(a.columns, a.rows.map((row) => a.columns.map((c) => row[c]))));
  }
  out.push('', pc.bold('Privacy sandbox'), `  as analyst: ${a(r.sandbox.query)} → ${r.sandbox.refused ? pc.green('refused') : pc.red('ALLOWED')}: ${r.sandbox.message}`);
  out.push('', `Done in ${r.seconds.toFixed(1)} s. Explore it:`, `  cd ${dir}`, '  npx ade tables', '  npx ade sql "SELECT plan, count(*) FROM clean.customers GROUP BY 1"', '  npx ade describe clean.orders', '  npx ade sql "SELECT * FROM raw.customers LIMIT 3" --as engineer');
  return out.join('\n');
}

function a(s: string): string {
  return pc.dim(s);
}
