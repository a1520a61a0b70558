#!/usr/bin/env node
// A writer process for the crash-safety and concurrency tests. It uses the
// built library (dist/) so that it starts fast.
//
//   node commit-loop.mjs <config.json>
// config: { catalog, storage, table: "zone.name", template: "<parquet path>",
//           writer: "w1", count: <commits, or 0 for endless>, replaceEvery: <n or 0> }
// Prints "ready" once open, then "c <i> <snapshotId>" after each commit lands.
import { readFileSync } from 'node:fs';
import { openCatalog } from '../../packages/ade/dist/catalog/index.js';
import { openObjectStore, dataFileKey } from '../../packages/ade/dist/storage/index.js';
import { parseTableRef, uuidv7 } from '../../packages/ade/dist/kernel/index.js';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const table = parseTableRef(cfg.table);
const template = readFileSync(cfg.template);
const store = await openObjectStore(cfg.storage);
const catalog = await openCatalog(cfg.catalog);
const columns = cfg.columns;
process.stdout.write('ready\n');

for (let i = 1; cfg.count === 0 || i <= cfg.count; i++) {
  const batchId = `${cfg.writer}-${i}-${uuidv7()}`;
  const key = dataFileKey(table.zone, table.name, undefined, batchId, 0);
  await catalog.registerStaged([key]);
  await store.put(key, template);
  const replace = cfg.replaceEvery > 0 && i % cfg.replaceEvery === 0;
  const base = replace ? (await catalog.getTable(table))?.currentSnapshotId ?? null : undefined;
  const r = await catalog.commit({
    table,
    operation: replace ? 'replace' : 'append',
    ...(replace ? { baseSnapshotId: base } : {}),
    added: [{ path: key, rows: cfg.templateRows, bytes: template.length, columnStats: {} }],
    batchId,
    columns,
    committer: cfg.writer,
    summary: { writer: cfg.writer, i },
    retryOnConflict: true,
  });
  process.stdout.write(`c ${i} ${r.snapshot.id}\n`);
}
await catalog.close();
await store.close();
