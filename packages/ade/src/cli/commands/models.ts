import { sourceTimeColumns } from '../../ingest/index.js';
import { formatTableRef, ValidationError } from '../../kernel/index.js';
import { loadModels, ModelGraph, planModels, runModels, type BuildOptions, type ModelGraph as Graph } from '../../models/index.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { renderTable } from '../output.js';
import { createProgress } from '../progress.js';

export interface ModelCommandOptions {
  select?: string;
  fullRefresh?: boolean;
  from?: string;
  to?: string;
  parallel?: string;
}

/** The build options shared by plan and run: selection, refresh, the day window, the sources' time columns. */
function buildOptions(ctx: CommandContext, graph: Graph, opts: ModelCommandOptions): BuildOptions {
  const select = selection(graph, opts.select);
  for (const [flag, day] of [['--from', opts.from], ['--to', opts.to]] as const) {
    if (day !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)))) {
      throw new ValidationError(`${flag} ${JSON.stringify(day)} is not a day`, { code: 'validation.day', hint: `use YYYY-MM-DD, e.g. ${flag} 2026-11-01` });
    }
  }
  if (opts.from && opts.to && opts.from > opts.to) throw new ValidationError(`--from ${opts.from} is after --to ${opts.to}`, { code: 'validation.day' });
  return {
    ...(select ? { select } : {}),
    ...(opts.fullRefresh ? { fullRefresh: true } : {}),
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.to ? { to: opts.to } : {}),
    timeColumns: sourceTimeColumns(ctx.project.sources),
  };
}

async function graphOf(ctx: CommandContext): Promise<Graph> {
  const models = await loadModels(ctx.project.dir);
  const tables = new Set((await ctx.lake.catalog.listTables()).map((t) => formatTableRef(t)));
  return new ModelGraph(models, tables);
}

function selection(graph: Graph, select: string | undefined): string[] | undefined {
  if (!select) return undefined;
  // `pattern+` also selects everything downstream.
  const withDownstream = select.endsWith('+');
  return graph.select(withDownstream ? select.slice(0, -1) : select, withDownstream);
}

/** `ade plan`: what `ade run` would build and why, building nothing. */
export async function planCommand(ctx: CommandContext, opts: ModelCommandOptions): Promise<void> {
  const graph = await graphOf(ctx);
  const planned = await planModels(ctx.lake, graph, buildOptions(ctx, graph, opts));
  // The work's internals (file lists, pinned snapshots) stay inside: scripts get what a build would do.
  const plans = planned.map(({ work, ...p }) => ({
    ...p,
    ...(work?.kind === 'fact' ? { batches: work.group.length, keptBatches: work.kept, replacedBatches: work.removeBatches.length } : {}),
    ...(work?.kind === 'day' ? { days: work.days.map((d) => d.day), removedDays: work.removeDays, gaps: work.gaps } : {}),
  }));
  ctx.out.result(plans, () =>
    plans.length === 0
      ? 'no models (add SQL or TypeScript files under models/<zone>/<name>.sql|.ts)'
      : renderTable(['model', 'kind', 'plan', 'why'], plans.map((p) => [p.table, p.kind, p.status === 'stale' ? 'build' : p.status, p.reasons.join('; ')])),
  );
}

/** `ade run`: builds the stale models in dependency order; exit 1 when a model failed. */
export async function runCommand(ctx: CommandContext, opts: ModelCommandOptions): Promise<number> {
  const graph = await graphOf(ctx);
  const build = buildOptions(ctx, graph, opts);
  const parallel = opts.parallel === undefined ? undefined : Number(opts.parallel);
  if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1 || parallel > 64)) {
    throw new ValidationError(`--parallel ${JSON.stringify(opts.parallel)} is not a number of models from 1 to 64`, { code: 'validation.parallel', hint: 'e.g. --parallel 4' });
  }
  const progress = createProgress(ctx.out);
  let results;
  try {
    results = await runModels(ctx.lake, ctx.principal, graph, {
      ...build,
      ...(parallel ? { parallel } : {}),
      onModel: (table, i, total) => {
        progress.stage(table, total);
        progress.tick(i, total);
      },
    });
  } finally {
    progress.stop();
  }
  ctx.out.result(results, () =>
    results.length === 0
      ? 'no models (add SQL or TypeScript files under models/<zone>/<name>.sql|.ts)'
      : [
          renderTable(
            ['model', 'result', 'rows', 'seconds', 'why'],
            results.map((r) => [r.table, r.status, r.rows ?? '', r.seconds === undefined ? '' : r.seconds.toFixed(2), r.error ?? r.reasons.join('; ')]),
          ),
          ...results.filter((r) => r.hint).map((r) => `hint (${r.table}): ${r.hint}`),
        ].join('\n'),
  );
  // A model skipped for want of input data is not a failure; one skipped because its upstream failed comes with that failure.
  return results.some((r) => r.status === 'failed') ? EXIT.failure : EXIT.ok;
}
