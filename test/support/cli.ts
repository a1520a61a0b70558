// Running the built `ade` command in tests: a real process, its exit code and output.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const BIN = new URL('../../packages/ade/bin/ade.js', import.meta.url).pathname;

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ade <args>` in `cwd` and waits for it (no colour). */
export function ade(cwd: string, ...args: string[]): Ran {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON a run printed, after checking it exited 0. */
export function json<T = any>(r: Ran): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs `ade <args>` in `cwd` without blocking this process (servers in the test keep answering), with `env` (no colour). */
export function adeAsync(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Starts `ade --json serve --port 0` in `cwd` and resolves once it listens, with its URL (its stderr goes to this process's). */
export async function startServer(cwd: string, env: NodeJS.ProcessEnv): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(process.execPath, [BIN, '--json', 'serve', '--port', '0'], { cwd, env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  for await (const line of createInterface({ input: server.stdout! })) {
    text += line;
    if (line.startsWith('}')) break;
  }
  return { server, url: (JSON.parse(text) as { url: string }).url };
}

/** The environment of a server test: no colour and a fresh random server secret (the keyring file is set by initServerProject). */
export function serverEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', ADE_SERVER_SECRET: randomBytes(32).toString('hex'), ADE_KEYRING_FILE: '' };
}

/**
 * A project for a server test: `ade init` in `<dir>/p`, every role granted
 * to the CLI, `yaml` appended to its ade.yaml, and a keyring at
 * `<dir>/keys.json` (set in `env`). Resolves to the project folder.
 */
export async function initServerProject(dir: string, env: NodeJS.ProcessEnv, yaml = ''): Promise<string> {
  const project = join(dir, 'p');
  env.ADE_KEYRING_FILE = join(dir, 'keys.json');
  const init = await adeAsync(dir, ['init', 'p'], env);
  assert.equal(init.code, 0, init.stderr);
  const file = join(project, 'ade.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/granted_roles: \[[^\]]*\]/, 'granted_roles: [viewer, analyst, engineer, admin]') + yaml);
  const keys = await adeAsync(project, ['--as', 'engineer', 'keys', 'create'], env);
  assert.equal(keys.code, 0, keys.stderr);
  return project;
}

/** A new API token (`{ role }`) or write key (`{ ingest: source }`) made by an admin in `project`. */
export async function createToken(project: string, env: NodeJS.ProcessEnv, name: string, kind: { role: string } | { ingest: string }): Promise<string> {
  const r = await adeAsync(project, ['--json', '--as', 'admin', 'tokens', 'create', ...('role' in kind ? ['--role', kind.role] : ['--ingest', kind.ingest]), '--name', name], env);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { token: string }).token;
}
