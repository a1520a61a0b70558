// The keyring file the CLI reads tokenisation keys from. It lives outside the
// lake and the catalog (by default under ~/.config/ade/keyrings/), is written
// with mode 0600, and its key material never appears in output or errors:
// messages name the file and key ids only.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AdeError, ValidationError } from '../kernel/index.js';
import { isKnownDefaultKey, MIN_KEY_BYTES, PrivacyError, validateKeyring, type Keyring } from '../privacy/index.js';
import type { LakeConfig } from '../lake/index.js';
import { PROJECT_FILE } from './project.js';

/** Version of the keyring file format. */
export const KEYRING_FILE_VERSION = 1;
/** Bytes of a key `ade keys create` / `ade keys rotate` generate. */
export const GENERATED_KEY_BYTES = 32;

/** The keyring file as stored: `{ version, active, keys: { id: { created, secret (base64) } } }`. */
export interface KeyringFile {
  readonly version: 1;
  readonly active: string;
  readonly keys: Readonly<Record<string, { readonly created: string; readonly secret: string }>>;
}

/** Where the keyring comes from, and why. */
export type KeyringLocation =
  | { readonly kind: 'inline'; readonly source: 'ADE_KEYRING'; readonly text: string }
  | { readonly kind: 'file'; readonly source: 'ADE_KEYRING_FILE' | 'privacy.keyring' | 'default'; readonly path: string };

/** A keyring without its secrets: safe to print. */
export interface KeyringDescription {
  readonly location: string;
  readonly source: KeyringLocation['source'];
  readonly active: string;
  readonly keys: readonly { readonly id: string; readonly created: string; readonly active: boolean }[];
}

/** What keyringLocation needs to know about the project. */
export interface KeyringProject {
  readonly dir: string;
  readonly name: string;
  readonly lake?: LakeConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Human name of a location for messages: the path, or the variable holding the keyring. */
export function locationLabel(location: KeyringLocation): string {
  return location.kind === 'file' ? location.path : 'the ADE_KEYRING environment variable';
}

/** The default keyring file of a project: `<home>/.config/ade/keyrings/<project-name>.json`. */
export function defaultKeyringPath(projectName: string, home: string = homedir()): string {
  const safe = projectName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'ade-project';
  return join(home, '.config', 'ade', 'keyrings', `${safe}.json`);
}

/** Reads `privacy.keyring` from the project's ade.yaml, if set. */
function configuredKeyring(projectDir: string): string | undefined {
  const file = join(projectDir, PROJECT_FILE);
  if (!existsSync(file)) return undefined;
  let root: unknown;
  try {
    root = parseYaml(readFileSync(file, 'utf8'));
  } catch {
    throw new ValidationError(`${file}: is not valid YAML`, { code: 'config.invalid', hint: 'fix the YAML syntax', details: { file } });
  }
  if (!root || typeof root !== 'object') return undefined;
  const privacy = (root as Record<string, unknown>).privacy;
  if (privacy === undefined || privacy === null) return undefined;
  if (typeof privacy !== 'object' || Array.isArray(privacy)) {
    throw new ValidationError(`${file}: privacy: must be a mapping`, { code: 'config.invalid', details: { file } });
  }
  const value = (privacy as Record<string, unknown>).keyring;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(`${file}: privacy.keyring: must be the path of the keyring file`, {
      code: 'config.invalid',
      hint: 'e.g. privacy.keyring: ~/.config/ade/keyrings/my-project.json (never inside .ade/)',
      details: { file },
    });
  }
  return value;
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p;
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Throws unless `path` is outside the project's .ade/ folder, the local lake and the catalog's folder. */
function assertOutsideLake(path: string, project: KeyringProject): void {
  const forbidden = [join(project.dir, '.ade')];
  if (project.lake?.storage.kind === 'local') forbidden.push(project.lake.storage.root);
  if (project.lake?.catalog.kind === 'sqlite') forbidden.push(dirname(project.lake.catalog.path));
  for (const dir of forbidden) {
    if (isInside(path, dir)) {
      throw new PrivacyError('privacy.keyring_in_lake', `the keyring file ${path} is inside ${dir}, where the lake and the catalog live`, {
        hint: `keep keys outside the lake and the catalog, e.g. the default ${defaultKeyringPath(project.name)}`,
        details: { path },
      });
    }
  }
}

/**
 * Where the project's keyring is: `ADE_KEYRING` (the whole JSON, inline) wins,
 * then `ADE_KEYRING_FILE`, then ade.yaml's `privacy.keyring` (relative to the
 * project), then `~/.config/ade/keyrings/<project-name>.json`.
 */
export function keyringLocation(project: KeyringProject, env: Env, home: string = homedir()): KeyringLocation {
  const inline = env.ADE_KEYRING;
  if (inline !== undefined && inline.trim() !== '') return { kind: 'inline', source: 'ADE_KEYRING', text: inline };
  let location: KeyringLocation;
  const fromEnv = env.ADE_KEYRING_FILE;
  const fromConfig = fromEnv ? undefined : configuredKeyring(project.dir);
  if (fromEnv) location = { kind: 'file', source: 'ADE_KEYRING_FILE', path: resolve(expandHome(fromEnv, home)) };
  else if (fromConfig) location = { kind: 'file', source: 'privacy.keyring', path: resolve(project.dir, expandHome(fromConfig, home)) };
  else location = { kind: 'file', source: 'default', path: defaultKeyringPath(project.name, home) };
  assertOutsideLake(location.path, project);
  return location;
}

// --- reading ---------------------------------------------------------------

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function invalid(label: string, what: string, details: Record<string, unknown> = {}): PrivacyError {
  return new PrivacyError('privacy.bad_keyring', `${label}: ${what}`, {
    hint: 'the keyring is JSON: { "version": 1, "active": "k1", "keys": { "k1": { "created": "<ISO time>", "secret": "<base64>" } } }; create one with `ade keys create`',
    details,
  });
}

/** Parses and checks the JSON text of a keyring. Never echoes the text. */
function parseKeyringText(text: string, label: string): KeyringFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input; it may hold key material.
    throw invalid(label, 'is not valid JSON');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(label, 'must be a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.version !== KEYRING_FILE_VERSION) throw invalid(label, `has version ${JSON.stringify(o.version ?? null)}; this ade reads version ${KEYRING_FILE_VERSION}`);
  if (typeof o.active !== 'string') throw invalid(label, '"active" must be the id of a key');
  if (!o.keys || typeof o.keys !== 'object' || Array.isArray(o.keys)) throw invalid(label, '"keys" must be an object of key id → { created, secret }');
  const keys: Record<string, { created: string; secret: string }> = {};
  for (const [id, entry] of Object.entries(o.keys as Record<string, unknown>)) {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw invalid(label, `key ${JSON.stringify(id)} must be an object { created, secret }`, { keyId: id });
    const e = entry as Record<string, unknown>;
    if (typeof e.secret !== 'string' || !BASE64.test(e.secret)) throw invalid(label, `key ${JSON.stringify(id)}: "secret" must be base64`, { keyId: id });
    if (typeof e.created !== 'string' || Number.isNaN(Date.parse(e.created))) throw invalid(label, `key ${JSON.stringify(id)}: "created" must be an ISO time`, { keyId: id });
    keys[id] = { created: e.created, secret: e.secret };
  }
  return { version: KEYRING_FILE_VERSION, active: o.active, keys };
}

function toKeyring(file: KeyringFile): Keyring {
  const keys: Record<string, Uint8Array> = {};
  for (const [id, e] of Object.entries(file.keys)) keys[id] = new Uint8Array(Buffer.from(e.secret, 'base64'));
  return validateKeyring({ activeKeyId: file.active, keys });
}

function noKeyring(path: string): PrivacyError {
  return new PrivacyError('privacy.no_keyring', `no keyring at ${path}`, {
    hint: 'create one with `ade keys create --as engineer` (or set ADE_KEYRING_FILE / privacy.keyring to where yours is)',
    details: { path },
  });
}

/** Reads a keyring file's text, refusing a missing file or one group/others may read. */
function readKeyringFileText(path: string): string {
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw invalid(path, 'is not a file', { path });
    mode = st.mode;
  } catch (e) {
    if (e instanceof AdeError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw noKeyring(path);
    throw new PrivacyError('privacy.keyring_unreadable', `cannot read the keyring ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { details: { path } });
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new PrivacyError('privacy.keyring_permissions', `the keyring ${path} may be read by other users (mode ${(mode & 0o777).toString(8).padStart(3, '0')})`, {
      hint: `make it private: chmod 600 ${path}`,
      details: { path, mode: (mode & 0o777).toString(8) },
    });
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new PrivacyError('privacy.keyring_unreadable', `cannot read the keyring ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { details: { path } });
  }
}

function readKeyringData(location: KeyringLocation): KeyringFile {
  const label = locationLabel(location);
  const text = location.kind === 'inline' ? location.text : readKeyringFileText(location.path);
  return parseKeyringText(text, label);
}

/** Loads and validates the keyring (at least one key, none short or a known default). */
export function loadKeyring(location: KeyringLocation): Keyring {
  return toKeyring(readKeyringData(location));
}

/** Ids, creation times and the active key — never secrets. Validates the keyring too. */
export function describeKeyring(location: KeyringLocation): KeyringDescription {
  const data = readKeyringData(location);
  toKeyring(data);
  return {
    location: location.kind === 'file' ? location.path : 'ADE_KEYRING',
    source: location.source,
    active: data.active,
    keys: Object.entries(data.keys)
      .map(([id, e]) => ({ id, created: e.created, active: id === data.active }))
      .sort((a, b) => a.created.localeCompare(b.created) || compareIds(a.id, b.id)),
  };
}

function compareIds(a: string, b: string): number {
  const na = /^k(\d+)$/.exec(a);
  const nb = /^k(\d+)$/.exec(b);
  if (na && nb) return Number(na[1]) - Number(nb[1]);
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- writing ---------------------------------------------------------------

function newSecret(): string {
  for (;;) {
    const key = randomBytes(Math.max(GENERATED_KEY_BYTES, MIN_KEY_BYTES));
    if (!isKnownDefaultKey(key)) return key.toString('base64');
  }
}

function serialize(file: KeyringFile): string {
  return JSON.stringify(file, null, 2) + '\n';
}

/** Writes `text` to a fresh private temp file beside `path` and returns its name. */
function writeTemp(path: string, text: string): string {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  return tmp;
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a folder; the file itself is synced.
  }
}

function ensurePrivateDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function exists(path: string): PrivacyError {
  return new PrivacyError('privacy.keyring_exists', `a keyring already exists at ${path}`, {
    hint: 'add a key with `ade keys rotate`; a keyring is never overwritten, since its keys are needed to rebuild tokens',
    details: { path },
  });
}

export interface WriteOptions {
  /** The creation time recorded for the new key (default: now). */
  readonly now?: Date;
  /** How the path was chosen, echoed in the returned description. */
  readonly source?: Extract<KeyringLocation, { kind: 'file' }>['source'];
}

/** Creates a keyring file with one random key `k1`: written atomically, mode 0600, never over an existing file. */
export function createKeyring(path: string, opts: WriteOptions = {}): KeyringDescription {
  const now = opts.now ?? new Date();
  const target = resolve(path);
  if (existsSync(target)) throw exists(target);
  ensurePrivateDir(dirname(target));
  const file: KeyringFile = { version: KEYRING_FILE_VERSION, active: 'k1', keys: { k1: { created: now.toISOString(), secret: newSecret() } } };
  const tmp = writeTemp(target, serialize(file));
  try {
    linkSync(tmp, target); // fails if the file appeared meanwhile: never overwrite
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw exists(target);
    throw new PrivacyError('privacy.keyring_unwritable', `cannot write the keyring ${target} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { details: { path: target } });
  } finally {
    unlinkSync(tmp);
  }
  syncDir(dirname(target));
  return describeKeyring({ kind: 'file', source: opts.source ?? 'default', path: target });
}

/** Adds key `k<n+1>` (n the highest existing `k<n>`) and makes it active; older keys stay so old tokens can be rebuilt. */
export function rotateKeyring(path: string, opts: WriteOptions = {}): KeyringDescription & { readonly added: string } {
  const now = opts.now ?? new Date();
  const target = resolve(path);
  const lock = `${target}.lock`;
  let lockFd: number;
  try {
    lockFd = openSync(lock, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PrivacyError('privacy.keyring_locked', `the keyring ${target} is being changed by another process`, {
        hint: `retry in a moment; if no other \`ade keys\` is running, delete ${lock}`,
        details: { path: target },
      });
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw noKeyring(target);
    throw e;
  }
  try {
    const location: KeyringLocation = { kind: 'file', source: opts.source ?? 'default', path: target };
    const data = readKeyringData(location);
    toKeyring(data);
    let n = 0;
    for (const id of Object.keys(data.keys)) {
      const m = /^k(\d+)$/.exec(id);
      if (m) n = Math.max(n, Number(m[1]));
    }
    let id = `k${n + 1}`;
    while (id in data.keys) id = `k${++n + 1}`;
    const next: KeyringFile = { version: KEYRING_FILE_VERSION, active: id, keys: { ...data.keys, [id]: { created: now.toISOString(), secret: newSecret() } } };
    const tmp = writeTemp(target, serialize(next));
    try {
      renameSync(tmp, target);
    } catch (e) {
      unlinkSync(tmp);
      throw new PrivacyError('privacy.keyring_unwritable', `cannot write the keyring ${target} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { details: { path: target } });
    }
    syncDir(dirname(target));
    return { ...describeKeyring(location), added: id };
  } finally {
    closeSync(lockFd);
    unlinkSync(lock);
  }
}
