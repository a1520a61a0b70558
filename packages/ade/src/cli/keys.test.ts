// `ade keys` end to end: the built CLI in a real project, HOME in a temp folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const BIN = new URL('../../bin/ade.js', import.meta.url).pathname;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('ade keys', () => {
  let dir: string;
  let home: string;
  let project: string;
  const ade = (...args: string[]): Ran => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, NO_COLOR: '1' };
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: project, encoding: 'utf8', env });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const json = <T = any>(r: Ran): T => {
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ade-keys-'));
    home = join(dir, 'home');
    project = dir;
    const r = ade('init', 'proj', '--name', 'keyproj');
    assert.equal(r.code, 0, r.stderr);
    project = join(dir, 'proj');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should create, list and rotate keys in a keyring outside the project', () => {
    const ring = join(home, '.config', 'ade', 'keyrings', 'keyproj.json');

    const denied = ade('keys', 'create');
    assert.equal(denied.code, 4);
    assert.match(denied.stderr, /--as engineer/);

    const missing = ade('--as', 'engineer', 'keys', 'list');
    assert.equal(missing.code, 3);
    assert.ok(missing.stderr.includes(ring), missing.stderr);
    assert.match(missing.stderr, /ade keys create/);

    const created = json(ade('--json', '--as', 'engineer', 'keys', 'create'));
    assert.equal(created.location, ring);
    assert.equal(created.active, 'k1');
    if (process.platform !== 'win32') assert.equal(statSync(ring).mode & 0o777, 0o600);
    assert.equal(ade('--as', 'engineer', 'keys', 'create').code, 3);

    const listed = json(ade('--json', '--as', 'engineer', 'keys', 'list'));
    assert.equal(listed.active, 'k1');
    assert.deepEqual(listed.keys.map((k: { id: string }) => k.id), ['k1']);

    const rotated = json(ade('--json', '--as', 'engineer', 'keys', 'rotate'));
    assert.equal(rotated.added, 'k2');
    const after = json(ade('--json', '--as', 'engineer', 'keys', 'list'));
    assert.deepEqual(after.keys.map((k: { id: string; active: boolean }) => [k.id, k.active]), [['k1', false], ['k2', true]]);
    const human = ade('--as', 'engineer', 'keys', 'list');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /k2/);

    const data = JSON.parse(readFileSync(ring, 'utf8')) as { keys: Record<string, { secret: string }> };
    const secrets = Object.values(data.keys).flatMap((k) => [k.secret, Buffer.from(k.secret, 'base64').toString('hex')]);
    const printed = [created, listed, rotated, after].map((x) => JSON.stringify(x)).join('\n') + human.stdout + human.stderr;
    for (const s of secrets) assert.ok(!printed.includes(s), 'a secret was printed');
    const stateFiles = filesUnder(project);
    for (const f of stateFiles) {
      const bytes = readFileSync(f);
      for (const s of secrets) assert.ok(!bytes.includes(s), `a secret is in ${f}`);
      for (const k of Object.values(data.keys)) assert.ok(!bytes.includes(Buffer.from(k.secret, 'base64')), `raw key bytes in ${f}`);
    }
  });
});
