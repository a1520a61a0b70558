import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ValidationError } from '../../kernel/index.js';
import { defaultProjectYaml, PROJECT_FILE } from '../project.js';

export interface InitResult {
  readonly dir: string;
  readonly created: readonly string[];
}

/** Creates a project folder: ade.yaml, models/, .ade/ and a .gitignore that keeps .ade/ out of git. */
export async function initProject(target: string, opts: { name?: string; yaml?: string } = {}): Promise<InitResult> {
  const dir = resolve(target);
  if (existsSync(join(dir, PROJECT_FILE))) {
    throw new ValidationError(`${join(dir, PROJECT_FILE)} already exists`, {
      code: 'config.exists',
      hint: 'this folder is already an ade project; use it, or pick another folder',
    });
  }
  const name = opts.name ?? (basename(dir).toLowerCase().replace(/[^a-z0-9_-]+/g, '-') || 'ade-project');
  const created: string[] = [];
  await mkdir(join(dir, 'models'), { recursive: true });
  await mkdir(join(dir, '.ade'), { recursive: true });
  created.push('models/', '.ade/');
  await writeFile(join(dir, PROJECT_FILE), opts.yaml ?? defaultProjectYaml(name), { flag: 'wx' });
  created.push(PROJECT_FILE);
  const gitignore = join(dir, '.gitignore');
  const existing = existsSync(gitignore) ? await readFile(gitignore, 'utf8') : '';
  if (!existing.split('\n').some((l) => l.trim() === '.ade/')) {
    await writeFile(gitignore, `${existing}${existing && !existing.endsWith('\n') ? '\n' : ''}# ade local state (catalog, lake, buffers)\n.ade/\n`);
    created.push('.gitignore');
  }
  return { dir, created };
}
