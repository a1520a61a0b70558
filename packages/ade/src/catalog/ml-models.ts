/**
 * The model registry's records: immutable model versions, aliases that name
 * one version each, and the history of every alias move (promotions push a
 * version, rollbacks pop back to the one before). Every change is audited in
 * the same transaction. The artifacts themselves live in the object store
 * (see ml/model-registry.ts); a version row holds their key and sha256.
 */
import { ValidationError, validateName } from '../kernel/index.js';
import { appendAudit } from './audit.js';
import { checkText, type CatalogContext } from './catalog-context.js';
import { CatalogError } from './errors.js';
import type { SqlExecutor } from './sql-driver.js';

/** One registered model version (immutable). */
export interface ModelVersionRecord {
  readonly name: string;
  readonly version: number;
  readonly task: string;
  readonly target: string;
  readonly metric: string;
  /** Cross-validated score of the metric (undefined when the engine gave none). */
  readonly cvScore: number | undefined;
  /** The table it was trained on (`zone.table`) and that table's snapshot. */
  readonly trainingTable: string;
  readonly snapshotId: number | undefined;
  /** Object-store key of the artifact JSON and the sha256 (hex) of its bytes. */
  readonly artifactKey: string;
  readonly artifactSha256: string;
  /** Everything else about the version (input schema, leaderboard, seed…), as registered. */
  readonly manifest: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
  readonly createdBy: string;
}

export type ModelVersionInput = Omit<ModelVersionRecord, 'createdAt' | 'cvScore' | 'snapshotId'> & {
  readonly cvScore?: number | undefined;
  readonly snapshotId?: number | undefined;
};

/** An alias and the version it names now. */
export interface ModelAliasRecord {
  readonly name: string;
  readonly alias: string;
  readonly version: number;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

/** One move of an alias. */
export interface AliasChange {
  readonly name: string;
  readonly alias: string;
  readonly action: 'promote' | 'rollback';
  /** The version the alias names after the move. */
  readonly version: number;
  /** The version it named before (undefined: the alias is new). */
  readonly previousVersion: number | undefined;
  readonly at: Date;
  readonly actor: string;
}

/** A registered model: its versions and aliases at a glance. */
export interface ModelSummary {
  readonly name: string;
  readonly versions: number;
  readonly latest: ModelVersionRecord;
  readonly aliases: readonly ModelAliasRecord[];
}

type VersionRow = {
  name: string;
  version: number | string;
  task: string;
  target: string;
  metric: string;
  cv_score: number | string | null;
  training_table: string;
  snapshot_id: number | string | null;
  artifact_key: string;
  artifact_sha256: string;
  manifest: string;
  created_at: number | string;
  created_by: string;
};
type AliasRow = { name: string; alias: string; version: number | string; updated_at: number | string; updated_by: string };
type HistoryRow = { name: string; alias: string; action: string; version: number | string; previous_version: number | string | null; at: number | string; actor: string };

const toVersion = (r: VersionRow): ModelVersionRecord => ({
  name: r.name,
  version: Number(r.version),
  task: r.task,
  target: r.target,
  metric: r.metric,
  cvScore: r.cv_score === null ? undefined : Number(r.cv_score),
  trainingTable: r.training_table,
  snapshotId: r.snapshot_id === null ? undefined : Number(r.snapshot_id),
  artifactKey: r.artifact_key,
  artifactSha256: r.artifact_sha256,
  manifest: JSON.parse(r.manifest) as Record<string, unknown>,
  createdAt: new Date(Number(r.created_at)),
  createdBy: r.created_by,
});

const toAlias = (r: AliasRow): ModelAliasRecord => ({
  name: r.name,
  alias: r.alias,
  version: Number(r.version),
  updatedAt: new Date(Number(r.updated_at)),
  updatedBy: r.updated_by,
});

const toChange = (r: HistoryRow): AliasChange => ({
  name: r.name,
  alias: r.alias,
  action: r.action as AliasChange['action'],
  version: Number(r.version),
  previousVersion: r.previous_version === null ? undefined : Number(r.previous_version),
  at: new Date(Number(r.at)),
  actor: r.actor,
});

/** Model names and aliases follow the table naming rule (`churn`, `order_value`; `champion`, `staging`). */
function checkModelName(name: string): string {
  return validateName('model', name);
}

function checkAlias(alias: string): string {
  if (typeof alias !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(alias) || /^v\d+$/.test(alias)) {
    throw new ValidationError(`invalid alias ${JSON.stringify(alias)}`, {
      code: 'validation.name',
      hint: 'aliases start with a lower-case letter and use a-z, 0-9 and _ (not v<number>, which names a version), e.g. champion or staging',
      details: { alias },
    });
  }
  return alias;
}

function checkVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 1) throw new ValidationError(`a model version is a positive integer, got ${String(version)}`, { details: { version } });
  return version;
}

/** Serialises registry changes to one model (Postgres; SQLite's write transactions are serial already). */
async function lockModel(tx: SqlExecutor, ctx: CatalogContext, name: string): Promise<void> {
  if (ctx.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(hashtext(?))', [`ade.ml:${name}`]);
}

const VERSION_COLUMNS =
  'name, version, task, target, metric, cv_score, training_table, snapshot_id, artifact_key, artifact_sha256, manifest, created_at, created_by';

/** The version the next registration of `name` gets: one more than the newest (1 for a new model). */
export async function nextModelVersion(tx: SqlExecutor, name: string): Promise<number> {
  checkModelName(name);
  const [row] = await tx.query<{ v: number | string | null }>('SELECT max(version) AS v FROM ml_model_versions WHERE name = ?', [name]);
  return Number(row?.v ?? 0) + 1;
}

/**
 * Records a new version, audited as `ml.register`. The version must be the
 * next one (see `nextModelVersion`): `catalog.model_version_taken`
 * (retryable) when another registration took it first.
 */
export async function registerModelVersion(tx: SqlExecutor, ctx: CatalogContext, v: ModelVersionInput): Promise<ModelVersionRecord> {
  checkModelName(v.name);
  checkVersion(v.version);
  for (const [what, value] of Object.entries({ task: v.task, target: v.target, metric: v.metric, trainingTable: v.trainingTable, artifactKey: v.artifactKey, createdBy: v.createdBy })) checkText(what, value);
  if (!/^[0-9a-f]{64}$/.test(v.artifactSha256)) throw new ValidationError('an artifact sha256 is 64 hex digits', { details: { sha256: v.artifactSha256 } });
  if (v.cvScore !== undefined && !Number.isFinite(v.cvScore)) throw new ValidationError('a cross-validated score must be finite', { details: { cvScore: v.cvScore } });
  await lockModel(tx, ctx, v.name);
  const next = await nextModelVersion(tx, v.name);
  if (v.version !== next) {
    throw new CatalogError('catalog.model_version_taken', `${v.name}@v${v.version} cannot be registered: the next version is v${next}`, {
      retryable: true,
      hint: 'another registration took this version; register again as the next one',
      details: { name: v.name, version: v.version, next },
    });
  }
  const at = ctx.clock.now().getTime();
  const [row] = await tx.query<VersionRow>(
    `INSERT INTO ml_model_versions (${VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${VERSION_COLUMNS}`,
    [
      v.name,
      v.version,
      v.task,
      v.target,
      v.metric,
      v.cvScore ?? null,
      v.trainingTable,
      v.snapshotId ?? null,
      v.artifactKey,
      v.artifactSha256,
      JSON.stringify(v.manifest),
      at,
      v.createdBy,
    ],
  );
  await appendAudit(tx, ctx, {
    actor: v.createdBy,
    action: 'ml.register',
    target: `${v.name}@v${v.version}`,
    details: { artifactKey: v.artifactKey, sha256: v.artifactSha256, table: v.trainingTable, snapshot: v.snapshotId ?? null, metric: v.metric, cvScore: v.cvScore ?? null },
  });
  return toVersion(row!);
}

export async function getModelVersion(tx: SqlExecutor, name: string, version: number): Promise<ModelVersionRecord | undefined> {
  const [row] = await tx.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM ml_model_versions WHERE name = ? AND version = ?`, [name, version]);
  return row ? toVersion(row) : undefined;
}

/** A model's versions, newest first. */
export async function listModelVersions(tx: SqlExecutor, name: string): Promise<ModelVersionRecord[]> {
  return (await tx.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM ml_model_versions WHERE name = ? ORDER BY version DESC`, [name])).map(toVersion);
}

/** A model's aliases (every model's when `name` is undefined), by name then alias. */
export async function listModelAliases(tx: SqlExecutor, name?: string): Promise<ModelAliasRecord[]> {
  const rows =
    name === undefined
      ? await tx.query<AliasRow>('SELECT name, alias, version, updated_at, updated_by FROM ml_model_aliases ORDER BY name, alias')
      : await tx.query<AliasRow>('SELECT name, alias, version, updated_at, updated_by FROM ml_model_aliases WHERE name = ? ORDER BY alias', [name]);
  return rows.map(toAlias);
}

/** Every registered model with its newest version and aliases, by name. */
export async function listModels(tx: SqlExecutor): Promise<ModelSummary[]> {
  const latest = await tx.query<VersionRow & { n: number | string }>(
    `SELECT ${VERSION_COLUMNS.split(', ').map((c) => `v.${c}`).join(', ')}, c.n
     FROM ml_model_versions v JOIN (SELECT name, max(version) AS top, count(*) AS n FROM ml_model_versions GROUP BY name) c ON c.name = v.name AND c.top = v.version
     ORDER BY v.name`,
  );
  const aliases = await listModelAliases(tx);
  return latest.map((r) => ({ name: r.name, versions: Number(r.n), latest: toVersion(r), aliases: aliases.filter((a) => a.name === r.name) }));
}

/** Every registered version of every model (for the serving table), by name and version. */
export async function listAllModelVersions(tx: SqlExecutor): Promise<ModelVersionRecord[]> {
  return (await tx.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM ml_model_versions ORDER BY name, version`)).map(toVersion);
}

/** The moves of a model's aliases (one alias's when given), oldest first. */
export async function listAliasHistory(tx: SqlExecutor, name: string, alias?: string): Promise<AliasChange[]> {
  const rows =
    alias === undefined
      ? await tx.query<HistoryRow>('SELECT name, alias, action, version, previous_version, at, actor FROM ml_alias_history WHERE name = ? ORDER BY id', [name])
      : await tx.query<HistoryRow>('SELECT name, alias, action, version, previous_version, at, actor FROM ml_alias_history WHERE name = ? AND alias = ? ORDER BY id', [name, alias]);
  return rows.map(toChange);
}

/** The alias's versions as a stack (oldest first): a promotion pushes, a rollback pops. */
function aliasStack(history: readonly AliasChange[]): number[] {
  const stack: number[] = [];
  for (const h of history) {
    if (h.action === 'promote') stack.push(h.version);
    else stack.pop();
  }
  return stack;
}

async function moveAlias(
  tx: SqlExecutor,
  ctx: CatalogContext,
  m: { name: string; alias: string; version: number; previous: number | undefined; action: AliasChange['action']; actor: string },
): Promise<AliasChange> {
  const at = ctx.clock.now().getTime();
  if (m.previous === undefined) {
    await tx.run('INSERT INTO ml_model_aliases (name, alias, version, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)', [m.name, m.alias, m.version, at, m.actor]);
  } else {
    await tx.run('UPDATE ml_model_aliases SET version = ?, updated_at = ?, updated_by = ? WHERE name = ? AND alias = ?', [m.version, at, m.actor, m.name, m.alias]);
  }
  await tx.run('INSERT INTO ml_alias_history (name, alias, action, version, previous_version, at, actor) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    m.name,
    m.alias,
    m.action,
    m.version,
    m.previous ?? null,
    at,
    m.actor,
  ]);
  await appendAudit(tx, ctx, {
    actor: m.actor,
    action: `ml.${m.action}`,
    target: `${m.name}@${m.alias}`,
    details: { version: m.version, previous: m.previous ?? null },
  });
  return { name: m.name, alias: m.alias, action: m.action, version: m.version, previousVersion: m.previous, at: new Date(at), actor: m.actor };
}

/**
 * Points `alias` at `version` (audited as `ml.promote`). Undefined when it
 * already names that version (nothing changes, nothing is recorded);
 * `ml.model_not_found` for a version that was never registered.
 */
export async function promoteModelAlias(
  tx: SqlExecutor,
  ctx: CatalogContext,
  p: { name: string; alias: string; version: number; actor: string },
): Promise<AliasChange | undefined> {
  checkModelName(p.name);
  checkAlias(p.alias);
  checkVersion(p.version);
  checkText('actor', p.actor);
  await lockModel(tx, ctx, p.name);
  if (!(await getModelVersion(tx, p.name, p.version))) {
    throw new CatalogError('ml.model_not_found', `${p.name}@v${p.version} is not registered`, {
      hint: `list the versions with \`ade ml show ${p.name}\``,
      details: { name: p.name, version: p.version },
    });
  }
  const [current] = await tx.query<AliasRow>('SELECT name, alias, version, updated_at, updated_by FROM ml_model_aliases WHERE name = ? AND alias = ?', [p.name, p.alias]);
  if (current && Number(current.version) === p.version) return undefined;
  return moveAlias(tx, ctx, { name: p.name, alias: p.alias, version: p.version, previous: current ? Number(current.version) : undefined, action: 'promote', actor: p.actor });
}

/**
 * Moves `alias` back to the version it named before its latest promotion
 * still in force (audited as `ml.rollback`). Undefined when the alias does
 * not exist or has no earlier version to go back to.
 */
export async function rollbackModelAlias(tx: SqlExecutor, ctx: CatalogContext, r: { name: string; alias: string; actor: string }): Promise<AliasChange | undefined> {
  checkModelName(r.name);
  checkAlias(r.alias);
  checkText('actor', r.actor);
  await lockModel(tx, ctx, r.name);
  const [current] = await tx.query<AliasRow>('SELECT name, alias, version, updated_at, updated_by FROM ml_model_aliases WHERE name = ? AND alias = ?', [r.name, r.alias]);
  if (!current) return undefined;
  const stack = aliasStack(await listAliasHistory(tx, r.name, r.alias));
  if (stack.length < 2) return undefined;
  return moveAlias(tx, ctx, { name: r.name, alias: r.alias, version: stack[stack.length - 2]!, previous: Number(current.version), action: 'rollback', actor: r.actor });
}
