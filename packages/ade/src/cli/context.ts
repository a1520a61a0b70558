import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { sourceTimeColumns } from '../ingest/index.js';
import { loadSqlModels } from '../models/load-models.js';
import { ModelError } from '../models/model-file.js';
import { parseCheckList, type CheckDef } from '../quality/parse-checks.js';
import { QualityService } from '../quality/quality-service.js';
import { Lake } from '../lake/index.js';
import { parseRole, PermissionError, ValidationError, type Principal } from '../kernel/index.js';
import { createOutput, type Output } from './output.js';
import { findProjectDir, loadProject, type Project } from './project.js';

/** Options every command accepts. */
export interface GlobalOptions {
  project?: string;
  as?: string;
  json?: boolean;
  quiet?: boolean;
}

/** What a command needs: the project, who acts, the open lake, where to print. */
export interface CommandContext {
  readonly project: Project;
  readonly principal: Principal;
  readonly lake: Lake;
  readonly out: Output;
  /** Checks, write-audit-publish, profiles on commit and alerts, hooked into the lake. */
  readonly quality: QualityService;
}

export function outputFor(opts: GlobalOptions): Output {
  return createOutput({ json: opts.json, quiet: opts.quiet });
}

/** What a command that does not touch the lake needs: the project, who acts, where to print. */
export interface ProjectContext {
  readonly project: Project;
  readonly principal: Principal;
  readonly out: Output;
}

/** Finds the project and checks the role is granted, without opening the lake. */
export function openProjectContext(opts: GlobalOptions): ProjectContext {
  const out = outputFor(opts);
  const start = opts.project ?? process.env.ADE_PROJECT ?? process.cwd();
  const dir = opts.project ? resolve(opts.project) : findProjectDir(start);
  if (!dir) {
    throw new ValidationError(`no ade.yaml in ${resolve(start)} or any folder above it`, {
      code: 'config.missing',
      hint: 'create a project with `ade init <dir>` (or try `ade demo`), or pass --project <dir>',
    });
  }
  const project = loadProject(dir, process.env);
  const role = opts.as ? parseRole(opts.as) : project.defaultRole;
  if (!project.grantedRoles.includes(role)) {
    throw new PermissionError(`the role ${role} is not granted in ${project.file}`, {
      hint: `granted roles: ${project.grantedRoles.join(', ')} (access.granted_roles)`,
    });
  }
  const principal: Principal = { name: `cli:${safeUser()}`, role };
  return { project, principal, out };
}

/** Finds the project, checks the role is granted, opens the lake. */
export async function openContext(opts: GlobalOptions, mode: { deferProfiles?: boolean } = {}): Promise<CommandContext> {
  const ctx = openProjectContext(opts);
  const models = await loadSqlModels(ctx.project.dir);
  const checks: CheckDef[] = [...ctx.project.checks];
  const timeColumns = sourceTimeColumns(ctx.project.sources);
  for (const m of models) {
    if (m.time) timeColumns.set(`${m.table.zone}.${m.table.name}`, m.time);
    checks.push(
      ...parseCheckList(
        m.table,
        m.checks,
        (path, message, hint) => {
          throw new ModelError(m.file, `checks${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}: ${message}`, hint ? { hint } : {});
        },
        m.file,
      ),
    );
  }
  const lake = await Lake.open(ctx.project.lake);
  const quality = new QualityService(lake, {
    project: ctx.project.name,
    checks,
    timeColumns,
    sinks: ctx.project.alertSinks,
    profileOnCommit: ctx.project.profileOnCommit,
    deferProfiles: mode.deferProfiles ?? true,
    onWarning: (m) => ctx.out.info(`warning: ${m}`),
  }).install();
  return { ...ctx, lake, quality };
}

/**
 * Profiles the snapshots this command committed and delivers queued alert
 * notices in a detached process (`ade quality settle`), so that neither a
 * profile nor a slow or unreachable receiver holds up the command.
 */
function settleInBackground(project: Project, quality: QualityService): void {
  const entry = process.argv[1];
  if (!entry) return;
  const snapshots = quality.pendingProfiles.flatMap((p) => ['--snapshot', `${p.table.zone}.${p.table.name}=${p.snapshotId}`]);
  const deliver = quality.noticesQueued > 0 && project.alertSinks.length > 0;
  if (snapshots.length === 0 && !deliver) return;
  const child = spawn(process.execPath, [entry, 'quality', 'settle', '--quiet', '--project', project.dir, ...(deliver ? ['--deliver'] : []), ...snapshots], {
    detached: true,
    stdio: 'ignore',
    cwd: project.dir,
  });
  child.on('error', () => {});
  child.unref();
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Runs `fn` with an open context and closes the lake afterwards. */
export async function withContext<T>(opts: GlobalOptions, fn: (ctx: CommandContext) => Promise<T>): Promise<T> {
  const ctx = await openContext(opts);
  try {
    return await fn(ctx);
  } finally {
    await ctx.quality.drain();
    settleInBackground(ctx.project, ctx.quality);
    await ctx.lake.close();
  }
}
