import { formatTableRef, NotFoundError, parseTableRef } from '../../kernel/index.js';
import { loadModels, ModelGraph } from '../../models/index.js';
import type { CommandContext } from '../context.js';

/** `ade lineage <zone.table>`: what the table is built from and what is built from it, per the models in models/. */
export async function lineageCommand(ctx: CommandContext, table: string): Promise<void> {
  const ref = formatTableRef(parseTableRef(table));
  const models = await loadModels(ctx.project.dir);
  const tables = new Set((await ctx.lake.catalog.listTables()).map((t) => formatTableRef(t)));
  const graph = new ModelGraph(models, tables);
  if (!graph.models.has(ref) && !tables.has(ref) && graph.downstream(ref).length === 0) {
    throw new NotFoundError('table or model', ref, { hint: 'list tables with `ade tables`; models live in models/<zone>/<name>.sql' });
  }
  const model = graph.models.get(ref);
  const result = {
    table: ref,
    model: model ? { file: model.file, kind: model.kind, inputs: model.inputs.map(formatTableRef) } : null,
    upstream: graph.upstream(ref),
    downstream: graph.downstream(ref),
  };
  ctx.out.result(result, () =>
    [
      model ? `${ref}  (${model.kind} model, ${model.file})` : `${ref}  (table, not built by a model)`,
      `  upstream:   ${result.upstream.length ? result.upstream.join(', ') : '—'}`,
      `  downstream: ${result.downstream.length ? result.downstream.join(', ') : '—'}`,
    ].join('\n'),
  );
}
