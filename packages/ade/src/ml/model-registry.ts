import { createHash } from 'node:crypto';
import { validateArtifact, type ModelArtifact, type Task } from '@ade/sdk';
import type { AliasChange, ModelAliasRecord, ModelSummary, ModelVersionRecord } from '../catalog/index.js';
import { AdeError, assertCanRead, assertCanWrite, PermissionError, type Principal, type TableRef } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { MlError } from './ml-error.js';
import { DEFAULT_ALIAS, formatModelRef, parseModelRef, type ModelRef } from './model-ref.js';
import { SERVING_TABLE, writeServingTable, type ServingTableResult } from './serving-table.js';
import type { LeaderboardRow } from './train-outcome.js';


/** What was trained and how: the manifest of a model version, beside its artifact. */
export interface ModelManifest {
  readonly name: string;
  readonly version: number;
  readonly task: Task;
  readonly target: string;
  /** Classification: the class labels in output order. */
  readonly classes?: readonly string[];
  /** The input columns the artifact reads, with their lake types. */
  readonly inputs: readonly { readonly name: string; readonly type: string }[];
  readonly metric: string;
  /** Mean cross-validated score of the chosen model, and its standard deviation over the folds. */
  readonly cvScore?: number;
  readonly cvStd?: number;
  readonly leaderboard: readonly LeaderboardRow[];
  /** Per input column (or feature), how much the model relies on it. */
  readonly importance?: readonly { readonly feature: string; readonly importance: number }[];
  /** Columns the feature plan left out, and why. */
  readonly dropped?: readonly { readonly column: string; readonly reason: string }[];
  readonly training: {
    /** `zone.table` and the snapshot read. */
    readonly table: string;
    readonly snapshotId?: number;
    readonly rows: number;
    readonly totalRows: number;
    /** True when a deterministic sample of the table was trained on. */
    readonly sampled: boolean;
  };
  /** The ade version that trained it. */
  readonly codeVersion: string;
  readonly engine: 'builtin' | 'python';
  readonly seed: number;
  readonly timeLimitMs: number;
  readonly folds: number;
  /** The training run in the ledger. */
  readonly runId?: string;
  readonly createdAt: string;
  readonly createdBy: string;
  /** Where the artifact lives in the object store, and the sha256 (hex) of its bytes. */
  readonly artifactKey: string;
  readonly sha256: string;
  /** Anything else the engine reports (engine versions, ensemble members…). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** What registering a version takes; the registry adds name/version, times, key and hash. */
export type RegisterRequest = Omit<ModelManifest, 'version' | 'task' | 'target' | 'classes' | 'inputs' | 'codeVersion' | 'createdAt' | 'createdBy' | 'artifactKey' | 'sha256'> & {
  readonly artifact: ModelArtifact;
};

/** A model version as the registry hands it out. */
export interface ModelVersionInfo {
  readonly name: string;
  readonly version: number;
  /** `name@vN`. */
  readonly ref: string;
  readonly manifest: ModelManifest;
  /** Aliases naming this version now. */
  readonly aliases: readonly string[];
}

/** A resolved reference: which version `name`, `name@vN` or `name@alias` names now. */
export interface ResolvedModel {
  readonly name: string;
  readonly version: number;
  /** The alias it was resolved through (a bare name resolves through `champion` when set). */
  readonly alias?: string;
  readonly record: ModelVersionRecord;
}

/** A loaded artifact: its version, the parsed artifact, and its exact stored text (whose sha256 the manifest records). */
export interface LoadedModel extends ResolvedModel {
  readonly artifact: ModelArtifact;
  readonly text: string;
}

/** An alias move and what it did to the serving table. */
export interface AliasMoveResult {
  readonly name: string;
  readonly alias: string;
  /** False when the alias named that version already. */
  readonly changed: boolean;
  readonly version: number;
  readonly previousVersion?: number;
  readonly serving?: ServingTableResult;
}

export interface ModelRegistryConfig {
  /** The ade version recorded in manifests as the code version. */
  readonly codeVersion: string;
  /** The key-value table rewritten on every change (default `ml.model_serving`). */
  readonly servingTable?: TableRef;
}

const MAX_REGISTER_ATTEMPTS = 10;

/** The artifact's object-store key: immutable, under the ml zone, naming the model, version and content. */
export function artifactKey(name: string, version: number, sha256: string): string {
  return `ml/_models/${name}@v${version}/${sha256}.json`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** An SDK validation failure as an ade error. */
export function asArtifactError(e: unknown, what: string): unknown {
  if (e instanceof AdeError) return e;
  const err = e as { code?: string; message?: string };
  if (typeof err?.code === 'string' && err.code.startsWith('model.')) {
    return new MlError(err.code === 'model.input' ? 'ml.input_invalid' : 'ml.artifact_invalid', `${what}: ${err.message ?? String(e)}`, {
      hint: err.code === 'model.input' ? 'send rows as objects keyed by input column name' : 'the artifact does not follow ade.model/v1 (packages/sdk/src/ml/artifact.ts)',
    });
  }
  return e;
}

function assertAdmin(principal: Principal, what: string): void {
  if (principal.role !== 'admin') {
    throw new PermissionError(`${principal.name} (${principal.role}) may not ${what}`, {
      hint: 'moving a model alias changes what applications score with: it needs the admin role (--as admin, or an admin token)',
      details: { principal: principal.name, role: principal.role },
    });
  }
}

/**
 * The model registry: immutable versions `name@vN` (the artifact JSON in the
 * lake's ml zone, a manifest row in the catalog), aliases that name one
 * version each (`champion`, `staging`, any name), rollback by moving an alias
 * back. Every change is audited (`ml.register`, `ml.promote`,
 * `ml.rollback`) and rewrites the serving table (`ml.model_serving`:
 * `name@alias` and `name@vN` → artifact) in one commit.
 *
 * Roles: anyone who may read the ml zone reads models; registering needs a
 * role that writes the ml zone (analyst and up); moving aliases needs admin.
 *
 * @example
 * const registry = new ModelRegistry(lake, { codeVersion: '0.1.0' });
 * const v = await registry.register(principal, { name: 'churn', artifact, metric: 'accuracy', … });
 * await registry.promote(admin, `churn@v${v.version}`, 'champion');
 * const { artifact } = await registry.load(principal, 'churn'); // the champion
 */
export class ModelRegistry {
  readonly lake: Lake;
  readonly config: Required<ModelRegistryConfig>;

  constructor(lake: Lake, config: ModelRegistryConfig) {
    this.lake = lake;
    this.config = { servingTable: SERVING_TABLE, ...config };
  }

  /**
   * Registers a new immutable version of `req.name`: validates the artifact,
   * stores it under a key naming the model, version and content hash, records
   * the manifest (audited `ml.register`) and rewrites the serving table.
   */
  async register(principal: Principal, req: RegisterRequest): Promise<ModelVersionInfo> {
    assertCanWrite(principal, 'ml');
    parseModelRef(req.name);
    let artifact: ModelArtifact;
    try {
      artifact = validateArtifact(JSON.parse(JSON.stringify(req.artifact)));
    } catch (e) {
      throw asArtifactError(e, `the artifact of ${req.name}`);
    }
    const text = JSON.stringify(artifact);
    const sha256 = sha256Hex(text);
    const { artifact: _artifact, ...rest } = req;
    for (let attempt = 1; ; attempt++) {
      const version = await this.lake.catalog.nextModelVersion(req.name);
      const key = artifactKey(req.name, version, sha256);
      const manifest: ModelManifest = {
        ...rest,
        name: req.name,
        version,
        task: artifact.task,
        target: artifact.target,
        ...(artifact.classes ? { classes: artifact.classes } : {}),
        inputs: artifact.inputs,
        codeVersion: this.config.codeVersion,
        createdAt: this.lake.clock.now().toISOString(),
        createdBy: principal.name,
        artifactKey: key,
        sha256,
      };
      await this.lake.store.put(key, text);
      let record: ModelVersionRecord;
      try {
        record = await this.lake.catalog.registerModelVersion({
          name: req.name,
          version,
          task: artifact.task,
          target: artifact.target,
          metric: req.metric,
          cvScore: req.cvScore,
          trainingTable: req.training.table,
          snapshotId: req.training.snapshotId,
          artifactKey: key,
          artifactSha256: sha256,
          manifest: manifest as unknown as Record<string, unknown>,
          createdBy: principal.name,
        });
      } catch (e) {
        const taken = (e as { code?: string }).code === 'catalog.model_version_taken';
        // Another registration took this version: its artifact has another key unless it is the very same bytes.
        const winner = taken ? await this.lake.catalog.getModelVersion(req.name, version) : undefined;
        if (winner?.artifactKey !== key) await this.lake.store.delete(key).catch(() => undefined);
        if (!taken || attempt >= MAX_REGISTER_ATTEMPTS) throw e;
        continue;
      }
      // The version is registered: a failure to rewrite the serving table leaves it stale until the next change (or `ade ml publish`).
      await this.publish(principal);
      return { name: record.name, version: record.version, ref: `${record.name}@v${record.version}`, manifest: toManifest(record), aliases: [] };
    }
  }

  /**
   * Which version a reference names now: `name@vN` that version, `name@alias`
   * the alias's, a bare `name` the champion when set, else the newest.
   * `ml.model_not_found` / `ml.alias_not_found` otherwise.
   */
  async resolve(principal: Principal, ref: string | ModelRef): Promise<ResolvedModel> {
    assertCanRead(principal, 'ml');
    const r = typeof ref === 'string' ? parseModelRef(ref) : ref;
    const versions = await this.lake.catalog.listModelVersions(r.name);
    if (versions.length === 0) {
      const known = (await this.lake.catalog.listModels()).map((m) => m.name);
      throw new MlError('ml.model_not_found', `no model named ${r.name}`, {
        hint: known.length ? `registered models: ${known.join(', ')} (ade ml list)` : 'train one with `ade ml train --table <zone.table> --target <column>`',
        details: { model: r.name },
      });
    }
    const found = (version: number, alias?: string): ResolvedModel => {
      const record = versions.find((v) => v.version === version);
      if (!record) {
        throw new MlError('ml.model_not_found', `${r.name}@v${version} is not registered`, {
          hint: `${r.name} has versions v1 … v${versions[0]!.version}`,
          details: { model: r.name, version },
        });
      }
      return { name: r.name, version, ...(alias ? { alias } : {}), record };
    };
    if (r.kind === 'version') return found(r.version);
    const aliases = await this.lake.catalog.listModelAliases(r.name);
    if (r.kind === 'default') {
      const champion = aliases.find((a) => a.alias === DEFAULT_ALIAS);
      return champion ? found(champion.version, DEFAULT_ALIAS) : found(versions[0]!.version);
    }
    const alias = aliases.find((a) => a.alias === r.alias);
    if (!alias) {
      throw new MlError('ml.alias_not_found', `${r.name} has no alias ${r.alias}`, {
        hint: aliases.length ? `its aliases: ${aliases.map((a) => `${a.alias} → v${a.version}`).join(', ')}` : `promote a version first: ade ml promote ${r.name}@v${versions[0]!.version} --alias ${r.alias} --as admin`,
        details: { model: r.name, alias: r.alias },
      });
    }
    return found(alias.version, alias.alias);
  }

  /** The artifact a reference names, checked against the sha256 recorded at registration. */
  async load(principal: Principal, ref: string | ModelRef): Promise<LoadedModel> {
    const resolved = await this.resolve(principal, ref);
    const text = await this.artifactText(resolved.record);
    let artifact: ModelArtifact;
    try {
      artifact = validateArtifact(JSON.parse(text));
    } catch (e) {
      throw asArtifactError(e, `the stored artifact of ${resolved.name}@v${resolved.version}`);
    }
    return { ...resolved, artifact, text };
  }

  /** The stored artifact text of a version; `ml.artifact_invalid` when its bytes are not the ones registered. */
  async artifactText(record: ModelVersionRecord): Promise<string> {
    const bytes = await this.lake.store.get(record.artifactKey);
    const text = bytes.toString('utf8');
    if (sha256Hex(text) !== record.artifactSha256) {
      throw new MlError('ml.artifact_invalid', `the artifact of ${record.name}@v${record.version} (${record.artifactKey}) no longer has the bytes that were registered`, {
        hint: 'the object store copy was changed or damaged; register the model again (train it anew) and promote the new version',
        details: { model: record.name, version: record.version, key: record.artifactKey },
      });
    }
    return text;
  }

  /**
   * Points `alias` (default champion) at the version `ref` names (admin;
   * audited `ml.promote`) and rewrites the serving table. Promoting to the
   * version it names already changes nothing.
   */
  async promote(principal: Principal, ref: string, alias: string = DEFAULT_ALIAS): Promise<AliasMoveResult> {
    assertAdmin(principal, 'promote models');
    const resolved = await this.resolve(principal, ref);
    let change: AliasChange | undefined;
    try {
      change = await this.lake.catalog.promoteModelAlias({ name: resolved.name, alias, version: resolved.version, actor: principal.name });
    } catch (e) {
      if ((e as { code?: string }).code === 'validation.name') throw new MlError('ml.bad_option', (e as Error).message, { hint: (e as AdeError).hint ?? '' });
      throw e;
    }
    if (!change) return { name: resolved.name, alias, changed: false, version: resolved.version };
    const serving = await this.publish(principal);
    return { name: resolved.name, alias, changed: true, version: change.version, ...(change.previousVersion !== undefined ? { previousVersion: change.previousVersion } : {}), serving };
  }

  /**
   * Moves `alias` back to the version it named before its latest promotion
   * still in force (admin; audited `ml.rollback`) and rewrites the serving
   * table. `ml.alias_not_found` for an unknown alias, `ml.no_previous_version`
   * when it was never promoted over another version.
   */
  async rollback(principal: Principal, name: string, alias: string = DEFAULT_ALIAS): Promise<AliasMoveResult> {
    assertAdmin(principal, 'roll back models');
    const r = parseModelRef(name);
    if (r.kind !== 'default') throw new MlError('ml.bad_option', `roll back a model by name, not ${formatModelRef(r)}`, { hint: `ade ml rollback ${r.name} --alias ${r.kind === 'alias' ? r.alias : DEFAULT_ALIAS}` });
    await this.resolve(principal, { name: r.name, kind: 'alias', alias });
    const change = await this.lake.catalog.rollbackModelAlias({ name: r.name, alias, actor: principal.name });
    if (!change) {
      throw new MlError('ml.no_previous_version', `${r.name}@${alias} has no earlier version to roll back to`, {
        hint: `its history: ade ml show ${r.name}; promote a version explicitly with ade ml promote ${r.name}@v<N> --alias ${alias}`,
        details: { model: r.name, alias },
      });
    }
    const serving = await this.publish(principal);
    return { name: r.name, alias, changed: true, version: change.version, ...(change.previousVersion !== undefined ? { previousVersion: change.previousVersion } : {}), serving };
  }

  /** Every model with its newest version and aliases. */
  async list(principal: Principal): Promise<ModelSummary[]> {
    assertCanRead(principal, 'ml');
    return this.lake.catalog.listModels();
  }

  /** A model: the version `ref` names (manifest), every version, its aliases and their history. */
  async show(
    principal: Principal,
    ref: string,
  ): Promise<{ resolved: ModelVersionInfo; alias?: string; versions: readonly ModelVersionInfo[]; aliases: readonly ModelAliasRecord[]; history: readonly AliasChange[] }> {
    const resolved = await this.resolve(principal, ref);
    const [versions, aliases, history] = await Promise.all([
      this.lake.catalog.listModelVersions(resolved.name),
      this.lake.catalog.listModelAliases(resolved.name),
      this.lake.catalog.listAliasHistory(resolved.name),
    ]);
    const info = (v: ModelVersionRecord): ModelVersionInfo => ({
      name: v.name,
      version: v.version,
      ref: `${v.name}@v${v.version}`,
      manifest: toManifest(v),
      aliases: aliases.filter((a) => a.version === v.version).map((a) => a.alias),
    });
    return { resolved: info(resolved.record), ...(resolved.alias ? { alias: resolved.alias } : {}), versions: versions.map(info), aliases, history };
  }

  /** Rewrites the serving table from the registry (in one commit); every change does this itself. */
  async publish(principal: Principal): Promise<ServingTableResult> {
    return writeServingTable(this.lake, principal, this.config.servingTable, (r) => this.artifactText(r));
  }
}

/** The manifest of a version record (the registered manifest, with the record's columns authoritative). */
export function toManifest(r: ModelVersionRecord): ModelManifest {
  return {
    ...(r.manifest as unknown as ModelManifest),
    name: r.name,
    version: r.version,
    task: r.task as Task,
    target: r.target,
    metric: r.metric,
    ...(r.cvScore !== undefined ? { cvScore: r.cvScore } : {}),
    createdAt: r.createdAt.toISOString(),
    createdBy: r.createdBy,
    artifactKey: r.artifactKey,
    sha256: r.artifactSha256,
  };
}
