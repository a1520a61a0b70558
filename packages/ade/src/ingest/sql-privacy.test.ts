import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine, engineConfig, type Workspace } from '../engine/index.js';
import { generalizeIp, hmacPads, tokenize, type Keyring, type PiiKind } from '../privacy/index.js';
import { quoteLiteral } from '../kernel/index.js';
import { ASCII_TEXT, IPV4, ipv4NetworkSql, normalizeSql, tokenSql } from './sql-privacy.js';

// DuckDB computes tokens and IPv4 networks for the values it accepts; they must
// equal what the JavaScript functions give, or joins across sources break.
describe('SQL twins of the privacy functions', () => {
  let dir: string;
  let engine: Engine;
  let ws: Workspace;
  const keyring: Keyring = { activeKeyId: 'a', keys: { a: randomBytes(32), long: randomBytes(100) } };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ade-sqlpriv-'));
    engine = await Engine.create(engineConfig({ tempDir: join(dir, 'tmp'), threads: 2, memoryLimit: '256MB' }));
    ws = await engine.openWorkspace({ workDir: join(dir, 'ws') });
  });
  after(async () => {
    await ws?.close();
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const values: Record<PiiKind, string[]> = {
    email: ['Ann@Example.COM', ' bob@example.org ', "o'brien+tag@mail.example.co.uk", 'x@y.io'],
    phone: ['+1 415 555 0101', '(415) 555-0101', '0044 20 7946 0958', '00 12', '030 1234567', '+49 (0)30 1234567'],
    card: ['4111 1111 1111 1111', '4111-1111-1111-1111', '5500.0000.0000.0004'],
    iban: ['de89 3704 0044 0532 0130 00', 'GB82WEST12345698765432'],
    ssn: ['123-45-6789', '123 45 6789'],
    ipv4: ['192.0.2.17', ' 10.0.0.1'],
    ipv6: ['2001:DB8::1', 'fe80::1'],
    mac: ['AA-BB-CC-DD-EE-FF', 'aabb.ccdd.eeff'],
    text: ['Jane Doe', 'x', ''],
  };

  for (const keyId of ['a', 'long']) {
    it(`should give the tokens tokenize() gives, for every kind (key ${keyId})`, async () => {
      const { ipad, opad } = hmacPads(keyring, keyId);
      await ws.runWithBlobs('CREATE OR REPLACE TEMP TABLE _ade_keys AS SELECT CAST($1 AS BLOB) AS ipad, CAST($2 AS BLOB) AS opad', [ipad, opad]);
      let checked = 0;
      for (const [kind, vs] of Object.entries(values) as [PiiKind, string[]][]) {
        for (const v of vs) {
          const [row] = await ws.all(
            `SELECT ${ASCII_TEXT('v')} AS ok, ${tokenSql(normalizeSql(kind, 'v'), '_ade_keys')} AS t FROM (SELECT ${quoteLiteral(v)} AS v), _ade_keys`,
          );
          assert.equal(row!.ok, true, v);
          assert.equal(row!.t, tokenize(v, keyring, keyId, kind), `${kind} ${JSON.stringify(v)}`);
          checked++;
        }
      }
      assert.ok(checked > 20);
    });
  }

  it('should leave values outside printable ASCII to JavaScript', async () => {
    for (const v of ['Jöhn', 'a\tb', 'ａｂ@example.com', 'x\u00a0y']) {
      const [row] = await ws.all(`SELECT ${ASCII_TEXT(quoteLiteral(v))} AS ok`);
      assert.equal(row!.ok, false, JSON.stringify(v));
    }
  });

  it('should compute IPv4 networks as generalizeIp does, for the addresses it accepts', async () => {
    const ips = ['192.0.2.17', '10.255.255.255', '0.0.0.0', '255.255.255.255', '172.16.254.3'];
    for (const prefix of [0, 7, 8, 16, 20, 24, 28, 32]) {
      for (const ip of ips) {
        const [row] = await ws.all(`SELECT ${IPV4(quoteLiteral(ip))} AS ok, ${ipv4NetworkSql(quoteLiteral(ip), prefix)} AS net`);
        assert.equal(row!.ok, true, ip);
        assert.equal(row!.net, generalizeIp(ip, { v4Prefix: prefix }), `${ip}/${prefix}`);
      }
    }
    // Not dotted quads as parseIPv4 reads them: JavaScript decides (and nulls what is not an address).
    for (const bad of ['010.0.0.1', '256.1.1.1', '1.2.3', ' 1.2.3.4', '2001:db8::1']) {
      const [row] = await ws.all(`SELECT ${IPV4(quoteLiteral(bad))} AS ok`);
      assert.equal(row!.ok, false, bad);
    }
  });
});
