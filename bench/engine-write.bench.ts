// Benchmarks of the engine against plain DuckDB (run by hand, not by the tests):
//   [ADE_BENCH_DIR=/dev/shm] node --import tsx bench/engine-write.bench.ts [rows]
// Engine.write is measured end to end (sandbox, statement guard, COPY, footer
// statistics, publishing) against the same rows copied by a plain DuckDB COPY.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, engineConfig, type TableBinding } from '../packages/ade/src/engine/index.js';

const ROWS = Number(process.argv[2] ?? 5_000_000);
const RUNS = 7;

const SOURCE = (rows: number) => `SELECT range AS id, 'user' || (range % 100000) AS user_id,
  (random() * 1000)::DECIMAL(18,2) AS amount, TIMESTAMP '2024-01-01' + to_seconds(range) AS at,
  CASE WHEN range % 10 = 0 THEN NULL ELSE 'cat' || (range % 50) END AS category
  FROM range(${rows})`;

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(process.env['ADE_BENCH_DIR'] ?? tmpdir(), 'ade-bench-'));
  const threads = 2;
  const config = engineConfig({ tempDir: join(root, 'tmp'), threads, memoryLimit: '2GB' });
  const engine = await Engine.create(config);
  const plain = await DuckDBInstance.create(':memory:', { threads: String(threads), memory_limit: '2GB' });
  const connection = await plain.connect();
  const parquet = join(root, 'source.parquet');
  const csv = join(root, 'source.csv');
  await connection.run(`COPY (${SOURCE(ROWS)}) TO '${parquet}' (FORMAT parquet)`);
  await connection.run(`COPY (${SOURCE(ROWS)}) TO '${csv}' (FORMAT csv)`);

  const options = `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${config.rowGroupSize}, FILE_SIZE_BYTES ${config.targetFileBytes}`;
  // Wall time, and CPU time of the whole process (DuckDB's threads included), which a busy machine disturbs less.
  const times: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  const time = async (label: string, work: () => Promise<unknown>) => {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await work();
    const used = process.cpuUsage(cpuStarted);
    (times[label] ??= []).push(performance.now() - started);
    (cpu[label] ??= []).push((used.user + used.system) / 1000);
  };
  let n = 0;
  for (let run = 0; run < RUNS; run++) {
    for (const [kind, read] of [
      ['parquet', `read_parquet('${parquet}')`],
      ['csv', `read_csv('${csv}')`],
    ] as const) {
      const path = kind === 'parquet' ? parquet : csv;
      await time(`${kind}: plain COPY (zstd, same options)`, () =>
        connection.run(`COPY (SELECT * FROM ${read}) TO '${join(root, `plain-${++n}`)}' (${options})`),
      );
      await time(`${kind}: plain COPY (defaults, one file)`, () =>
        connection.run(`COPY (SELECT * FROM ${read}) TO '${join(root, `plain-${++n}.parquet`)}'`),
      );
      await time(`${kind}: Engine.write`, () =>
        engine.write({
          sql: `SELECT * FROM ${read}`,
          tables: [],
          readPaths: [path],
          readDirectories: [],
          outDir: join(root, 'lake', `t${++n}`),
          filePrefix: 'b',
        }),
      );
    }
  }
  console.log(`${ROWS} rows, ${threads} threads, median of ${RUNS} runs`);
  for (const [label, xs] of Object.entries(times)) {
    const rate = ((ROWS / median(xs)) * 1000).toFixed(0);
    console.log(`${label.padEnd(42)} ${median(xs).toFixed(0).padStart(6)} ms wall ${median(cpu[label]!).toFixed(0).padStart(6)} ms cpu ${rate.padStart(10)} rows/s`);
  }
  for (const kind of ['parquet', 'csv']) {
    const plainLabel = `${kind}: plain COPY (zstd, same options)`;
    const ours = `${kind}: Engine.write`;
    const wall = median(times[plainLabel]!) / median(times[ours]!);
    const cpuRatio = median(cpu[plainLabel]!) / median(cpu[ours]!);
    console.log(`${kind}: Engine.write throughput = ${wall.toFixed(2)} x plain COPY by wall time, ${cpuRatio.toFixed(2)} x by CPU time`);
  }

  // Session open and close: cold (a new locked instance, views over 20 tables of 5 files each) and
  // warm (the instance an earlier session with the same access left), with a first small query.
  const written = await engine.write({
    sql: `SELECT * FROM read_parquet('${parquet}') LIMIT 100000`,
    tables: [],
    readPaths: [parquet],
    readDirectories: [],
    outDir: join(root, 'lake', 'clean', 'small'),
    filePrefix: 'b',
  });
  const files = Array.from({ length: 5 }, () => written.files[0]!.localPath);
  const tables: TableBinding[] = Array.from({ length: 20 }, (_, i) => ({
    zone: 'clean',
    name: `t${i}`,
    columns: written.columns,
    files,
  }));
  const cold = await Engine.create({ ...config, warmSandboxes: 0 });
  const opens: Record<string, number[]> = {};
  for (let run = 0; run < 10; run++) {
    for (const [kind, which] of [
      ['cold', cold],
      ['warm', engine],
    ] as const) {
      for (const count of [0, 1, 20]) {
        const started = performance.now();
        const session = await which.openSession({
          principal: { name: 'bench', role: 'analyst' },
          tables: tables.slice(0, count),
          allowedDirectories: [join(root, 'lake', 'clean')],
        });
        const opened = performance.now();
        if (count > 0) await session.query('SELECT count(*) FROM clean.t0 WHERE id < 1000');
        const queried = performance.now();
        await session.close();
        (opens[`${kind} open, ${count} tables`] ??= []).push(opened - started);
        (opens[`${kind} first query, ${count} tables`] ??= []).push(queried - opened);
        (opens[`${kind} close, ${count} tables`] ??= []).push(performance.now() - queried);
      }
    }
  }
  for (const [label, xs] of Object.entries(opens)) console.log(`${label.padEnd(30)} ${median(xs).toFixed(1)} ms`);
  await cold.close();

  connection.closeSync();
  plain.closeSync();
  await engine.close();
  await rm(root, { recursive: true, force: true });
}

await main();
