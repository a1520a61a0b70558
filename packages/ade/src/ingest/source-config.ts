import { normalizeNames } from '../kernel/index.js';
import type { PiiKind, TimeGrain } from '../privacy/index.js';
import type { Compression, DeclaredColumns, InputFormat } from '../lake/input-format.js';

/**
 * What happens to one field on its way into the clean zone.
 * - keep: unchanged
 * - drop: removed
 * - tokenize: `tok_…` HMAC token of the value normalised for `kind` (default: from the field name, else text)
 * - mask: all but the last `keepLast` characters replaced by `*`
 * - generalize: coarsened (`to` says how)
 * - redact: free text scanned by the detectors; each span replaced by `[KIND:tok_…]`
 */
export type FieldPolicy =
  | { readonly action: 'keep' }
  | { readonly action: 'drop' }
  | { readonly action: 'tokenize'; readonly kind?: PiiKind }
  | { readonly action: 'mask'; readonly keepLast: number }
  | { readonly action: 'generalize'; readonly to: TimeGrain }
  | { readonly action: 'generalize'; readonly to: 'zip'; readonly digits: number }
  | { readonly action: 'generalize'; readonly to: 'ip'; readonly v4Prefix: number; readonly v6Prefix: number }
  | { readonly action: 'generalize'; readonly to: 'coordinate'; readonly decimals: number }
  | { readonly action: 'generalize'; readonly to: 'age'; readonly band: number }
  | { readonly action: 'redact' };

export type FieldAction = FieldPolicy['action'];
export const FIELD_ACTIONS: readonly FieldAction[] = ['keep', 'drop', 'tokenize', 'mask', 'generalize', 'redact'];

/** What happens to fields no policy names (after detectors scanned them). */
export type UndeclaredPolicy = 'tokenize' | 'drop' | 'reject';

/** What happens when an input carries a field the pinned schema lacks. */
export type SchemaChangePolicy = 'evolve' | 'reject';

/**
 * One source of ade.yaml's `sources:` — where files come from, how to read
 * them and what privacy policy applies. The library receives it as config.
 */
export interface SourceConfig {
  /** Valid table name: rows land in `clean.<name>`, failures in `quarantine.<name>`, files in `raw/<name>/`. */
  readonly name: string;
  readonly format: InputFormat;
  /** `auto` (default) tells from the file name (.gz, .zst). */
  readonly compression: Compression | 'auto';
  /**
   * Where new files are looked for when `ade ingest <source>` gets no paths:
   * a file, a folder (every file in it) or a glob (`landing/events/*.ndjson.gz`),
   * resolved against the project folder. Undefined: paths must be given.
   */
  readonly location?: string;
  /** Declared columns (flattened names, DuckDB types); undefined: inferred from the first file, then pinned. */
  readonly schema?: DeclaredColumns;
  readonly onSchemaChange: SchemaChangePolicy;
  /** Field (dotted path for nested JSON) whose value identifies an event; rows repeating one are dropped and counted. */
  readonly eventId?: string;
  /** Field holding the event's time. */
  readonly eventTime?: string;
  /** Policy by field path: `email`, `properties.email`, `items[].card`. */
  readonly fields: Readonly<Record<string, FieldPolicy>>;
  readonly undeclared: UndeclaredPolicy;
  /** Raw files older than this (ms) move to the archive zone on `ade archive`. Undefined: kept in raw. */
  readonly rawRetentionMs?: number;
  /** Archived files older than this (ms) are deleted on `ade archive`. Undefined: kept forever. */
  readonly archiveRetentionMs?: number;
  /** Records larger than this many bytes go to quarantine. Default 16 MiB. */
  readonly maxRecordBytes: number;
  /** Files with more columns than this are quarantined whole. Default 4,096. */
  readonly maxColumns: number;
  /** JSON nested deeper than this goes to quarantine. Default 64. */
  readonly maxDepth: number;
  /**
   * A change stream (`cdc:` in ade.yaml): `POST /v1/cdc/<name>` takes Debezium,
   * DynamoDB Streams and Salesforce change events into change rows (`cdc_*`
   * columns and the row) that `current` models apply. Format ndjson;
   * `event_id` defaults to `cdc_id`, `event_time` to `cdc_ts`.
   */
  readonly cdc?: CdcConfig;
}

/** How a change stream's events are read. */
export interface CdcConfig {
  /** Key columns of the rows. Required for Debezium (its key travels outside the value); empty: DynamoDB's `Keys`, Salesforce's `Id`. */
  readonly key: readonly string[];
}

export const SOURCE_DEFAULTS = {
  compression: 'auto',
  onSchemaChange: 'evolve',
  undeclared: 'tokenize',
  maxRecordBytes: 16 * 1024 * 1024,
  maxColumns: 4096,
  maxDepth: 64,
} as const satisfies Partial<SourceConfig>;

/**
 * The time column of each source's clean table (`clean.events` → `timestamp`),
 * for sources that declare `event_time`: day models read these tables one day
 * at a time. Nested paths flatten as ingestion names them (`a.b` → `a_b`).
 */
export function sourceTimeColumns(sources: readonly SourceConfig[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of sources) {
    if (s.eventTime) out.set(`clean.${s.name}`, normalizeNames([s.eventTime.split('.').join('_')])[0]!);
  }
  return out;
}
