import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  openCatalog,
  type CatalogStore,
  type Column,
  type ColumnInput,
  type PinnedSnapshot,
  type Snapshot,
  type SnapshotSelector,
  type TableInfo,
} from '../catalog/index.js';
import { Engine, storedType, type ResultColumn, type Session, type TableBinding, type WrittenFile } from '../engine/index.js';

/** A written file with where it goes: its partition and, when not the commit's, its batch. */
type PlacedFile = WrittenFile & { readonly partition?: string; readonly batchId?: string };
import {
  AdeError,
  assertCanRead,
  assertCanWrite,
  formatTableRef,
  normalizeNames,
  NotFoundError,
  quoteIdent,
  readableZones,
  RESTRICTED_ZONES,
  systemClock,
  uuidv7,
  type Clock,
  type Principal,
  type TableRef,
} from '../kernel/index.js';
import { dataFileKey, openObjectStore, type ObjectStore } from '../storage/index.js';
import type { LakeConfig } from './config.js';

/** Which snapshots a session reads: the current ones, those current at `asOf`, or explicit ids per table. */
export interface ReadOptions {
  /** Read every table as it was at this time (tables created later are absent). */
  readonly asOf?: Date;
  /** Pin these tables (`zone.table`) to these snapshot ids. */
  readonly snapshots?: Readonly<Record<string, number>>;
  /**
   * The SQL the session is for: only tables it names are bound, so a session
   * on S3 storage fetches just the files it can read. Without it every
   * readable table is bound.
   */
  readonly forSql?: string;
}

/** True when `sql` names `zone.table` (quoted or not, any case). */
export function mentionsTable(sql: string, zone: string, name: string): boolean {
  const text = sql.replaceAll('"', '').toLowerCase();
  return new RegExp(`(^|[^a-z0-9_])${zone}\\s*\\.\\s*${name}($|[^a-z0-9_])`).test(text);
}

/** A query result written into a table. */
export interface WriteSelectRequest {
  readonly table: TableRef;
  /** A single SELECT statement. */
  readonly sql: string;
  readonly mode: 'append' | 'replace';
  /** Files (outside the lake) the SELECT reads, e.g. an input file. */
  readonly readPaths?: readonly string[];
  /** Tables the SELECT reads, pinned to their current snapshots. */
  readonly readTables?: readonly TableRef[];
  readonly batchId?: string;
  /** Key prefix of the written files (default: the batch id); must be new for every attempt. */
  readonly filePrefix?: string;
  /** Recorded with the batch, e.g. `{ source: 'load', file: 'x.csv' }`. */
  readonly batchInfo?: Readonly<Record<string, unknown>>;
  /** Table metadata used when the table is created. */
  readonly create?: { readonly description?: string; readonly owner?: string; readonly tags?: readonly string[] };
  readonly onProgress?: (stage: WriteStage, done?: number, total?: number) => void;
}

/** One SELECT of a multi-part write (see `Lake.writeParts`), over tables bound for it alone. */
export interface WritePart {
  readonly sql: string;
  /** The tables the SELECT reads, already bound: e.g. restricted to some batches' files or to some days. */
  readonly tables: readonly TableBinding[];
  /** Files (outside the lake) the SELECT reads, e.g. rows a TypeScript model returned. */
  readonly readPaths?: readonly string[];
  /** Partition value of the part's files (a day, `YYYY-MM-DD`). */
  readonly partition?: string;
  /** The batch the part's files belong to, when it is not the commit's. */
  readonly batchId?: string;
}

/** Several SELECTs written into one table and published in one commit. */
export interface WritePartsRequest {
  readonly table: TableRef;
  readonly parts: readonly WritePart[];
  /**
   * `append` adds; `replace` removes every current file (the parts define the
   * schema anew); `overwrite` removes the current files of `removeBatchIds` and
   * `removePartitions`, resolved when the commit lands, so a concurrent or
   * repeated write of the same batch replaces rather than duplicates it.
   */
  readonly mode: 'append' | 'replace' | 'overwrite';
  readonly removeBatchIds?: readonly string[];
  readonly removePartitions?: readonly string[];
  readonly batchId: string;
  /** Key prefix of the written files; must be new for every attempt. */
  readonly filePrefix: string;
  readonly batchInfo?: Readonly<Record<string, unknown>>;
  /** Recorded on the snapshot (default: `batchInfo`); a function gets the rows each part wrote. */
  readonly summary?: Readonly<Record<string, unknown>> | ((partRows: readonly number[]) => Readonly<Record<string, unknown>>);
  readonly create?: WriteSelectRequest['create'];
  /** Column docs by name (a model's `columns:`), recorded with the schema. */
  readonly docs?: Readonly<Record<string, string>>;
  /** Checks the written files (local paths) before anything is published; a throw fails the write. */
  readonly verify?: (files: readonly string[]) => Promise<void>;
  readonly onProgress?: (stage: WriteStage, done?: number, total?: number) => void;
}

/** Files written elsewhere, to be committed as one append (see `Lake.commitFiles`). */
export interface CommitFilesRequest {
  readonly table: TableRef;
  readonly files: readonly WrittenFile[];
  /** The files' columns (names and types), cast to the table's types when it exists. */
  readonly columns: readonly ColumnInput[];
  readonly batchId: string;
  /** Key prefix of the files (default: the batch id); must be new for every attempt. */
  readonly filePrefix?: string;
  readonly batchInfo?: Readonly<Record<string, unknown>>;
  readonly create?: { readonly description?: string; readonly owner?: string; readonly tags?: readonly string[] };
}

/**
 * A write about to be published, as a write gate sees it: the files it added
 * (uploaded, not yet committed) and the current files it keeps and removes.
 */
export interface StagedWrite {
  readonly table: TableRef;
  readonly operation: 'append' | 'replace' | 'overwrite';
  readonly batchId: string;
  readonly baseSnapshotId: number | null;
  readonly committer: string;
  /** The table's columns after the write. */
  readonly columns: readonly ColumnInput[];
  readonly added: readonly { readonly path: string; readonly localPath: string; readonly rows: number; readonly bytes: number; readonly partition?: string; readonly batchId?: string }[];
  /** Current files the write keeps, as local paths. */
  readonly kept: readonly { readonly path: string; readonly localPath: string; readonly rows: number }[];
  /** Current files the write removes. */
  readonly removedPaths: readonly string[];
}

/** What a write gate decided about a staged write. */
export interface WriteVerdict {
  /** True: the write must not be published. */
  readonly blocked: boolean;
  /** Why (blocked writes): one line per failing check. */
  readonly reason?: string;
  /**
   * Called once: with the snapshot the write became, or with the id of the
   * staged snapshot a blocked write was kept as. Never fails the write.
   */
  settle(outcome: { readonly snapshotId: number } | { readonly stagedId: string }): Promise<void>;
}

/** Audits writes before they are published (write-audit-publish); undefined: nothing to check for this table. */
export interface WriteGate {
  audit(write: StagedWrite): Promise<WriteVerdict | undefined>;
}

/** Told about every commit, after it landed (e.g. to profile the new snapshot); must not throw or block. */
export type CommitListener = (event: {
  readonly table: TableRef;
  readonly snapshot: Snapshot;
  readonly operation: 'append' | 'replace' | 'overwrite';
  /** Partitions (days) the commit wrote files into. */
  readonly partitions: readonly string[];
  /** Keys of the files the commit added. */
  readonly added: readonly string[];
}) => void;

/** A write an error check blocked: the table keeps its snapshot; the write is kept as a staged snapshot. */
export class WriteBlockedError extends AdeError {
  readonly stagedId: string;
  constructor(table: string, stagedId: string, reason: string) {
    super('quality.blocked', `the write to ${table} was blocked by its error checks: ${reason}`, {
      hint: `the table keeps its previous snapshot; inspect the blocked write with \`ade quality staged ${stagedId}\`, fix the data or the check, then run again`,
      details: { table, stagedId },
    });
    this.stagedId = stagedId;
  }
}

export type WriteStage = 'writing' | 'uploading' | 'committing';

export interface WriteResult {
  readonly table: string;
  readonly snapshot: Snapshot;
  readonly batchId: string;
  readonly rows: number;
  readonly files: number;
  readonly bytes: number;
  readonly columns: readonly ResultColumn[];
  /** Columns the write added to an existing table's schema. */
  readonly addedColumns: readonly string[];
  /** Input labels that were not valid names, and the names they were given. */
  readonly renamedColumns: Readonly<Record<string, string>>;
  readonly retries: number;
}

/** What the common tail of every write publishes. */
interface PublishRequest {
  table: TableRef;
  existed: boolean;
  files: readonly PlacedFile[];
  filePrefix: string;
  columns: readonly ColumnInput[];
  operation: 'append' | 'replace' | 'overwrite';
  removeBatchIds?: readonly string[] | undefined;
  removePartitions?: readonly string[] | undefined;
  summary?: Readonly<Record<string, unknown>> | undefined;
  baseSnapshotId: number | null;
  batchId: string;
  batchInfo: Readonly<Record<string, unknown>> | undefined;
  create: WriteSelectRequest['create'];
  onProgress?: WriteSelectRequest['onProgress'];
}

/**
 * A project's lake: object store + catalog + engine, and the operations that
 * need all three (role-scoped sessions, staged writes with one atomic commit,
 * garbage collection, verification).
 */
export class Lake {
  readonly store: ObjectStore;
  readonly catalog: CatalogStore;
  readonly engine: Engine;
  readonly clock: Clock;
  #gate: WriteGate | undefined;
  readonly #listeners: CommitListener[] = [];

  constructor(store: ObjectStore, catalog: CatalogStore, engine: Engine, clock: Clock = systemClock) {
    this.store = store;
    this.catalog = catalog;
    this.engine = engine;
    this.clock = clock;
  }

  /** Opens (and migrates) the catalog, the object store and the engine. */
  static async open(config: LakeConfig): Promise<Lake> {
    const store = await openObjectStore(config.storage);
    try {
      const catalog = await openCatalog({ ...config.catalog, ...(config.clock ? { clock: config.clock } : {}) });
      try {
        const engine = await Engine.create(config.engine);
        return new Lake(store, catalog, engine, config.clock);
      } catch (e) {
        await catalog.close();
        throw e;
      }
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  /** Installs the gate every write passes before it is published (one per lake). */
  setWriteGate(gate: WriteGate | undefined): void {
    this.#gate = gate;
  }

  /** Calls `listener` after every commit this lake makes. */
  onCommit(listener: CommitListener): void {
    this.#listeners.push(listener);
  }

  /** Tables the principal may see. */
  async tables(principal: Principal): Promise<TableInfo[]> {
    return this.catalog.listTables({ zones: readableZones(principal.role) });
  }

  /** Pins one table for a principal allowed to read it. */
  async pin(principal: Principal, ref: TableRef, at?: SnapshotSelector): Promise<PinnedSnapshot> {
    assertCanRead(principal, ref.zone);
    const table = await this.catalog.getTable(ref);
    if (!table) throw new NotFoundError('table', formatTableRef(ref), { hint: 'list tables with `ade tables`' });
    return this.catalog.pin(ref, at);
  }

  /** The binding of a pinned snapshot: its files as local paths. */
  async bind(pinned: PinnedSnapshot): Promise<TableBinding> {
    const files = await Promise.all(pinned.files.map((f) => this.store.localPath(f.path)));
    return {
      zone: pinned.table.zone,
      name: pinned.table.name,
      columns: pinned.schema.columns.map((c) => ({ name: c.name, type: c.type, id: c.id })),
      files,
    };
  }

  /** Bindings for every table the principal may read, pinned as `read` says. */
  async bindingsFor(principal: Principal, read: ReadOptions = {}): Promise<TableBinding[]> {
    const tables = await this.tables(principal);
    const out: TableBinding[] = [];
    for (const t of tables) {
      const key = formatTableRef(t);
      if (read.forSql !== undefined && read.snapshots?.[key] === undefined && !mentionsTable(read.forSql, t.zone, t.name)) continue;
      const id = read.snapshots?.[key];
      let selector: SnapshotSelector;
      if (id !== undefined) selector = { snapshotId: id };
      else if (read.asOf) {
        if (t.createdAt > read.asOf) continue;
        selector = { asOf: read.asOf };
      }
      let pinned: PinnedSnapshot;
      try {
        pinned = await this.catalog.pin(t, selector);
      } catch (e) {
        // A table whose first commit came after asOf did not exist then.
        if (read.asOf && id === undefined && e instanceof NotFoundError) continue;
        throw e;
      }
      out.push(await this.bind(pinned));
    }
    for (const name of Object.keys(read.snapshots ?? {})) {
      if (!out.some((b) => `${b.zone}.${b.name}` === name)) {
        throw new NotFoundError('table', name, { hint: 'check the table name and that your role may read its zone' });
      }
    }
    // Every read of a restricted zone (raw, quarantine, archive) by a query goes into the audit log, whatever the door (CLI, API).
    const restricted = read.forSql === undefined ? [] : out.filter((b) => (RESTRICTED_ZONES as readonly string[]).includes(b.zone));
    if (restricted.length) {
      await this.catalog.audit({
        actor: principal.name,
        action: 'query.restricted_read',
        target: restricted.map((b) => `${b.zone}.${b.name}`).join(','),
        details: { role: principal.role, sql: read.forSql!.slice(0, 2000) },
      });
    }
    return out;
  }

  /**
   * What a session for the principal is opened with — the tables it may read
   * (as `read` pins them) and the only directories its DuckDB may open — for
   * an engine in this process or in a worker process that never sees the catalog.
   */
  async sessionSpec(principal: Principal, read: ReadOptions = {}): Promise<{ principal: Principal; tables: TableBinding[]; allowedDirectories: string[] }> {
    const tables = await this.bindingsFor(principal, read);
    const allowedDirectories = readableZones(principal.role).map((z) => join(this.store.localRoot(), z));
    return { principal, tables, allowedDirectories };
  }

  /** A DuckDB session that sees exactly the tables (and files) the principal may read. */
  async session(principal: Principal, read: ReadOptions = {}): Promise<Session> {
    return this.engine.openSession(await this.sessionSpec(principal, read));
  }

  /**
   * Writes the result of a SELECT into a table as zstd Parquet and commits it
   * in one commit. Appends cast to the table's column types and add new
   * columns; replaces define the schema anew. On any failure the staged files
   * are removed and the table is left at its previous snapshot.
   */
  async writeSelect(principal: Principal, req: WriteSelectRequest): Promise<WriteResult> {
    assertCanWrite(principal, req.table.zone);
    const ref = req.table;
    const existing = await this.catalog.getTable(ref);
    const pinned = existing ? await this.catalog.pin(ref) : undefined;
    const baseSnapshotId = pinned?.snapshot?.id ?? null;
    const batchId = req.batchId ?? uuidv7();
    const readTables = await Promise.all(
      (req.readTables ?? []).map(async (t) => this.bind(await this.pin(principal, t))),
    );

    // Appends shape the input to the table first (casts, new columns). Other
    // writes go straight to Parquet and are reshaped only if the input's labels
    // are not valid names, so the common path binds the SELECT once.
    let shaped =
      pinned && req.mode === 'append'
        ? shapeColumns(
            req.sql,
            (await this.engine.describe(req.sql, { readPaths: req.readPaths ?? [], tables: readTables })).map((c) => ({ name: c.name, type: storedType(c.type) })),
            pinned.schema.columns,
          )
        : undefined;
    const staging = await this.store.stagingDir();
    try {
      req.onProgress?.('writing');
      const write = (sql: string) =>
        this.engine.write({
          sql,
          tables: readTables,
          readPaths: req.readPaths ?? [],
          readDirectories: [],
          outDir: staging,
          filePrefix: req.filePrefix ?? batchId,
          ...(req.onProgress ? { onProgress: (f: number) => req.onProgress!('writing', Math.round(f * 1000), 1000) } : {}),
        });
      let written = await write(shaped?.sql ?? req.sql);
      if (!shaped) {
        shaped = shapeColumns(req.sql, written.columns, undefined);
        if (shaped.sql !== req.sql) {
          await Promise.all(written.files.map((f) => rm(f.localPath, { force: true })));
          written = await write(shaped.sql);
        }
      }
      const { columns, addedColumns, renamedColumns } = shaped;
      const published = await this.#publish(principal, {
        table: ref,
        existed: existing !== undefined,
        files: written.files,
        filePrefix: req.filePrefix ?? batchId,
        columns,
        operation: req.mode,
        baseSnapshotId,
        batchId,
        batchInfo: req.batchInfo,
        create: req.create,
        onProgress: req.onProgress,
      });
      return { ...published, columns: written.columns, addedColumns, renamedColumns };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * Writes several SELECTs, each over its own bindings, into one table and
   * publishes them in one commit: a model build that replaces some batches or
   * some days of a table, atomically. Files keep their part's partition and
   * batch. Appends and overwrites cast to the table's types and add new
   * columns; a replace defines the schema from the parts. On any failure
   * nothing is published and the table stays at its previous snapshot.
   */
  async writeParts(principal: Principal, req: WritePartsRequest): Promise<WriteResult> {
    assertCanWrite(principal, req.table.zone);
    const ref = req.table;
    const existing = await this.catalog.getTable(ref);
    const pinned = existing ? await this.catalog.pin(ref) : undefined;
    const keepSchema = pinned && req.mode !== 'replace' ? pinned.schema.columns : undefined;
    const staging = await this.store.stagingDir();
    try {
      req.onProgress?.('writing');
      let input: readonly ResultColumn[] | undefined;
      let shaped: Shaped | undefined;
      const files: PlacedFile[] = [];
      const partRows: number[] = [];
      let columns: readonly ResultColumn[] = [];
      const request = (part: WritePart, i: number, sql: string) => ({
        sql,
        tables: part.tables,
        readPaths: part.readPaths ?? [],
        readDirectories: [],
        outDir: staging,
        filePrefix: `${req.filePrefix}-p${i}`,
      });
      const place = (part: WritePart, written: { files: readonly WrittenFile[]; rows: number; columns: readonly ResultColumn[] }, i: number) => {
        if (i === 0) columns = written.columns;
        partRows.push(written.rows);
        files.push(...written.files.map((f) => ({ ...f, ...(part.partition !== undefined ? { partition: part.partition } : {}), ...(part.batchId !== undefined ? { batchId: part.batchId } : {}) })));
      };
      if (req.parts.length === 1 && !keepSchema) {
        // One part into a new schema: written as is, reshaped only if its labels are not valid names.
        const part = req.parts[0]!;
        let written = await this.engine.write(request(part, 0, part.sql));
        shaped = shapeColumns(part.sql, written.columns, undefined);
        if (shaped.sql !== part.sql) {
          await Promise.all(written.files.map((f) => rm(f.localPath, { force: true })));
          written = await this.engine.write(request(part, 0, shaped.sql));
        }
        place(part, written, 0);
      } else if (req.parts.length > 0) {
        // Every part is shaped alike (cast to the table's types, or named validly) and written on one sandbox.
        // Described, the types are what the files will hold (HUGEINT is written as DOUBLE), as a one-part write's read-back types are.
        input = (await this.engine.describe(req.parts[0]!.sql, { readPaths: req.parts[0]!.readPaths ?? [], tables: req.parts[0]!.tables })).map((c) => ({
          name: c.name,
          type: storedType(c.type),
        }));
        const sqls = req.parts.map((part) => (shaped = shapeColumns(part.sql, input!, keepSchema)).sql);
        const written = await this.engine.writeAll(req.parts.map((part, i) => request(part, i, sqls[i]!)));
        written.forEach((w, i) => place(req.parts[i]!, w, i));
      }
      req.onProgress?.('writing', req.parts.length, req.parts.length);
      if (req.verify && files.length) await req.verify(files.map((f) => f.localPath));
      const published = await this.#publish(principal, {
        table: ref,
        existed: existing !== undefined,
        files,
        filePrefix: req.filePrefix,
        columns: (shaped?.columns ?? keepSchema ?? []).map((c) => (req.docs?.[c.name] ? { ...c, doc: req.docs[c.name] } : c)),
        operation: req.mode,
        baseSnapshotId: pinned?.snapshot?.id ?? null,
        batchId: req.batchId,
        batchInfo: req.batchInfo,
        summary: typeof req.summary === 'function' ? req.summary(partRows) : req.summary,
        removeBatchIds: req.removeBatchIds,
        removePartitions: req.removePartitions,
        create: req.create,
        onProgress: req.onProgress,
      });
      return { ...published, columns, addedColumns: shaped?.addedColumns ?? [], renamedColumns: shaped?.renamedColumns ?? {} };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * Commits Parquet files a pipeline already wrote (e.g. in a workspace) to a
   * table as one append: uploads them under the batch's keys, creates the
   * table on first use, and commits. `columns` must be what the files hold,
   * already cast to the table's types. On failure nothing stays staged.
   */
  async commitFiles(principal: Principal, req: CommitFilesRequest): Promise<WriteResult> {
    assertCanWrite(principal, req.table.zone);
    const existing = await this.catalog.getTable(req.table);
    const current = existing ? await this.catalog.pin(req.table) : undefined;
    const known = new Set(current?.schema.columns.map((c) => c.name) ?? []);
    const columns = current
      ? [
          ...current.schema.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, privacy: c.privacy, ...(c.doc ? { doc: c.doc } : {}) })),
          ...req.columns.filter((c) => !known.has(c.name)),
        ]
      : req.columns;
    const published = await this.#publish(principal, {
      table: req.table,
      existed: existing !== undefined,
      files: req.files,
      filePrefix: req.filePrefix ?? req.batchId,
      columns,
      operation: 'append',
      baseSnapshotId: current?.snapshot?.id ?? null,
      batchId: req.batchId,
      batchInfo: req.batchInfo,
      create: req.create,
    });
    return {
      ...published,
      columns: req.columns,
      addedColumns: req.columns.filter((c) => current && !known.has(c.name)).map((c) => c.name),
      renamedColumns: {},
    };
  }

  /**
   * The common tail of every write: uploads the files under the batch's keys
   * (registered as staged first, so GC leaves them alone), creates the table
   * on first use, and commits. On failure the uploads are removed, the staging
   * records forgotten, and a table this write created is dropped again.
   */
  async #publish(
    principal: Principal,
    p: PublishRequest,
  ): Promise<Pick<WriteResult, 'table' | 'snapshot' | 'batchId' | 'rows' | 'files' | 'bytes' | 'retries'>> {
    const ref = p.table;
    const keys = p.files.map((f, i) => dataFileKey(ref.zone, ref.name, f.partition, p.filePrefix, i));
    let verdict: WriteVerdict | undefined;
    let kept = false;
    try {
      await this.catalog.registerStaged(keys);
      for (const [i, file] of p.files.entries()) {
        p.onProgress?.('uploading', i, p.files.length);
        await this.store.putFile(keys[i]!, file.localPath);
      }
      if (this.#gate) {
        const staged = await this.#stagedWrite(principal, p, keys);
        verdict = await this.#gate.audit(staged);
        if (verdict?.blocked) {
          const stagedId = uuidv7();
          await this.catalog.createStagedSnapshot({
            id: stagedId,
            table: formatTableRef(ref),
            operation: p.operation,
            ...(p.baseSnapshotId !== null ? { baseSnapshotId: p.baseSnapshotId } : {}),
            batchId: p.batchId,
            files: p.files.map((f, i) => ({
              path: keys[i]!,
              rows: f.rows,
              bytes: f.bytes,
              ...(f.partition !== undefined ? { partition: f.partition } : {}),
              ...(f.batchId !== undefined ? { batchId: f.batchId } : {}),
            })),
            removedPaths: staged.removedPaths,
            columns: p.columns,
            reason: verdict.reason ?? 'an error check failed',
            committer: principal.name,
          });
          kept = true;
          await verdict.settle({ stagedId }).catch(() => {});
          throw new WriteBlockedError(formatTableRef(ref), stagedId, verdict.reason ?? 'an error check failed');
        }
      }
      p.onProgress?.('committing');
      if (!p.existed) {
        await this.catalog.ensureTable({
          table: ref,
          columns: p.columns,
          description: p.create?.description,
          owner: p.create?.owner ?? principal.name,
          tags: p.create?.tags,
        });
      }
      const rows = p.files.reduce((s, f) => s + f.rows, 0);
      const bytes = p.files.reduce((s, f) => s + f.bytes, 0);
      const result = await this.catalog.commit({
        table: ref,
        operation: p.operation,
        baseSnapshotId: p.baseSnapshotId,
        added: p.files.map((f, i) => ({
          path: keys[i]!,
          rows: f.rows,
          bytes: f.bytes,
          ...(f.partition !== undefined ? { partition: f.partition } : {}),
          ...(f.batchId !== undefined ? { batchId: f.batchId } : {}),
          columnStats: withoutPersonalBounds(f.columnStats, p.columns),
        })),
        ...(p.removeBatchIds?.length ? { removeBatchIds: p.removeBatchIds } : {}),
        ...(p.removePartitions?.length ? { removePartitions: p.removePartitions } : {}),
        batchId: p.batchId,
        ...(p.batchInfo ? { batchInfo: p.batchInfo } : {}),
        columns: p.columns,
        committer: principal.name,
        summary: { rows, files: p.files.length, bytes, ...(p.summary ?? p.batchInfo ?? {}) },
        // Appends and overwrites (whose removals are resolved when the commit lands) retry a lost race; a replace built on a snapshot does not.
        retryOnConflict: p.operation !== 'replace',
      });
      if (verdict) await verdict.settle({ snapshotId: result.snapshot.id }).catch(() => {});
      const partitions = [...new Set(p.files.flatMap((f) => (f.partition !== undefined ? [f.partition] : [])))];
      for (const listener of this.#listeners) {
        try {
          listener({ table: ref, snapshot: result.snapshot, operation: p.operation, partitions, added: keys });
        } catch {
          // A listener's failure is its own (profiling never fails a write).
        }
      }
      return { table: formatTableRef(ref), snapshot: result.snapshot, batchId: p.batchId, rows, files: p.files.length, bytes, retries: result.retries };
    } catch (e) {
      if (kept) throw e;
      await Promise.allSettled(keys.map((k) => this.store.delete(k)));
      await this.catalog.unregisterStaged(keys).catch(() => {});
      if (!p.existed) {
        // A table this write created but never committed must not linger empty.
        const created = await this.catalog.getTable(ref).catch(() => undefined);
        if (created && created.currentSnapshotId === undefined) await this.catalog.dropTable(ref, principal.name).catch(() => {});
      }
      throw e;
    }
  }

  async #stagedWrite(
    principal: Principal,
    p: PublishRequest,
    keys: readonly string[],
  ): Promise<StagedWrite> {
    // The base snapshot's files, read once: a replace removes them all, an overwrite those of the named batches or
    // partitions, an append none.
    const current = p.baseSnapshotId === null ? [] : await this.catalog.files(p.table, { snapshotId: p.baseSnapshotId });
    const batches = new Set(p.removeBatchIds ?? []);
    const partitions = new Set(p.removePartitions ?? []);
    const removes = (f: (typeof current)[number]) =>
      p.operation === 'replace' || (p.operation === 'overwrite' && ((f.batchId !== undefined && batches.has(f.batchId)) || (f.partition !== undefined && partitions.has(f.partition))));
    const removed = new Set(current.filter(removes).map((f) => f.path));
    const keptFiles = current.filter((f) => !removed.has(f.path));
    return {
      table: p.table,
      operation: p.operation,
      batchId: p.batchId,
      baseSnapshotId: p.baseSnapshotId,
      committer: principal.name,
      columns: p.columns,
      added: await Promise.all(p.files.map(async (f, i) => ({
        path: keys[i]!,
        localPath: await this.store.localPath(keys[i]!),
        rows: f.rows,
        bytes: f.bytes,
        ...(f.partition !== undefined ? { partition: f.partition } : {}),
        ...(f.batchId !== undefined ? { batchId: f.batchId } : {}),
      }))),
      kept: await Promise.all(keptFiles.map(async (f) => ({ path: f.path, localPath: await this.store.localPath(f.path), rows: f.rows }))),
      removedPaths: [...removed],
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.engine.close(), this.catalog.close(), this.store.close()]);
  }
}

/**
 * File statistics without min/max of columns classed personal or sensitive:
 * the catalog is metadata everyone may read about, so it never keeps values of
 * such columns (a quarantined record, say). Null counts stay.
 */
export function withoutPersonalBounds(
  stats: Readonly<Record<string, { min?: unknown; max?: unknown; nulls: number }>>,
  columns: readonly { name: string; privacy?: string }[],
): Record<string, { min?: unknown; max?: unknown; nulls: number }> {
  const hidden = new Set(columns.filter((c) => c.privacy === 'personal' || c.privacy === 'sensitive').map((c) => c.name));
  return Object.fromEntries(Object.entries(stats).map(([name, st]) => [name, hidden.has(name) ? { nulls: st.nulls } : st]));
}

interface Shaped {
  /** The SELECT to write. */
  readonly sql: string;
  /** The table's columns after the write. */
  readonly columns: ColumnInput[];
  readonly addedColumns: string[];
  readonly renamedColumns: Record<string, string>;
}

/**
 * Fits a SELECT's columns to a table: labels that are not valid names are
 * renamed (`Customer Name` → `customer_name`); when appending to `current`
 * columns, inputs are cast to the table's types and new columns are added.
 */
function shapeColumns(sql: string, input: readonly { name: string; type: string }[], current: readonly Column[] | undefined): Shaped {
  const names = normalizeNames(input.map((c) => c.name));
  const renamedColumns = Object.fromEntries(input.flatMap((c, i) => (c.name === names[i] ? [] : [[c.name, names[i]!]])));
  const renamed = Object.keys(renamedColumns).length
    ? `SELECT ${input.map((c, i) => `${quoteIdent(c.name)} AS ${quoteIdent(names[i]!)}`).join(', ')} FROM (${sql}) AS _raw`
    : sql;
  const described = input.map((c, i) => ({ name: names[i]!, type: c.type }));
  if (!current) return { sql: renamed, columns: described, addedColumns: [], renamedColumns };
  const byName = new Map(current.map((c) => [c.name, c]));
  const addedColumns: string[] = [];
  const select = described.map((c) => {
    const target = byName.get(c.name);
    if (!target) {
      addedColumns.push(c.name);
      return quoteIdent(c.name);
    }
    return target.type === c.type ? quoteIdent(c.name) : `CAST(${quoteIdent(c.name)} AS ${target.type}) AS ${quoteIdent(c.name)}`;
  });
  return {
    sql: `SELECT ${select.join(', ')} FROM (${renamed}) AS _input`,
    columns: [
      ...current.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, privacy: c.privacy, ...(c.doc ? { doc: c.doc } : {}) })),
      ...described.filter((c) => addedColumns.includes(c.name)),
    ],
    addedColumns,
    renamedColumns,
  };
}
