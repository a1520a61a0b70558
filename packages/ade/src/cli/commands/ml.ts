import pc from 'picocolors';
import { parseDuration, parseTableRef, ValidationError } from '../../kernel/index.js';
import { MlError } from '../../ml/ml-error.js';
import { ModelRegistry, type AliasMoveResult, type ModelManifest } from '../../ml/model-registry.js';
import { predictTable, type PredictTableResult } from '../../ml/predict-table.js';
import { trainModel, type TrainModelResult } from '../../ml/train-model.js';
import type { LeaderboardRow } from '../../ml/train-outcome.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';
import { createProgress } from '../progress.js';

export interface MlTrainOptions {
  table: string;
  target: string;
  task?: string;
  timeLimit?: string;
  metric?: string;
  exclude?: string[];
  seed?: string;
  name?: string;
  folds?: string;
  engine?: string;
  python?: string;
  maxRows?: string;
}

const registryOf = (ctx: CommandContext, version: string) => new ModelRegistry(ctx.lake, { codeVersion: version });

function integer(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new ValidationError(`${option} must be an integer, got ${JSON.stringify(text)}`, { code: 'validation.invalid', hint: `e.g. ${option} ${fallback}` });
  return n;
}

/** `ade ml train`: AutoML on a lake table, registered as the next version of a model. */
export async function mlTrainCommand(ctx: CommandContext, opts: MlTrainOptions, version: string): Promise<TrainModelResult> {
  const table = parseTableRef(opts.table);
  const task = opts.task as 'classification' | 'regression' | undefined;
  if (task !== undefined && task !== 'classification' && task !== 'regression') throw new MlError('ml.bad_option', `unknown --task ${opts.task}`, { hint: 'use classification or regression (or leave it out to infer it)' });
  const engine = (opts.engine ?? 'builtin') as 'builtin' | 'python';
  if (engine !== 'builtin' && engine !== 'python') throw new MlError('ml.bad_option', `unknown --engine ${opts.engine}`, { hint: 'use builtin (default, no Python needed) or python (scikit-learn)' });
  const timeLimitMs = parseDuration(opts.timeLimit ?? '2m', '--time-limit');
  const exclude = (opts.exclude ?? []).flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean);
  const progress = createProgress(ctx.out);
  const started = Date.now();
  let result: TrainModelResult;
  try {
    result = await trainModel(ctx.lake, ctx.principal, registryOf(ctx, version), {
      table,
      target: opts.target,
      ...(task ? { task } : {}),
      timeLimitMs,
      ...(opts.metric ? { metric: opts.metric } : {}),
      ...(exclude.length ? { exclude } : {}),
      seed: integer(opts.seed, '--seed', 0),
      folds: integer(opts.folds, '--folds', 5),
      ...(opts.name ? { name: opts.name } : {}),
      engine,
      ...(opts.python ? { python: opts.python } : {}),
      ...(opts.maxRows ? { maxRows: integer(opts.maxRows, '--max-rows', 1_000_000) } : {}),
      onNotice: (message) => ctx.out.info(`note: ${message}`),
      onStage: (stage, detail) => {
        progress.stage(stage === 'training' ? `training (${detail} engine, up to ${opts.timeLimit ?? '2m'})` : `${stage} ${detail ?? ''}`.trim(), stage === 'training' ? timeLimitMs : 1);
      },
      onProgress: (p) => {
        const best = p.best !== undefined ? `best ${fmt(p.best)} (${p.bestFamily})` : 'no score yet';
        const label = `training: ${p.tried} candidate${p.tried === 1 ? '' : 's'} tried, ${best}`;
        if (ctx.out.interactive) {
          progress.stage(label, timeLimitMs);
          progress.tick(Math.min(timeLimitMs, Date.now() - started));
        } else {
          ctx.out.info(`… candidate ${p.tried}: ${p.family} ${p.status === 'ok' ? fmt(p.cvScore) : p.status} — ${best}`);
        }
      },
    });
  } finally {
    progress.stop();
  }
  ctx.out.result(
    {
      name: result.name,
      version: result.version,
      ref: result.ref,
      task: result.task,
      metric: result.metric,
      cvScore: result.cvScore,
      cvStd: result.cvStd,
      leaderboard: result.leaderboard,
      importance: result.importance,
      importanceKind: result.importanceKind,
      dropped: result.dropped,
      rows: result.rows,
      totalRows: result.totalRows,
      sampled: result.sampled,
      missingTarget: result.missingTarget,
      table: result.table,
      snapshotId: result.snapshotId ?? null,
      engine: result.engine,
      runId: result.runId,
    },
    () => renderTrain(result),
  );
  return result;
}

/** `ade ml predict <model> --table … --out …`: scores a table into a batch of an output table. */
export async function mlPredictCommand(ctx: CommandContext, model: string, opts: { table: string; out: string; replace?: boolean }, version: string): Promise<PredictTableResult> {
  const progress = createProgress(ctx.out);
  let r: PredictTableResult;
  try {
    progress.stage('scoring');
    r = await predictTable(ctx.lake, ctx.principal, registryOf(ctx, version), {
      model,
      table: parseTableRef(opts.table),
      out: parseTableRef(opts.out),
      ...(opts.replace ? { replace: true } : {}),
      onProgress: (done, total) => {
        progress.stage('scoring', total);
        progress.tick(done, total);
      },
    });
  } finally {
    progress.stop();
  }
  ctx.out.result(r, () =>
    r.alreadyDone
      ? `${r.out} already holds batch ${r.batchId}: ${r.model} scored snapshot ${r.snapshotId} of ${r.table} before (nothing written)`
      : [
          `scored ${r.rows.toLocaleString('en-US')} rows of ${r.table} (snapshot ${r.snapshotId}) with ${r.model} into ${r.out}`,
          `  snapshot ${r.outSnapshotId} · batch ${r.batchId} · columns: the input's, then ${r.predictionColumns.join(', ')}`,
          ...(Object.keys(r.renamedColumns).length ? [`  input columns renamed: ${Object.entries(r.renamedColumns).map(([a, b]) => `${a}→${b}`).join(', ')}`] : []),
          ...(r.skippedColumns.length ? [`  input columns left out (their types do not carry over): ${r.skippedColumns.join(', ')}`] : []),
        ].join('\n'),
  );
  return r;
}

/** `ade ml promote name@vN --alias champion` (admin). */
export async function mlPromoteCommand(ctx: CommandContext, model: string, opts: { alias?: string }, version: string): Promise<AliasMoveResult> {
  const r = await registryOf(ctx, version).promote(ctx.principal, model, opts.alias ?? 'champion');
  ctx.out.result(r, () =>
    r.changed
      ? `${r.name}@${r.alias} → v${r.version}${r.previousVersion !== undefined ? ` (was v${r.previousVersion}; undo: ade ml rollback ${r.name} --alias ${r.alias})` : ''}\n  serving table ${r.serving?.table} rewritten (snapshot ${r.serving?.snapshotId})`
      : `${r.name}@${r.alias} is v${r.version} already (nothing changed)`,
  );
  return r;
}

/** `ade ml rollback name --alias champion` (admin): the alias goes back to the version it named before. */
export async function mlRollbackCommand(ctx: CommandContext, name: string, opts: { alias?: string }, version: string): Promise<AliasMoveResult> {
  const r = await registryOf(ctx, version).rollback(ctx.principal, name, opts.alias ?? 'champion');
  ctx.out.result(r, () => `${r.name}@${r.alias} rolled back to v${r.version} (was v${r.previousVersion})\n  serving table ${r.serving?.table} rewritten (snapshot ${r.serving?.snapshotId})`);
  return r;
}

/** `ade ml list`: every model, its newest version and aliases. */
export async function mlListCommand(ctx: CommandContext, version: string): Promise<void> {
  const models = await registryOf(ctx, version).list(ctx.principal);
  const rows = models.map((m) => ({
    name: m.name,
    versions: m.versions,
    latest: { version: m.latest.version, task: m.latest.task, target: m.latest.target, metric: m.latest.metric, cvScore: m.latest.cvScore ?? null, table: m.latest.trainingTable, createdAt: m.latest.createdAt, createdBy: m.latest.createdBy },
    aliases: Object.fromEntries(m.aliases.map((a) => [a.alias, a.version])),
  }));
  ctx.out.result(rows, () =>
    rows.length === 0
      ? 'no models yet: ade ml train --table <zone.table> --target <column>'
      : renderTable(
          ['model', 'versions', 'aliases', 'newest', 'task', 'target', 'CV score', 'trained on', 'created'],
          rows.map((r) => [
            r.name,
            r.versions,
            Object.entries(r.aliases).map(([a, v]) => `${a}→v${v}`).join(', ') || '—',
            `v${r.latest.version}`,
            r.latest.task,
            r.latest.target,
            r.latest.cvScore === null ? '—' : `${r.latest.metric} ${fmt(r.latest.cvScore)}`,
            r.latest.table,
            r.latest.createdAt.toISOString().slice(0, 19).replace('T', ' '),
          ]),
        ),
  );
}

/** `ade ml show name[@vN|@alias]`: the manifest, leaderboard, versions, aliases and their history. */
export async function mlShowCommand(ctx: CommandContext, model: string, version: string): Promise<void> {
  const shown = await registryOf(ctx, version).show(ctx.principal, model);
  const m = shown.resolved.manifest;
  const value = {
    model: m.name,
    version: m.version,
    ref: shown.resolved.ref,
    ...(shown.alias ? { resolvedThrough: shown.alias } : {}),
    manifest: m,
    versions: shown.versions.map((v) => ({ version: v.version, aliases: v.aliases, metric: v.manifest.metric, cvScore: v.manifest.cvScore ?? null, createdAt: v.manifest.createdAt, createdBy: v.manifest.createdBy, table: v.manifest.training?.table })),
    aliases: shown.aliases.map((a) => ({ alias: a.alias, version: a.version, updatedAt: a.updatedAt, updatedBy: a.updatedBy })),
    history: shown.history,
  };
  ctx.out.result(value, () =>
    [
      renderManifest(m, shown.alias),
      '',
      pc.bold('leaderboard'),
      renderLeaderboard(m.leaderboard ?? [], m.metric),
      ...(m.importance?.length ? ['', pc.bold('feature importance'), renderImportance(m.importance)] : []),
      '',
      pc.bold('versions'),
      renderTable(
        ['version', 'aliases', 'CV score', 'trained on', 'created', 'by'],
        value.versions.map((v) => [`v${v.version}`, v.aliases.join(', ') || '—', v.cvScore === null ? '—' : `${v.metric} ${fmt(v.cvScore)}`, v.table ?? '', v.createdAt.slice(0, 19).replace('T', ' '), v.createdBy]),
      ),
      ...(shown.history.length
        ? ['', pc.bold('alias history'), ...shown.history.map((h) => `  ${h.at.toISOString().slice(0, 19).replace('T', ' ')}  ${h.alias}: ${h.previousVersion !== undefined ? `v${h.previousVersion} → ` : ''}v${h.version} (${h.action} by ${h.actor})`)]
        : []),
    ].join('\n'),
  );
}

/** `ade ml publish`: rewrites the serving table from the registry (every change does this itself). */
export async function mlPublishCommand(ctx: CommandContext, version: string): Promise<void> {
  const r = await registryOf(ctx, version).publish(ctx.principal);
  ctx.out.result(r, () => `${r.table} rewritten: ${r.rows} key(s) (snapshot ${r.snapshotId})`);
}

function fmt(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return a !== 0 && (a < 0.001 || a >= 1e6) ? x.toExponential(3) : a >= 100 ? x.toFixed(1) : x.toFixed(4);
}

function compactParams(params: Readonly<Record<string, unknown>>): string {
  const text = Object.entries(params)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : String(v)}`)
    .join(' ');
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** Family, params, CV score ± std, fit s, predict ms/1k rows, ensemble weight; failed and skipped candidates last. */
export function renderLeaderboard(rows: readonly LeaderboardRow[], metric: string, limit = 15): string {
  const shown = rows.filter((r) => r.status === 'ok').slice(0, limit);
  const other = rows.filter((r) => r.status !== 'ok');
  const table = renderTable(
    ['#', 'family', 'params', `CV ${metric}`, 'fit s', 'predict ms/1k', 'weight'],
    shown.map((r, i) => [
      i + 1,
      r.family,
      compactParams(r.params),
      `${fmt(r.cvScore)} ± ${fmt(r.cvStd)}`,
      r.fitSeconds === undefined ? '—' : r.fitSeconds.toFixed(2),
      r.predictMsPer1k === undefined ? '—' : r.predictMsPer1k.toFixed(2),
      r.weight ? r.weight.toFixed(2) : '',
    ]),
  );
  const more = rows.filter((r) => r.status === 'ok').length - shown.length;
  const failed = other.filter((r) => r.status === 'failed');
  const skipped = other.filter((r) => r.status === 'skipped');
  return [
    table,
    ...(more > 0 ? [pc.dim(`  … and ${more} more candidate(s) (--json lists them all)`)] : []),
    ...(failed.length ? [pc.dim(`  failed: ${failed.map((r) => `${r.family}${r.error ? ` (${r.error.split('\n')[0]!.slice(0, 80)})` : ''}`).join('; ')}`)] : []),
    ...(skipped.length ? [pc.dim(`  skipped (time limit): ${skipped.length} candidate(s)`)] : []),
  ].join('\n');
}

/** A bar per column, scaled to the largest importance. */
export function renderImportance(items: readonly { feature: string; importance: number }[], limit = 15): string {
  const shown = items.slice(0, limit);
  const top = Math.max(...shown.map((i) => i.importance), 0);
  const width = Math.max(...shown.map((i) => i.feature.length), 4);
  const bars = shown.map((i) => {
    const cells = top > 0 ? Math.max(0, Math.round((i.importance / top) * 30)) : 0;
    return `  ${i.feature.padEnd(width)} ${'█'.repeat(cells)}${' '.repeat(30 - cells)} ${fmt(i.importance)}`;
  });
  return [...bars, ...(items.length > shown.length ? [pc.dim(`  … ${items.length - shown.length} more`)] : [])].join('\n');
}

function renderManifest(m: ModelManifest, alias?: string): string {
  return [
    pc.bold(`${m.name}@v${m.version}`) + (alias ? ` (${m.name}@${alias})` : '') + ` — ${m.task} of ${m.target}${m.classes ? ` (${m.classes.join(', ')})` : ''}`,
    `  CV ${m.metric} ${fmt(m.cvScore)}${m.cvStd !== undefined ? ` ± ${fmt(m.cvStd)}` : ''} · ${m.folds}-fold, seed ${m.seed}, ${m.engine} engine, time limit ${(m.timeLimitMs / 1000).toFixed(0)} s`,
    `  trained on ${m.training.table}${m.training.snapshotId !== undefined ? ` snapshot ${m.training.snapshotId}` : ''}: ${m.training.rows.toLocaleString('en-US')} rows${m.training.sampled ? ` (a deterministic sample of ${m.training.totalRows.toLocaleString('en-US')})` : ''}`,
    `  inputs: ${m.inputs.map((i) => `${i.name} ${i.type}`).join(', ')}`,
    ...(m.dropped?.length ? [`  dropped: ${m.dropped.map((d) => `${d.column} (${d.reason})`).join(', ')}`] : []),
    `  created ${m.createdAt} by ${m.createdBy} with ade ${m.codeVersion}${m.runId ? ` (run ${m.runId})` : ''}`,
    `  artifact ${m.artifactKey} sha256 ${m.sha256.slice(0, 16)}…`,
  ].join('\n');
}

function renderTrain(r: TrainModelResult): string {
  const members = r.leaderboard.filter((x) => (x.weight ?? 0) > 0);
  const final = members.length > 1 ? `a weighted ensemble of ${members.map((x) => `${x.family} ${x.weight!.toFixed(2)}`).join(', ')}` : `${members[0]?.family ?? r.leaderboard[0]?.family ?? '?'}`;
  const importanceNote = r.importanceKind === 'permutation' ? `drop in ${r.metric} when the column is shuffled` : "the engine's own importance, normalised to sum 1";
  return [
    pc.bold(`trained ${r.ref}`) + ` — ${r.task} of ${r.manifest.target} on ${r.table}${r.snapshotId !== undefined ? ` (snapshot ${r.snapshotId})` : ''}`,
    `  ${r.rows.toLocaleString('en-US')} rows${r.sampled ? ` (a deterministic sample of ${r.totalRows.toLocaleString('en-US')}: --max-rows)` : ''}${r.missingTarget ? `, ${r.missingTarget.toLocaleString('en-US')} without a target left out` : ''}`,
    `  CV ${r.metric} ${pc.bold(fmt(r.cvScore))} ± ${fmt(r.cvStd)} · final model: ${final}`,
    '',
    pc.bold('leaderboard'),
    renderLeaderboard(r.leaderboard, r.metric),
    '',
    pc.bold('feature importance') + pc.dim(` (${importanceNote})`),
    renderImportance(r.importance),
    ...(r.dropped.length ? ['', `dropped columns: ${r.dropped.map((d) => `${d.column} (${d.reason})`).join(', ')}`] : []),
    '',
    `registered ${r.ref} · next: ade ml promote ${r.ref} --alias champion --as admin · ade ml predict ${r.ref} --table ${r.table} --out ml.${r.name}_scores`,
  ].join('\n');
}
