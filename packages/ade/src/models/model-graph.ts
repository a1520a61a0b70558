import { formatTableRef } from '../kernel/index.js';
import { ModelError, type SqlModel } from './model-file.js';

/**
 * The dependency graph of a project's models: which model reads which table
 * (another model, or a source table such as `clean.orders`), in an order
 * that builds every model after its inputs.
 */
export class ModelGraph {
  readonly models: ReadonlyMap<string, SqlModel>;
  /** Build order in layers: the models of one layer do not depend on each other (they may build in parallel). */
  readonly layers: readonly (readonly string[])[];
  readonly #downstream = new Map<string, Set<string>>();

  /**
   * Checks that every input is a model or one of `sourceTables`, and that no
   * model depends on itself through others; throws ModelError otherwise.
   */
  constructor(models: readonly SqlModel[], sourceTables: ReadonlySet<string>) {
    const byName = new Map<string, SqlModel>();
    for (const m of models) {
      const key = formatTableRef(m.table);
      const other = byName.get(key);
      if (other) throw new ModelError(m.file, `${key} is also built by ${other.file}`, { hint: 'one file per table' });
      byName.set(key, m);
    }
    for (const m of models) {
      for (const input of m.inputs) {
        const key = formatTableRef(input);
        if (!byName.has(key) && !sourceTables.has(key)) {
          throw new ModelError(m.file, `ref('${key}') names no model and no table`, { hint: 'check the name; `ade tables` lists the tables' });
        }
        if (!this.#downstream.has(key)) this.#downstream.set(key, new Set());
        this.#downstream.get(key)!.add(formatTableRef(m.table));
      }
    }
    this.models = byName;
    this.layers = layersOf(byName);
  }

  /** The models and tables `table` reads, directly or through others (nearest first). */
  upstream(table: string): string[] {
    return breadthFirst(table, (t) => (this.models.get(t)?.inputs ?? []).map(formatTableRef));
  }

  /** The models that read `table`, directly or through others (nearest first). */
  downstream(table: string): string[] {
    return breadthFirst(table, (t) => [...(this.#downstream.get(t) ?? [])].sort());
  }

  /** Models matching `pattern` (`model.*_d`, `report.*`, a full name), with everything downstream when `withDownstream`. */
  select(pattern: string, withDownstream = false): string[] {
    const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    const picked = new Set([...this.models.keys()].filter((k) => re.test(k)));
    if (withDownstream) for (const k of [...picked]) for (const d of this.downstream(k)) picked.add(d);
    return this.layers.flat().filter((k) => picked.has(k));
  }
}

/** Everything reachable from `start` through `next`, nearest first, each once. */
function breadthFirst(start: string, next: (node: string) => readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let frontier = [start];
  while (frontier.length) {
    const following: string[] = [];
    for (const node of frontier) {
      for (const n of next(node)) {
        if (seen.has(n)) continue;
        seen.add(n);
        out.push(n);
        following.push(n);
      }
    }
    frontier = following;
  }
  return out;
}

/** Kahn's algorithm by layers; a leftover means a cycle, reported as a path. */
function layersOf(models: ReadonlyMap<string, SqlModel>): string[][] {
  const deps = new Map([...models].map(([k, m]) => [k, new Set(m.inputs.map(formatTableRef).filter((i) => models.has(i)))]));
  const layers: string[][] = [];
  const done = new Set<string>();
  while (done.size < models.size) {
    const layer = [...deps].filter(([k, d]) => !done.has(k) && [...d].every((x) => done.has(x))).map(([k]) => k).sort();
    if (layer.length === 0) {
      const cycle = findCycle(deps, done);
      const first = models.get(cycle[0]!)!;
      throw new ModelError(first.file, `models depend on each other in a cycle: ${cycle.join(' → ')}`, { hint: 'a model cannot read, directly or not, a table built from itself' });
    }
    for (const k of layer) done.add(k);
    layers.push(layer);
  }
  return layers;
}

function findCycle(deps: ReadonlyMap<string, ReadonlySet<string>>, done: ReadonlySet<string>): string[] {
  const start = [...deps.keys()].filter((k) => !done.has(k)).sort()[0]!;
  const path: string[] = [];
  const index = new Map<string, number>();
  let at = start;
  for (;;) {
    if (index.has(at)) return [...path.slice(index.get(at)!), at];
    index.set(at, path.length);
    path.push(at);
    at = [...deps.get(at)!].filter((d) => !done.has(d)).sort()[0]!;
  }
}
