import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAdeError } from '../kernel/index.js';
import { createKeyring, defaultKeyringPath, describeKeyring, keyringLocation, loadKeyring, rotateKeyring, type KeyringLocation } from './keyring-file.js';

const posix = process.platform !== 'win32';
const fileAt = (path: string): KeyringLocation => ({ kind: 'file', source: 'ADE_KEYRING_FILE', path });

/** Every secret of a keyring file, as base64 and as hex. */
function secretsOf(path: string): string[] {
  const data = JSON.parse(readFileSync(path, 'utf8')) as { keys: Record<string, { secret: string }> };
  return Object.values(data.keys).flatMap((k) => [k.secret, Buffer.from(k.secret, 'base64').toString('hex')]);
}

function errorText(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isAdeError(e), `expected an AdeError, got ${String(e)}`);
    return JSON.stringify(e.toJSON()) + '\n' + e.message + '\n' + (e.hint ?? '');
  }
  assert.fail('expected an error');
}

describe('keyring file', () => {
  let dir: string;
  let n = 0;
  const fresh = () => join(dir, `ring-${++n}`, 'keys.json');
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ade-keyring-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should create a private keyring and load it back', () => {
    const path = fresh();
    const d = createKeyring(path, { now: new Date('2026-01-02T03:04:05Z') });
    assert.deepEqual(d.keys, [{ id: 'k1', created: '2026-01-02T03:04:05.000Z', active: true }]);
    const ring = loadKeyring(fileAt(path));
    assert.equal(ring.activeKeyId, 'k1');
    assert.equal(ring.keys.k1!.length, 32);
    assert.deepEqual(Buffer.from(ring.keys.k1!), Buffer.from(JSON.parse(readFileSync(path, 'utf8')).keys.k1.secret, 'base64'));
    if (posix) {
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
    }
  });

  it('should refuse to overwrite an existing keyring', () => {
    const path = fresh();
    createKeyring(path);
    const before = readFileSync(path, 'utf8');
    const text = errorText(() => createKeyring(path));
    assert.match(text, /privacy\.keyring_exists/);
    assert.match(text, /ade keys rotate/);
    assert.equal(readFileSync(path, 'utf8'), before);
  });

  it('should rotate to an active k2 and keep k1', () => {
    const path = fresh();
    createKeyring(path);
    const k1 = loadKeyring(fileAt(path)).keys.k1!;
    const d = rotateKeyring(path);
    assert.equal(d.added, 'k2');
    assert.equal(d.active, 'k2');
    assert.deepEqual(d.keys.map((k) => [k.id, k.active]), [['k1', false], ['k2', true]]);
    const ring = loadKeyring(fileAt(path));
    assert.equal(ring.activeKeyId, 'k2');
    assert.deepEqual(ring.keys.k1, k1);
    assert.notDeepEqual(ring.keys.k2, k1);
    assert.equal(rotateKeyring(path).added, 'k3');
    if (posix) assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('should refuse a keyring file other users may read', () => {
    if (!posix) return; // file modes are POSIX
    const path = fresh();
    createKeyring(path);
    chmodSync(path, 0o644);
    const text = errorText(() => loadKeyring(fileAt(path)));
    assert.match(text, /privacy\.keyring_permissions/);
    assert.match(text, /chmod 600/);
    assert.ok(text.includes(path));
    for (const s of secretsOf(path)) assert.ok(!text.includes(s), 'secret in error');
  });

  it('should name the path and hint `ade keys create` when the keyring is missing', () => {
    const path = join(dir, 'nowhere', 'keys.json');
    const text = errorText(() => loadKeyring(fileAt(path)));
    assert.match(text, /privacy\.no_keyring/);
    assert.ok(text.includes(path));
    assert.match(text, /ade keys create/);
    assert.match(errorText(() => rotateKeyring(path)), /ade keys create/);
  });

  it('should read an inline keyring from ADE_KEYRING', () => {
    const path = fresh();
    createKeyring(path);
    const text = readFileSync(path, 'utf8');
    const project = { dir: join(dir, 'proj'), name: 'proj' };
    const loc = keyringLocation(project, { ADE_KEYRING: text, ADE_KEYRING_FILE: '/elsewhere.json' }, dir);
    assert.equal(loc.kind, 'inline');
    assert.deepEqual(loadKeyring(loc), loadKeyring(fileAt(path)));
    assert.equal(describeKeyring(loc).location, 'ADE_KEYRING');
  });

  it('should pick the location: ADE_KEYRING_FILE, then privacy.keyring, then the home default', () => {
    const project = { dir: join(dir, 'proj-loc'), name: 'my proj' };
    mkdirSync(project.dir, { recursive: true });
    assert.deepEqual(keyringLocation(project, {}, '/home/u'), { kind: 'file', source: 'default', path: '/home/u/.config/ade/keyrings/my-proj.json' });
    assert.equal(defaultKeyringPath('../x', '/h'), '/h/.config/ade/keyrings/x.json');
    writeFileSync(join(project.dir, 'ade.yaml'), 'name: p\nprivacy:\n  keyring: ../secrets/ring.json\n');
    assert.deepEqual(keyringLocation(project, {}, '/home/u'), { kind: 'file', source: 'privacy.keyring', path: join(dir, 'secrets', 'ring.json') });
    assert.deepEqual(keyringLocation(project, { ADE_KEYRING_FILE: '/k/r.json' }, '/home/u'), { kind: 'file', source: 'ADE_KEYRING_FILE', path: '/k/r.json' });
    writeFileSync(join(project.dir, 'ade.yaml'), 'name: p\nprivacy:\n  keyring: .ade/keys.json\n');
    assert.match(errorText(() => keyringLocation(project, {}, '/home/u')), /privacy\.keyring_in_lake/);
  });

  it('should never show a secret in errors or in describeKeyring', () => {
    const path = fresh();
    createKeyring(path);
    rotateKeyring(path);
    const secrets = secretsOf(path);
    const described = JSON.stringify(describeKeyring(fileAt(path)));
    for (const s of secrets) assert.ok(!described.includes(s), 'secret in description');
    const data = JSON.parse(readFileSync(path, 'utf8'));
    const shortSecret = Buffer.from(Buffer.from(data.keys.k1.secret, 'base64').subarray(0, 16)).toString('base64');
    const bad = [
      readFileSync(path, 'utf8').slice(0, -5), // truncated JSON
      JSON.stringify({ ...data, active: 'k9' }),
      JSON.stringify({ ...data, keys: { ...data.keys, k1: { ...data.keys.k1, secret: shortSecret } } }),
      JSON.stringify({ ...data, keys: { ...data.keys, k1: { ...data.keys.k1, secret: data.keys.k1.secret + '!' } } }),
      JSON.stringify({ ...data, version: 2 }),
    ];
    for (const text of bad) {
      const err = errorText(() => loadKeyring({ kind: 'inline', source: 'ADE_KEYRING', text }));
      for (const s of [...secrets, shortSecret, Buffer.from(shortSecret, 'base64').toString('hex')]) assert.ok(!err.includes(s), `secret in error: ${err}`);
    }
  });

  it('should refuse a known default key in the file', () => {
    const path = fresh();
    createKeyring(path);
    const data = JSON.parse(readFileSync(path, 'utf8'));
    data.keys.k1.secret = Buffer.from('changemechangemechangemechangeme').toString('base64');
    writeFileSync(path, JSON.stringify(data), { mode: 0o600 });
    const text = errorText(() => loadKeyring(fileAt(path)));
    assert.match(text, /privacy\.default_key/);
    assert.ok(!text.includes(data.keys.k1.secret));
    assert.match(errorText(() => rotateKeyring(path)), /privacy\.default_key/);
  });
});
