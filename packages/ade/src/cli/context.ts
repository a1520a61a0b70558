import { userInfo } from 'node:os';
import { resolve } from 'node:path';
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
export async function openContext(opts: GlobalOptions): Promise<CommandContext> {
  const ctx = openProjectContext(opts);
  const lake = await Lake.open(ctx.project.lake);
  return { ...ctx, lake };
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
    await ctx.lake.close();
  }
}
