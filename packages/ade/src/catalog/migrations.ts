import { ZONES, type Clock } from '../kernel/index.js';
import { CatalogError } from './errors.js';
import type { SqlDialect, SqlDriver, SqlValue } from './sql-driver.js';

type Statement = string | { readonly sql: string; readonly params: readonly SqlValue[] };

/** One step of the catalog schema. Applied once, in order, inside one transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  statements(dialect: SqlDialect): readonly Statement[];
}

/** The only per-dialect DDL: an increasing, never reused integer key. */
function idColumn(dialect: SqlDialect): string {
  return dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY';
}

/**
 * Timestamps are BIGINT epoch milliseconds, JSON is TEXT, booleans are not
 * used: the same SQL reads and writes both dialects.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'catalog',
    statements: (d) => [
      `CREATE TABLE zones (name TEXT PRIMARY KEY, position BIGINT NOT NULL)`,
      ...ZONES.map((zone, i) => ({ sql: `INSERT INTO zones (name, position) VALUES (?, ?)`, params: [zone, i] })),
      `CREATE TABLE tables (
        id ${idColumn(d)},
        zone TEXT NOT NULL REFERENCES zones (name),
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        description TEXT NOT NULL,
        owner TEXT NOT NULL,
        tags TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        current_snapshot_id BIGINT,
        current_schema_id BIGINT,
        next_column_id BIGINT NOT NULL,
        version BIGINT NOT NULL,
        dropped_at BIGINT
      )`,
      // A dropped table keeps its row (its files await GC); its name is free again.
      `CREATE UNIQUE INDEX tables_zone_name ON tables (zone, name) WHERE dropped_at IS NULL`,
      `CREATE TABLE schemas (
        id ${idColumn(d)},
        table_id BIGINT NOT NULL REFERENCES tables (id),
        version BIGINT NOT NULL,
        columns TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (table_id, version)
      )`,
      `CREATE TABLE snapshots (
        id ${idColumn(d)},
        table_id BIGINT NOT NULL REFERENCES tables (id),
        seq BIGINT NOT NULL,
        parent_id BIGINT REFERENCES snapshots (id),
        operation TEXT NOT NULL,
        batch_id TEXT,
        schema_id BIGINT NOT NULL REFERENCES schemas (id),
        summary TEXT NOT NULL,
        committer TEXT NOT NULL,
        committed_at BIGINT NOT NULL,
        expired_at BIGINT,
        UNIQUE (table_id, seq)
      )`,
      `CREATE INDEX snapshots_table_time ON snapshots (table_id, committed_at)`,
      `CREATE TABLE data_files (
        id ${idColumn(d)},
        table_id BIGINT NOT NULL REFERENCES tables (id),
        path TEXT NOT NULL UNIQUE,
        row_count BIGINT NOT NULL,
        byte_count BIGINT NOT NULL,
        partition_value TEXT,
        column_stats TEXT NOT NULL,
        batch_id TEXT,
        added_seq BIGINT NOT NULL,
        removed_seq BIGINT,
        created_at BIGINT NOT NULL
      )`,
      `CREATE INDEX data_files_table_live ON data_files (table_id, removed_seq)`,
      `CREATE INDEX data_files_table_batch ON data_files (table_id, batch_id)`,
      `CREATE INDEX data_files_table_partition ON data_files (table_id, partition_value)`,
      `CREATE TABLE staged_files (path TEXT PRIMARY KEY, created_at BIGINT NOT NULL)`,
      `CREATE TABLE batches (
        table_id BIGINT NOT NULL REFERENCES tables (id),
        id TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        info TEXT NOT NULL,
        PRIMARY KEY (table_id, id)
      )`,
      `CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts BIGINT NOT NULL,
        lease_owner TEXT,
        lease_expires_at BIGINT,
        heartbeat_at BIGINT,
        created_at BIGINT NOT NULL,
        started_at BIGINT,
        finished_at BIGINT,
        error TEXT,
        info TEXT NOT NULL
      )`,
      `CREATE INDEX runs_state ON runs (state, created_at)`,
      `CREATE INDEX runs_created ON runs (created_at)`,
      `CREATE TABLE audit_events (
        id ${idColumn(d)},
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      )`,
      // The chain's head: appends lock this row, and a deleted last event is detected.
      `CREATE TABLE audit_head (id BIGINT PRIMARY KEY, events BIGINT NOT NULL, last_hash TEXT NOT NULL)`,
      `INSERT INTO audit_head (id, events, last_hash) VALUES (1, 0, '')`,
    ],
  },
  {
    version: 2,
    name: 'ingest',
    statements: () => [
      // A source's pinned input schema (flattened columns), set by its first ingest.
      `CREATE TABLE ingest_sources (name TEXT PRIMARY KEY, columns TEXT NOT NULL, pinned_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      // Every input file a source ingested, by content hash: re-ingesting one is a no-op.
      `CREATE TABLE ingest_files (
        source TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        name TEXT NOT NULL,
        raw_key TEXT NOT NULL,
        zone TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        batch_id TEXT NOT NULL,
        ingested_at BIGINT NOT NULL,
        moved_at BIGINT,
        info TEXT NOT NULL,
        PRIMARY KEY (source, content_hash)
      )`,
      `CREATE INDEX ingest_files_age ON ingest_files (zone, ingested_at)`,
    ],
  },
  {
    version: 3,
    name: 'ingest leases',
    statements: () => [
      // One ingest per source at a time (dedup against the table must see every earlier commit); expires if its holder dies.
      `CREATE TABLE ingest_leases (source TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at BIGINT NOT NULL)`,
    ],
  },
  {
    version: 4,
    name: 'quality',
    statements: (d) => [
      // A profile per snapshot: scope 'table' for the whole snapshot, 'day:YYYY-MM-DD' for one day partition it wrote.
      `CREATE TABLE profiles (
        table_ref TEXT NOT NULL,
        snapshot_id BIGINT NOT NULL,
        scope TEXT NOT NULL,
        row_count BIGINT NOT NULL,
        profile TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (table_ref, snapshot_id, scope)
      )`,
      `CREATE INDEX profiles_scope ON profiles (table_ref, scope, snapshot_id)`,
      // Every check result, kept as history.
      `CREATE TABLE check_results (
        id ${idColumn(d)},
        check_id TEXT NOT NULL,
        table_ref TEXT NOT NULL,
        check_name TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL,
        snapshot_id BIGINT,
        staged_id TEXT,
        batch_id TEXT,
        observed TEXT,
        expected TEXT,
        failing BIGINT,
        sample TEXT,
        message TEXT NOT NULL,
        checked_at BIGINT NOT NULL
      )`,
      `CREATE INDEX check_results_check ON check_results (check_id, id)`,
      `CREATE INDEX check_results_table ON check_results (table_ref, id)`,
      // A write an error check blocked: its files stay for inspection until discarded.
      `CREATE TABLE staged_snapshots (
        id TEXT PRIMARY KEY,
        table_ref TEXT NOT NULL,
        operation TEXT NOT NULL,
        base_snapshot_id BIGINT,
        batch_id TEXT NOT NULL,
        files TEXT NOT NULL,
        columns TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT NOT NULL,
        committer TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        closed_at BIGINT
      )`,
      `CREATE INDEX staged_snapshots_state ON staged_snapshots (state, created_at)`,
      // Alerts: at most one open per check; notices to sinks go through an outbox.
      `CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        check_id TEXT NOT NULL,
        table_ref TEXT NOT NULL,
        state TEXT NOT NULL,
        opened_at BIGINT NOT NULL,
        closed_at BIGINT,
        open_result_id BIGINT NOT NULL,
        close_result_id BIGINT
      )`,
      `CREATE UNIQUE INDEX alerts_one_open ON alerts (check_id) WHERE state = 'open'`,
      `CREATE TABLE alert_outbox (
        id ${idColumn(d)},
        alert_id TEXT NOT NULL,
        sink TEXT NOT NULL,
        notice TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts BIGINT NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        delivered_at BIGINT
      )`,
      `CREATE INDEX alert_outbox_due ON alert_outbox (state, next_attempt_at)`,
    ],
  },
  {
    version: 5,
    name: 'search',
    // Full-text search documents (see search-index.ts). Words are tokenized alike in both dialects:
    // letters and digits only (customer_id → customer, id), stemmed (nulls → null).
    statements: (d) =>
      d === 'sqlite'
        ? [
            `CREATE TABLE search_docs (
              id INTEGER PRIMARY KEY,
              doc_key TEXT NOT NULL UNIQUE,
              kind TEXT NOT NULL,
              zone TEXT NOT NULL,
              table_ref TEXT NOT NULL,
              title TEXT NOT NULL,
              body TEXT NOT NULL
            )`,
            `CREATE INDEX search_docs_table ON search_docs (table_ref)`,
            // An external-content index over search_docs; prefix indexes make 2- and 3-letter type-ahead cheap.
            `CREATE VIRTUAL TABLE search_fts USING fts5(
              title, body, content = 'search_docs', content_rowid = 'id', tokenize = 'porter unicode61', prefix = '2 3'
            )`,
            `CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
              INSERT INTO search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
            END`,
            `CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
              INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
            END`,
            `CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
              INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
              INSERT INTO search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
            END`,
          ]
        : [
            // 'english' stems like SQLite's porter tokenizer. Separators become spaces first: the
            // Postgres parser would otherwise keep clean.orders (a host) or a.b_c (a file) as one word.
            `CREATE TABLE search_docs (
              doc_key TEXT PRIMARY KEY,
              kind TEXT NOT NULL,
              zone TEXT NOT NULL,
              table_ref TEXT NOT NULL,
              title TEXT NOT NULL,
              body TEXT NOT NULL,
              tsv TSVECTOR GENERATED ALWAYS AS (
                setweight(to_tsvector('english', translate(title, '._/@:\\~-', '        ')), 'A') ||
                setweight(to_tsvector('english', translate(body, '._/@:\\~-', '        ')), 'B')
              ) STORED
            )`,
            `CREATE INDEX search_docs_table ON search_docs (table_ref)`,
            `CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv)`,
          ],
  },
  {
    version: 6,
    name: 'api tokens',
    statements: () => [
      // API tokens and write-only ingest keys (source set): only an HMAC of the secret part is kept (see api-tokens.ts).
      `CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        source TEXT,
        hash TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT,
        revoked_at BIGINT
      )`,
    ],
  },
  {
    version: 7,
    name: 'experiment analyses',
    statements: () => [
      // One analysis per experiment, as-of time and configuration (experiments/analyze-experiment.ts): re-running replaces it.
      `CREATE TABLE experiment_analyses (
        id TEXT PRIMARY KEY,
        experiment TEXT NOT NULL,
        as_of BIGINT NOT NULL,
        config_hash TEXT NOT NULL,
        computed_at BIGINT NOT NULL,
        computed_by TEXT NOT NULL,
        result TEXT NOT NULL,
        UNIQUE (experiment, as_of, config_hash)
      )`,
      'CREATE INDEX experiment_analyses_by_time ON experiment_analyses (experiment, as_of)',
    ],
  },
  {
    version: 8,
    name: 'ml models',
    statements: (d) => [
      // Immutable model versions (ml/model-registry.ts): the artifact lives in the ml zone at artifact_key, its sha256 here.
      `CREATE TABLE ml_model_versions (
        name TEXT NOT NULL,
        version BIGINT NOT NULL,
        task TEXT NOT NULL,
        target TEXT NOT NULL,
        metric TEXT NOT NULL,
        cv_score DOUBLE PRECISION,
        training_table TEXT NOT NULL,
        snapshot_id BIGINT,
        artifact_key TEXT NOT NULL,
        artifact_sha256 TEXT NOT NULL,
        manifest TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        created_by TEXT NOT NULL,
        PRIMARY KEY (name, version)
      )`,
      // An alias (champion, staging, …) names one version of a model.
      `CREATE TABLE ml_model_aliases (
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        version BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL,
        PRIMARY KEY (name, alias)
      )`,
      // Every move of an alias, oldest first: promotions push a version, rollbacks pop back to the one before.
      `CREATE TABLE ml_alias_history (
        id ${idColumn(d)},
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        action TEXT NOT NULL,
        version BIGINT NOT NULL,
        previous_version BIGINT,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL
      )`,
      'CREATE INDEX ml_alias_history_alias ON ml_alias_history (name, alias, id)',
    ],
  },
];

/** Postgres advisory lock key under which migrations run (`ade` in ASCII). */
const MIGRATION_LOCK_KEY = 0x616465;

/**
 * Brings the catalog schema up to date in one transaction. Safe when several
 * processes open the catalog at once: Postgres takes an advisory lock, SQLite
 * the write lock (`BEGIN IMMEDIATE`). Returns the versions it applied.
 */
export async function migrate(driver: SqlDriver, clock: Clock, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return driver.transaction(
    async (tx) => {
      if (driver.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
      await tx.run(
        `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
      );
      const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => Number(r.version)));
      const latest = Math.max(0, ...migrations.map((m) => m.version));
      const newest = Math.max(0, ...done);
      if (newest > latest) {
        throw new CatalogError('catalog.schema_too_new', `the catalog schema is at version ${newest} but this ade knows only up to ${latest}`, {
          hint: 'upgrade ade to the version that last migrated this catalog',
          details: { schemaVersion: newest, known: latest },
        });
      }
      const applied: number[] = [];
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        for (const st of m.statements(driver.dialect)) {
          if (typeof st === 'string') await tx.run(st);
          else await tx.run(st.sql, st.params);
        }
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          m.version,
          m.name,
          clock.now().getTime(),
        ]);
        applied.push(m.version);
      }
      return applied;
    },
    { write: true },
  );
}
