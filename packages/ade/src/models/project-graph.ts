import { formatTableRef } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { loadModels } from './load-models.js';
import { ModelGraph } from './model-graph.js';

/**
 * The project's models (`<dir>/models/`) as a graph over the catalog's
 * tables. `missingInputs: 'skip'` accepts inputs that are no table yet (a
 * source not ingested so far): their models are skipped when built, as
 * "input has no data yet", instead of failing the whole graph — what an
 * unattended build (the scheduler) wants; the default refuses them (a typo).
 */
export async function projectGraph(lake: Lake, dir: string, opts: { missingInputs?: 'error' | 'skip' } = {}): Promise<ModelGraph> {
  const models = await loadModels(dir);
  const tables = new Set((await lake.catalog.listTables()).map((t) => formatTableRef(t)));
  if (opts.missingInputs === 'skip') for (const m of models) for (const i of m.inputs) tables.add(formatTableRef(i));
  return new ModelGraph(models, tables);
}

/**
 * Models named by selection patterns, in build order: `model.order_f`,
 * `report.*`, and `pattern+` for the matches and everything downstream.
 * Undefined patterns select every model.
 */
export function selectModels(graph: ModelGraph, patterns: readonly string[] | undefined): string[] {
  if (patterns === undefined) return graph.layers.flat();
  const picked = new Set<string>();
  for (const p of patterns) {
    const withDownstream = p.endsWith('+');
    for (const t of graph.select(withDownstream ? p.slice(0, -1) : p, withDownstream)) picked.add(t);
  }
  return graph.layers.flat().filter((t) => picked.has(t));
}

/** The time column of every input a day model may read: the sources' `event_time` and the models' `time`. */
export function projectTimeColumns(graph: ModelGraph, sourceTimeColumns: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map(sourceTimeColumns);
  for (const m of graph.models.values()) if (m.time) out.set(formatTableRef(m.table), m.time);
  return out;
}
