import { createHash } from 'node:crypto';
import { formatTableRef, parseTableRef, type TableRef } from '../kernel/index.js';
import { checkKind, modelLocation, ModelError, type ModelKind, type SqlModel } from './model-file.js';

/** A row a TypeScript model returns: column name → value (numbers, strings, booleans, null, Dates, bigints). */
export type ModelRow = Readonly<Record<string, unknown>>;

/**
 * What a TypeScript model's `build` gets: its inputs, bound exactly as a SQL
 * model's would be for this build (a fact sees the batches processed now, a
 * day model the rows of `day`), to read as SQL or rows.
 */
export interface ModelContext {
  readonly kind: ModelKind;
  /** Day models: the day being built (`YYYY-MM-DD`); builds of different days run in parallel. */
  readonly day?: string;
  /** The SQL name of an input, for use in a SELECT: `ref('clean.events')` → `"clean"."events"`. */
  ref(table: string): string;
  /** Runs a SELECT over the inputs and returns its rows (keep results small; aggregate in SQL). */
  query(sql: string): Promise<Readonly<Record<string, unknown>>[]>;
}

/** A model's output: a SELECT over `ctx.ref(…)` inputs, or rows (typed by `schema`). */
export type ModelOutput = string | readonly ModelRow[] | AsyncIterable<ModelRow>;

/**
 * The default export of `models/<zone>/<name>.ts`: the same header a SQL
 * model has, its inputs declared, and `build`.
 *
 * @example
 * export default {
 *   kind: 'fact',
 *   time: 'started_at',
 *   inputs: ['clean.events'],
 *   schema: { session_id: 'VARCHAR', started_at: 'TIMESTAMP', events: 'BIGINT' },
 *   async build(ctx) {
 *     const rows = await ctx.query(`SELECT … FROM ${ctx.ref('clean.events')}`);
 *     return sessionize(rows); // a shared function in models/lib/
 *   },
 * };
 */
export interface ModelDefinition {
  readonly kind?: ModelKind;
  readonly key?: string | readonly string[];
  readonly time?: string;
  readonly description?: string;
  readonly columns?: Readonly<Record<string, string>>;
  /** Tables the model reads, `zone.table`; the first drives a fact. */
  readonly inputs: readonly string[];
  /** Output column types (DuckDB names) when `build` returns rows; without it they are inferred. */
  readonly schema?: Readonly<Record<string, string>>;
  build(ctx: ModelContext): ModelOutput | Promise<ModelOutput>;
}

/** A TypeScript model's code, as loaded. */
export interface ModelScript {
  readonly build: ModelDefinition['build'];
  readonly schema?: Readonly<Record<string, string>>;
}

const DEFINITION_KEYS = ['kind', 'key', 'time', 'description', 'columns', 'inputs', 'schema', 'build'];

/**
 * Loads `models/<zone>/<name>.ts`: bundled with esbuild (its imports, e.g.
 * shared functions in models/lib/, included), imported, and checked. The
 * code version is the SHA-256 of the bundle, so editing a shared function
 * rebuilds the models that use it.
 */
export async function loadTsModel(path: string, projectDir: string): Promise<SqlModel> {
  const { file, table } = modelLocation(path, projectDir);
  const { zone, name } = table;
  let code: string;
  try {
    // Loaded only when a project has a TypeScript model.
    const { build: esbuild } = await import('esbuild');
    const out = await esbuild({
      entryPoints: [path],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      absWorkingDir: projectDir,
    });
    code = out.outputFiles[0]!.text;
  } catch (e) {
    const first = (e as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors?.[0];
    throw new ModelError(first?.location?.file ?? file, `does not compile: ${first?.text ?? String(e)}`, {
      ...(first?.location ? { line: first.location.line } : {}),
      hint: 'a TypeScript model bundles with its imports; fix the error and run again',
    });
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as { default?: unknown };
  } catch (e) {
    throw new ModelError(file, `fails to load: ${e instanceof Error ? e.message : String(e)}`, { hint: 'the module runs when it is loaded: keep top-level code to definitions' });
  }
  const def = mod.default as Partial<ModelDefinition> | undefined;
  if (!def || typeof def !== 'object') throw new ModelError(file, 'has no default export', { hint: 'export default { kind, inputs, build(ctx) { … } }' });
  for (const k of Object.keys(def)) {
    if (!DEFINITION_KEYS.includes(k)) throw new ModelError(file, `unknown key ${JSON.stringify(k)} in the default export`, { hint: `allowed: ${DEFINITION_KEYS.join(', ')}` });
  }
  if (typeof def.build !== 'function') throw new ModelError(file, 'the default export has no build(ctx) function');
  const { kind, key, time } = checkKind(file, def);
  if (!Array.isArray(def.inputs) || def.inputs.length === 0) throw new ModelError(file, "declares no inputs (inputs: ['clean.events', …])");
  const inputs: TableRef[] = [];
  for (const i of def.inputs) {
    try {
      const ref = parseTableRef(String(i));
      if (!inputs.some((x) => formatTableRef(x) === formatTableRef(ref))) inputs.push(ref);
    } catch {
      throw new ModelError(file, `input ${JSON.stringify(i)} does not name a table as zone.table`);
    }
  }
  if (inputs.some((i) => i.zone === zone && i.name === name)) throw new ModelError(file, 'a model cannot read its own table');
  if (def.schema !== undefined && (typeof def.schema !== 'object' || def.schema === null)) throw new ModelError(file, 'schema must map column names to DuckDB types');
  return {
    table: { zone, name },
    file,
    kind,
    key,
    ...(time ? { time } : {}),
    description: typeof def.description === 'string' ? def.description.trim() : '',
    columns: Object.fromEntries(Object.entries(def.columns ?? {}).map(([k, v]) => [k, String(v)])),
    inputs,
    sql: '',
    codeVersion: `sha256:${createHash('sha256').update(code).digest('hex')}`,
    script: { build: def.build.bind(def), ...(def.schema ? { schema: { ...def.schema } } : {}) },
  };
}
