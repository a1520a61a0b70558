import { verifyAuditChain } from './audit.js';
import type { SqlExecutor } from './sql-driver.js';
import type { Column, IntegrityProblem } from './types.js';

/** At most this many problems of one kind are reported. */
const LIMIT = 100;

interface TableFacts {
  id: number;
  zone: string;
  name: string;
  dropped_at: number | null;
  current_snapshot_id: number | null;
  current_schema_id: number | null;
  next_column_id: number;
  snapshot_count: number;
  min_seq: number | null;
  max_seq: number | null;
  current_table_id: number | null;
  current_seq: number | null;
  current_expired_at: number | null;
  schema_table_id: number | null;
}

/**
 * Structural checks over the whole catalog: every current snapshot exists, is
 * the table's newest and readable; histories are 1..n with matching parents;
 * file intervals make sense and paths are unique; schemas belong to their
 * tables with unique column ids; the audit hash chain is intact.
 */
export async function checkIntegrity(tx: SqlExecutor): Promise<IntegrityProblem[]> {
  const problems: IntegrityProblem[] = [];
  const tables = await tx.query<TableFacts>(
    `SELECT t.id, t.zone, t.name, t.dropped_at, t.current_snapshot_id, t.current_schema_id, t.next_column_id,
       (SELECT COUNT(*) FROM snapshots s WHERE s.table_id = t.id) AS snapshot_count,
       (SELECT MIN(s.seq) FROM snapshots s WHERE s.table_id = t.id) AS min_seq,
       (SELECT MAX(s.seq) FROM snapshots s WHERE s.table_id = t.id) AS max_seq,
       cs.table_id AS current_table_id, cs.seq AS current_seq, cs.expired_at AS current_expired_at,
       sc.table_id AS schema_table_id
     FROM tables t
     LEFT JOIN snapshots cs ON cs.id = t.current_snapshot_id
     LEFT JOIN schemas sc ON sc.id = t.current_schema_id
     ORDER BY t.id`,
  );
  const label = new Map<number, string>();
  for (const t of tables) label.set(Number(t.id), `${t.zone}.${t.name}${t.dropped_at === null ? '' : ' (dropped)'}`);
  const nameOf = (id: number | string) => label.get(Number(id)) ?? `table #${id}`;

  for (const t of tables) {
    const table = nameOf(t.id);
    const report = (problem: string) => problems.push({ table, problem });
    const count = Number(t.snapshot_count);
    if (t.current_snapshot_id === null) {
      if (count > 0) report(`has ${count} snapshots but no current snapshot`);
    } else if (t.current_table_id === null) {
      report(`its current snapshot ${t.current_snapshot_id} does not exist`);
    } else if (Number(t.current_table_id) !== Number(t.id)) {
      report(`its current snapshot ${t.current_snapshot_id} belongs to ${nameOf(t.current_table_id)}`);
    } else {
      if (Number(t.current_seq) !== Number(t.max_seq)) {
        report(`its current snapshot ${t.current_snapshot_id} has seq ${t.current_seq} but the newest snapshot has seq ${t.max_seq}`);
      }
      if (t.current_expired_at !== null) report(`its current snapshot ${t.current_snapshot_id} is expired`);
    }
    if (count > 0 && (Number(t.min_seq) !== 1 || Number(t.max_seq) !== count)) {
      report(`its snapshot seqs are not 1..${count} (they run from ${t.min_seq} to ${t.max_seq})`);
    }
    if (t.current_schema_id === null || t.schema_table_id === null) report(`its current schema ${t.current_schema_id} does not exist`);
    else if (Number(t.schema_table_id) !== Number(t.id)) report(`its current schema ${t.current_schema_id} belongs to ${nameOf(t.schema_table_id)}`);
  }

  const chain = await tx.query<{ id: number; table_id: number; seq: number; parent_id: number | null }>(
    `SELECT s.id, s.table_id, s.seq, s.parent_id FROM snapshots s LEFT JOIN snapshots p ON p.id = s.parent_id
     WHERE (s.seq = 1 AND s.parent_id IS NOT NULL)
        OR (s.seq > 1 AND (p.id IS NULL OR p.table_id <> s.table_id OR p.seq <> s.seq - 1))
     ORDER BY s.id LIMIT ${LIMIT}`,
  );
  for (const s of chain) {
    problems.push({
      table: nameOf(s.table_id),
      problem: `snapshot ${s.id} (seq ${s.seq}) has parent ${s.parent_id ?? 'none'}, not the snapshot with seq ${Number(s.seq) - 1}`,
    });
  }

  const schemaless = await tx.query<{ id: number; table_id: number; schema_id: number }>(
    `SELECT s.id, s.table_id, s.schema_id FROM snapshots s LEFT JOIN schemas sc ON sc.id = s.schema_id
     WHERE sc.id IS NULL OR sc.table_id <> s.table_id ORDER BY s.id LIMIT ${LIMIT}`,
  );
  for (const s of schemaless) {
    problems.push({ table: nameOf(s.table_id), problem: `snapshot ${s.id} uses schema ${s.schema_id}, which is not a schema of this table` });
  }

  const files = await tx.query<{ id: number; table_id: number; path: string; added_seq: number; removed_seq: number | null; max_seq: number | null }>(
    `SELECT f.id, f.table_id, f.path, f.added_seq, f.removed_seq, m.max_seq
     FROM data_files f LEFT JOIN (SELECT table_id, MAX(seq) AS max_seq FROM snapshots GROUP BY table_id) m ON m.table_id = f.table_id
     WHERE f.added_seq < 1
        OR (f.removed_seq IS NOT NULL AND f.removed_seq <= f.added_seq)
        OR m.max_seq IS NULL OR f.added_seq > m.max_seq OR f.removed_seq > m.max_seq
     ORDER BY f.id LIMIT ${LIMIT}`,
  );
  for (const f of files) {
    const interval = `[${f.added_seq}, ${f.removed_seq ?? '∞'})`;
    const problem =
      f.removed_seq !== null && Number(f.removed_seq) <= Number(f.added_seq)
        ? `file ${f.id} (${f.path}) is removed at seq ${f.removed_seq}, not after it was added at seq ${f.added_seq}`
        : `file ${f.id} (${f.path}) lives in seqs ${interval}, beyond the table's history (newest seq ${f.max_seq ?? 'none'})`;
    problems.push({ table: nameOf(f.table_id), problem });
  }

  const duplicates = await tx.query<{ path: string; copies: number }>(
    `SELECT path, COUNT(*) AS copies FROM data_files GROUP BY path HAVING COUNT(*) > 1 ORDER BY path LIMIT ${LIMIT}`,
  );
  for (const d of duplicates) problems.push({ table: '(files)', problem: `path ${d.path} is recorded ${d.copies} times` });

  const nextIds = new Map(tables.map((t) => [Number(t.id), Number(t.next_column_id)]));
  const schemas = await tx.query<{ id: number; table_id: number; columns: string }>('SELECT id, table_id, columns FROM schemas ORDER BY id');
  for (const s of schemas) {
    let columns: Column[];
    try {
      columns = JSON.parse(s.columns) as Column[];
    } catch {
      problems.push({ table: nameOf(s.table_id), problem: `schema ${s.id} has unreadable columns` });
      continue;
    }
    const ids = columns.map((c) => c.id);
    if (new Set(ids).size !== ids.length) problems.push({ table: nameOf(s.table_id), problem: `schema ${s.id} gives two columns the same id` });
    const next = nextIds.get(Number(s.table_id)) ?? 0;
    if (ids.some((id) => !Number.isSafeInteger(id) || id < 1 || id >= next)) {
      problems.push({ table: nameOf(s.table_id), problem: `schema ${s.id} has column ids outside 1..${next - 1}` });
    }
  }

  problems.push(...(await verifyAuditChain(tx)));
  return problems;
}
