import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scorer } from '@ade/sdk';
import { assertCanWrite, formatTableRef, normalizeNames, quoteIdent, quoteLiteral, type Principal, type TableRef } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { MlError } from './ml-error.js';
import { asArtifactError, type ModelRegistry } from './model-registry.js';
import { SERVING_TABLE } from './serving-table.js';

export interface PredictTableRequest {
  /** `name`, `name@vN` or `name@alias`. */
  readonly model: string;
  /** The rows to score. */
  readonly table: TableRef;
  /** Where the predictions go (e.g. `ml.churn_scores`); created on first use. */
  readonly out: TableRef;
  /** Replace the output table instead of appending this batch to it. */
  readonly replace?: boolean;
  /** Rows scored so far, of `total`. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface PredictTableResult {
  /** `name@vN` that scored. */
  readonly model: string;
  readonly version: number;
  readonly table: string;
  readonly snapshotId: number;
  readonly out: string;
  /** The output table's snapshot holding the batch. */
  readonly outSnapshotId: number | undefined;
  /** Derived from the model version and the input snapshot: scoring them again finds the batch there. */
  readonly batchId: string;
  readonly rows: number;
  /** The prediction columns written besides the input's (prediction, prob_<class>…, model, batch_id). */
  readonly predictionColumns: readonly string[];
  /** Input columns left out (types that do not travel: BLOB, MAP, …). */
  readonly skippedColumns: readonly string[];
  /** Input columns renamed because a prediction column has their name. */
  readonly renamedColumns: Readonly<Record<string, string>>;
  /** True when this batch was in the output table already (nothing was written). */
  readonly alreadyDone: boolean;
  readonly runId: string;
}

/** Input column types that do not survive the trip through JSON into the output table. */
const UNSUPPORTED = /^(BLOB|BYTEA|BIT|BITSTRING|MAP|UNION|VARIANT|INTERVAL|GEOMETRY)\b|MAP\(|UNION\(/i;

/**
 * Scores a lake table with a registered model and writes the predictions —
 * every input column, `prediction` (the label, or the value), one
 * `prob_<class>` per class for classifiers, `model` (`name@vN`) and
 * `batch_id` — into `out` in one commit (never half-written), as a run in the
 * ledger (`ml.predict`). The batch id is derived from the model version and
 * the input snapshot, so scoring the same snapshot with the same version
 * again finds its batch and writes nothing. Scoring uses the SDK's `Scorer`,
 * exactly as the server and applications do.
 *
 * @example
 * await predictTable(lake, principal, registry, { model: 'churn@champion', table: { zone: 'model', name: 'customer_d' }, out: { zone: 'ml', name: 'churn_scores' } });
 */
export async function predictTable(lake: Lake, principal: Principal, registry: ModelRegistry, req: PredictTableRequest): Promise<PredictTableResult> {
  assertCanWrite(principal, req.out.zone);
  const out = formatTableRef(req.out);
  if (out === formatTableRef(SERVING_TABLE)) throw new MlError('ml.bad_option', `${out} is the registry's serving table`, { hint: 'write predictions to another table, e.g. --out ml.churn_scores' });
  const run = await lake.catalog.createRun({ kind: 'ml.predict', target: out, info: { model: req.model, table: formatTableRef(req.table), by: principal.name } });
  await lake.catalog.updateRun(run.id, { state: 'running', attemptsIncrement: true });
  try {
    const result = await predictOnce(lake, principal, registry, req, run.id);
    await lake.catalog.updateRun(run.id, {
      state: 'succeeded',
      info: { model: result.model, rows: result.rows, batch: result.batchId, snapshot: result.outSnapshotId ?? null, alreadyDone: result.alreadyDone },
    });
    return result;
  } catch (e) {
    await lake.catalog.updateRun(run.id, { state: 'failed', error: e instanceof Error ? e.message : String(e) }).catch(() => undefined);
    throw e;
  }
}

async function predictOnce(lake: Lake, principal: Principal, registry: ModelRegistry, req: PredictTableRequest, runId: string): Promise<PredictTableResult> {
  const loaded = await registry.load(principal, req.model);
  let scorer: Scorer;
  try {
    scorer = Scorer.load(loaded.artifact);
  } catch (e) {
    throw asArtifactError(e, `${loaded.name}@v${loaded.version}`);
  }
  const model = `${loaded.name}@v${loaded.version}`;
  const table = formatTableRef(req.table);
  const out = formatTableRef(req.out);
  const pinned = await lake.pin(principal, req.table);
  const total = pinned.files.reduce((n, f) => n + f.rows, 0);
  if (!pinned.snapshot || total === 0) throw new MlError('ml.no_rows', `${table} has no rows to score`, { hint: 'load or build the table first', details: { table } });
  const columns = pinned.schema.columns;
  const have = new Set(columns.map((c) => c.name));
  const missing = scorer.inputs.filter((i) => !have.has(i.name)).map((i) => i.name);
  if (missing.length) {
    throw new MlError('ml.input_invalid', `${table} lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that ${model} reads`, {
      hint: `the model reads ${scorer.inputs.map((i) => i.name).join(', ')}; score a table that has them`,
      details: { table, model, missing },
    });
  }
  const batchId = `pred-${createHash('sha256').update(`${model}|${loaded.record.artifactSha256}|${table}|${pinned.snapshot.id}`).digest('hex').slice(0, 32)}`;
  const base = {
    model,
    version: loaded.version,
    table,
    snapshotId: pinned.snapshot.id,
    out,
    batchId,
    rows: total,
    runId,
  };

  // Prediction columns, then the input columns that travel, renamed when a prediction column has their name.
  const classes = scorer.classes;
  const probNames = normalizeNames(classes.map((c) => `prob_${c}`));
  const predictionColumns: { name: string; type: string }[] = [
    { name: 'prediction', type: scorer.task === 'classification' ? 'VARCHAR' : 'DOUBLE' },
    ...probNames.map((name) => ({ name, type: 'DOUBLE' })),
    { name: 'model', type: 'VARCHAR' },
    { name: 'batch_id', type: 'VARCHAR' },
  ];
  const taken = new Set(predictionColumns.map((c) => c.name));
  const kept = columns.filter((c) => !UNSUPPORTED.test(c.type));
  const skippedColumns = columns.filter((c) => UNSUPPORTED.test(c.type)).map((c) => c.name);
  const renamedColumns: Record<string, string> = {};
  const outputName = (name: string) => {
    if (!taken.has(name)) return name;
    let alt = `input_${name}`;
    for (let n = 2; taken.has(alt) || have.has(alt); n++) alt = `input_${name}_${n}`;
    renamedColumns[name] = alt;
    return alt;
  };
  const inputColumns = kept.map((c) => ({ source: c.name, name: outputName(c.name), type: c.type }));

  const existing = await lake.catalog.getTable(req.out);
  if (existing && !req.replace) {
    // Appending casts to the table's types: a label cannot go into a column of values, nor the other way round.
    const had = (await lake.catalog.pin(req.out)).schema.columns.find((c) => c.name === 'prediction');
    const want = predictionColumns[0]!.type;
    if (had && had.type !== want) {
      throw new MlError('ml.bad_option', `${out} holds ${had.type === 'VARCHAR' ? 'class labels' : 'numeric values'} in prediction, but ${model} predicts ${want === 'VARCHAR' ? 'class labels' : 'values'}`, {
        hint: `write to another table, or replace this one with --replace`,
        details: { out, model },
      });
    }
  }
  const current = existing ? await lake.catalog.files(req.out) : [];
  if (current.some((f) => f.batchId === batchId)) {
    return { ...base, outSnapshotId: (await lake.catalog.getTable(req.out))?.currentSnapshotId, predictionColumns: predictionColumns.map((c) => c.name), skippedColumns, renamedColumns, alreadyDone: true };
  }

  const dir = await mkdtemp(join(tmpdir(), 'ade-predict-'));
  try {
    const path = join(dir, 'predictions.ndjson');
    const file = createWriteStream(path);
    let longest = 0;
    let done = 0;
    const write = (text: string) => {
      longest = Math.max(longest, Buffer.byteLength(text));
      return file.write(text) ? undefined : new Promise<void>((resolve) => file.once('drain', () => resolve()));
    };
    const sql = `SELECT * FROM ${quoteIdent(req.table.zone)}.${quoteIdent(req.table.name)}`;
    const session = await lake.session(principal, { snapshots: { [table]: pinned.snapshot.id }, forSql: sql });
    try {
      for await (const chunk of session.stream(sql, { timeoutMs: 60 * 60_000 })) {
        let scores: Float64Array;
        try {
          scores = scorer.scoreRows(chunk);
        } catch (e) {
          throw asArtifactError(e, `scoring ${table} with ${model}`);
        }
        const k = classes.length;
        let lines = '';
        for (let r = 0; r < chunk.length; r++) {
          const row = chunk[r]!;
          const o: Record<string, unknown> = {};
          for (const c of inputColumns) o[c.name] = row[c.source] ?? null;
          if (k === 0) o.prediction = scores[r]!;
          else {
            let best = 0;
            for (let c = 1; c < k; c++) if (scores[r * k + c]! > scores[r * k + best]!) best = c;
            o.prediction = classes[best]!;
            for (let c = 0; c < k; c++) o[probNames[c]!] = scores[r * k + c]!;
          }
          o.model = model;
          o.batch_id = batchId;
          lines += JSON.stringify(o, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
        }
        await write(lines);
        done += chunk.length;
        req.onProgress?.(done, total);
      }
    } finally {
      await session.close();
      await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
    }
    const declared = [...inputColumns.map((c) => ({ name: c.name, type: c.type })), ...predictionColumns];
    const spec = `{${declared.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(', ')}}`;
    const maxObject = Math.max(16 * 1024 * 1024, 2 ** Math.ceil(Math.log2(longest + 1024)));
    const written = await lake.writeSelect(principal, {
      table: req.out,
      sql: `SELECT ${declared.map((c) => quoteIdent(c.name)).join(', ')} FROM read_json(${quoteLiteral(path)}, format = 'newline_delimited', columns = ${spec}, maximum_object_size = ${maxObject})`,
      mode: req.replace ? 'replace' : 'append',
      readPaths: [path],
      batchId,
      batchInfo: { source: 'ml.predict', model, table, snapshot: pinned.snapshot.id, run: runId },
      create: { description: `Predictions of ${loaded.name} (ade ml predict): the input columns, prediction${classes.length ? ', prob_<class>' : ''}, model and batch_id` },
    });
    return { ...base, rows: written.rows, outSnapshotId: written.snapshot.id, predictionColumns: predictionColumns.map((c) => c.name), skippedColumns, renamedColumns, alreadyDone: false };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
