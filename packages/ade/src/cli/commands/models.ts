import { formatTableRef } from '../../kernel/index.js';
import { loadModels, ModelGraph, planModels, runModels, type ModelGraph as Graph } from '../../models/index.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { renderTable } from '../output.js';
import { createProgress } from '../progress.js';

export interface ModelCommandOptions {
  select?: string;
  fullRefresh?: boolean;
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
  const select = selection(graph, opts.select);
  const plans = await planModels(ctx.lake, graph, { ...(select ? { select } : {}), ...(opts.fullRefresh ? { fullRefresh: true } : {}) });
  ctx.out.result(plans, () =>
    plans.length === 0
      ? 'no models (add SQL files under models/<zone>/<name>.sql)'
      : renderTable(['model', 'kind', 'plan', 'why'], plans.map((p) => [p.table, p.kind, p.status === 'stale' ? 'build' : p.status, p.reasons.join('; ')])),
  );
}

/** `ade run`: builds the stale models in dependency order; exit 1 when a model failed. */
export async function runCommand(ctx: CommandContext, opts: ModelCommandOptions): Promise<number> {
  const graph = await graphOf(ctx);
  const select = selection(graph, opts.select);
  const progress = createProgress(ctx.out);
  let results;
  try {
    results = await runModels(ctx.lake, ctx.principal, graph, {
      ...(select ? { select } : {}),
      ...(opts.fullRefresh ? { fullRefresh: true } : {}),
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
      ? 'no models (add SQL files under models/<zone>/<name>.sql)'
      : renderTable(
          ['model', 'result', 'rows', 'seconds', 'why'],
          results.map((r) => [r.table, r.status, r.rows ?? '', r.seconds === undefined ? '' : r.seconds.toFixed(2), r.error ?? r.reasons.join('; ')]),
        ),
  );
  return results.some((r) => r.status === 'failed' || r.status === 'skipped') ? EXIT.failure : EXIT.ok;
}
