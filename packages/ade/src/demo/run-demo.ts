import { join } from 'node:path';
import { parseTableRef, PermissionError, type Principal } from '../kernel/index.js';
import { loadFile, parseDeclaredColumns, type Lake } from '../lake/index.js';
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
  readonly answers: readonly DemoAnswer[];
  /** What happened when the analyst tried to read the raw zone (it must be refused). */
  readonly sandbox: { readonly query: string; readonly refused: boolean; readonly message: string };
  readonly seconds: number;
}

export const DEMO_END_DATE = new Date('2026-11-01T00:00:00Z');

/**
 * The main job: generate a seeded startup dataset, land it in the raw zone,
 * derive clean tables without personal data, and answer business questions
 * as an analyst who cannot see raw data.
 */
export async function runDemo(lake: Lake, dataDir: string, opts: DemoOptions): Promise<DemoReport> {
  const started = performance.now();
  opts.onStep?.('generating dataset', 0, 1);
  const files = await generateDataset(join(dataDir), { seed: opts.seed, endDate: opts.endDate, ...DATASET_SCALES[opts.scale] }, (d, t) =>
    opts.onStep?.('generating dataset', d, t),
  );

  const loads: DemoReport['loads'][number][] = [];
  const plan: [string, string, string?][] = [
    [files.customers, 'raw.customers', 'customer_id:BIGINT,postal_code:VARCHAR,birth_date:DATE,signup_at:TIMESTAMP'],
    [files.orders, 'raw.orders'],
    [files.events, 'raw.events'],
    [files.products, 'clean.products', 'product_id:BIGINT,price:DOUBLE,cost:DOUBLE'],
  ];
  for (const [i, [file, table, columns]] of plan.entries()) {
    opts.onStep?.(`loading ${table}`, i, plan.length);
    const r = await loadFile(lake, opts.engineer, {
      file,
      table: parseTableRef(table),
      mode: 'replace',
      ...(columns ? { columns: parseDeclaredColumns(columns) } : {}),
    });
    loads.push({ table, rows: r.rows, files: r.files, bytes: r.bytes, seconds: r.seconds, snapshot: r.snapshot.id });
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
    const probe = 'SELECT email FROM raw.customers LIMIT 1';
    try {
      await session.query(probe);
      sandbox = { query: probe, refused: false, message: 'the analyst could read raw.customers' };
    } catch (e) {
      sandbox = { query: probe, refused: true, message: (e as Error).message.split('\n')[0]! };
    }
  } finally {
    await session.close();
  }
  if (!sandbox.refused) throw new PermissionError('sandbox failure: an analyst session could read the raw zone');
  return { dataset: files.counts, loads, answers, sandbox, seconds: (performance.now() - started) / 1000 };
}
