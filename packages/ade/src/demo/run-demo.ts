import { join } from 'node:path';
import { ingest, type SourceConfig } from '../ingest/index.js';
import { parseTableRef, PermissionError, quoteLiteral, ValidationError, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import type { Keyring } from '../privacy/index.js';
import { DATASET_SCALES, generateDataset, type DatasetFiles, type DatasetScale } from './dataset.js';
import { CLEAN_DERIVATIONS, DEMO_QUESTIONS } from './questions.js';

export interface DemoOptions {
  readonly scale: DatasetScale;
  readonly seed: number;
  /** The dataset's last day (exclusive). Fixed by default so answers are reproducible. */
  readonly endDate: Date;
  /** Who loads (needs engineer) and who asks (an analyst). */
  readonly engineer: Principal;
  readonly analyst: Principal;
  /** The demo project's sources (customers, products, orders, events, support). */
  readonly sources: readonly SourceConfig[];
  /** Keys for tokens (ingest refuses to run without). */
  readonly keyring: Keyring;
  /** The project folder (sources' locations are relative to it). */
  readonly projectDir: string;
  readonly onStep?: (step: string, done?: number, total?: number) => void;
}

export interface DemoAnswer {
  readonly id: string;
  readonly title: string;
  readonly sql: string;
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
}

export interface DemoReport {
  readonly dataset: DatasetFiles['counts'];
  readonly loads: readonly { table: string; rows: number; files: number; bytes: number; seconds: number; snapshot: number }[];
  /** What each source's ingest did: rows read, written, quarantined, deduplicated, and personal data found. */
  readonly ingests: readonly {
    source: string;
    rowsRead: number;
    rowsWritten: number;
    quarantined: number;
    deduplicated: number;
    seconds: number;
    detections: readonly { field: string; detector: string; count: number; action: string }[];
  }[];
  readonly answers: readonly DemoAnswer[];
  /** What happened when the analyst tried to read the raw zone (it must be refused). */
  readonly sandbox: { readonly query: string; readonly refused: boolean; readonly message: string };
  readonly seconds: number;
}

export const DEMO_END_DATE = new Date('2026-11-01T00:00:00Z');

/**
 * The main job: generate a seeded startup dataset with personal data in
 * declared fields and in unexpected places, ingest every file through the
 * privacy path (raw copy, quarantine, obfuscated clean tables), derive a
 * table, and answer business questions as an analyst who cannot see raw data.
 */
export async function runDemo(lake: Lake, dataDir: string, opts: DemoOptions): Promise<DemoReport> {
  const started = performance.now();
  opts.onStep?.('generating dataset', 0, 1);
  const files = await generateDataset(dataDir, { seed: opts.seed, endDate: opts.endDate, ...DATASET_SCALES[opts.scale] }, (d, t) =>
    opts.onStep?.('generating dataset', d, t),
  );

  const loads: DemoReport['loads'][number][] = [];
  const ingests: DemoReport['ingests'][number][] = [];
  const order = ['customers', 'products', 'orders', 'events', 'support'];
  for (const [i, name] of order.entries()) {
    const source = opts.sources.find((s) => s.name === name);
    if (!source) throw new ValidationError(`the demo project has no source ${name}`, { hint: 'run `ade demo` in a new folder' });
    opts.onStep?.(`ingesting ${name}`, i, order.length);
    const r = await ingest(lake, opts.engineer, { source, baseDir: opts.projectDir, keyring: opts.keyring });
    ingests.push({
      source: name,
      rowsRead: r.rowsRead,
      rowsWritten: r.rowsWritten,
      quarantined: r.quarantined,
      deduplicated: r.deduplicated,
      seconds: r.seconds,
      detections: r.detections,
    });
    const pinned = await lake.catalog.pin({ zone: 'clean', name });
    loads.push({
      table: `clean.${name}`,
      rows: pinned.files.reduce((n, f) => n + f.rows, 0),
      files: pinned.files.length,
      bytes: pinned.files.reduce((n, f) => n + f.bytes, 0),
      seconds: r.seconds,
      snapshot: pinned.snapshot?.id ?? 0,
    });
  }
  for (const [i, d] of CLEAN_DERIVATIONS.entries()) {
    opts.onStep?.(`building ${d.table}`, i, CLEAN_DERIVATIONS.length);
    const t0 = performance.now();
    const r = await lake.writeSelect(opts.engineer, {
      table: parseTableRef(d.table),
      sql: d.sql,
      mode: 'replace',
      readTables: d.from.map(parseTableRef),
      create: { description: d.description },
      batchInfo: { source: 'demo', from: d.from },
    });
    loads.push({ table: d.table, rows: r.rows, files: r.files, bytes: r.bytes, seconds: (performance.now() - t0) / 1000, snapshot: r.snapshot.id });
  }

  opts.onStep?.('answering questions', 0, DEMO_QUESTIONS.length);
  const session = await lake.session(opts.analyst);
  const answers: DemoAnswer[] = [];
  let sandbox: DemoReport['sandbox'];
  try {
    for (const [i, q] of DEMO_QUESTIONS.entries()) {
      const r = await session.query(q.sql);
      answers.push({ id: q.id, title: q.title, sql: q.sql, columns: r.columns.map((c) => c.name), rows: r.rows });
      opts.onStep?.('answering questions', i + 1, DEMO_QUESTIONS.length);
    }
    // Raw files hold personal data: an analyst's session cannot read them, by path or otherwise.
    const raw = (await lake.catalog.listIngestedFiles({ source: 'customers', zone: 'raw', limit: 1 }))[0];
    const probe = `SELECT email FROM read_csv(${quoteLiteral(raw ? await lake.store.localPath(raw.rawKey) : join(lake.store.localRoot(), 'raw'))}) LIMIT 1`;
    try {
      await session.query(probe);
      sandbox = { query: probe, refused: false, message: 'the analyst could read the raw customers file' };
    } catch (e) {
      sandbox = { query: probe, refused: true, message: (e as Error).message.split('\n')[0]! };
    }
  } finally {
    await session.close();
  }
  if (!sandbox.refused) throw new PermissionError('sandbox failure: an analyst session could read the raw zone');
  return { dataset: files.counts, loads, ingests, answers, sandbox, seconds: (performance.now() - started) / 1000 };
}
