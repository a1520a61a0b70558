// The ingest leak test: 11,000 distinct fake identifiers go through `ade
// ingest` (the built CLI, a real project) in declared fields, undeclared
// columns, nested JSON and free text; afterwards none of them — as written,
// lower-cased, or as digits — may appear in any byte of the clean zone, in the
// decoded clean rows, in the catalog or in anything a command printed, and
// every one of them must be in the raw zone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import { buildCorpus, forbiddenForms, NeedleSet, prng, randomTools, utf8AsLatin1, type Identifier, type IdentifierKind } from './support/pii-corpus.js';

const BIN = new URL('../packages/ade/bin/ade.js', import.meta.url).pathname;
const ROWS = 3000;
const ROWS_PER_FILE = 1000;

const ADE_YAML = `name: leak
storage:
  kind: local
  root: .ade/lake
catalog:
  kind: sqlite
  path: .ade/catalog.db
access:
  default_role: engineer
  granted_roles: [analyst, engineer]
sources:
  events:
    format: ndjson
    event_id: event_id
    event_time: ts
    fields:
      email: tokenize
      phone: { tokenize: phone }
      card: { mask: 4 }
      customer_name: tokenize
      ip: { generalize: ip }
      message: redact
      properties.email: tokenize
      items[].card: { mask: 4 }
  tickets:
    format: csv
    fields:
      email: tokenize
      body: redact
`;

/**
 * Where identifiers go in an `events` row. Declared: email … items[].card.
 * Undeclared: contact (one identifier as the whole value), notes (free text),
 * backup_contact_name and properties.owner_name (a person's name, caught by the
 * field-name heuristic), properties.alt_phone, items[].serial.
 *
 * Names go only into name fields: ade has no detector for person names in
 * free text (names are caught by field policies and field-name heuristics
 * only), so a name in `message` or `notes` would be kept by design.
 */
type Placement =
  | 'email'
  | 'phone'
  | 'card'
  | 'customer_name'
  | 'ip'
  | 'message'
  | 'properties.email'
  | 'items[].card'
  | 'contact'
  | 'notes'
  | 'backup_contact_name'
  | 'properties.alt_phone'
  | 'properties.owner_name'
  | 'items[].serial';

const PLACEMENTS: Readonly<Record<IdentifierKind, readonly Placement[]>> = {
  email: ['email', 'properties.email', 'contact', 'message'],
  phone: ['phone', 'contact', 'properties.alt_phone', 'message', 'notes'],
  card: ['card', 'items[].card', 'message', 'notes'],
  iban: ['contact', 'items[].serial', 'notes', 'message'],
  ssn: ['notes', 'message'],
  ipv4: ['ip', 'message'],
  ipv6: ['ip', 'notes'],
  mac: ['notes', 'message'],
  name: ['customer_name', 'backup_contact_name', 'properties.owner_name'],
};
const FREE_TEXT: ReadonlySet<Placement> = new Set(['message', 'notes']);
const LISTS: ReadonlySet<Placement> = new Set(['items[].card', 'items[].serial']);

/** How an identifier is written into a sentence. */
const CLAUSE: Readonly<Record<Exclude<IdentifierKind, 'name'>, (v: string) => string>> = {
  email: (v) => `write to ${v}`,
  phone: (v) => `call ${v}`,
  card: (v) => `card ${v} was charged`,
  iban: (v) => `refund to ${v}`,
  ssn: (v) => `SSN ${v}`,
  ipv4: (v) => `seen from ${v}`,
  ipv6: (v) => `seen from ${v}`,
  mac: (v) => `device ${v}`,
};

interface Ran {
  readonly args: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One form of an identifier found where it must not be. */
interface Leak {
  /** Index into the corpus. */
  readonly id: number;
  readonly form: string;
  /** Which file or output it was found in. */
  readonly corpus: string;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** A file's bytes decompressed when it is gzip (a truncated stream gives what it holds). */
function decompressed(path: string): Buffer {
  const bytes = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  return bytes;
}

const latin1 = (b: Buffer) => b.toString('latin1');
const textAsLatin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

describe('ingest leak test', () => {
  let dir: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  /** Output of commands (no argument holds an identifier): the logs and error output. */
  const logs: string[] = [];
  const ade = (...args: string[]): Ran => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: project, encoding: 'utf8', env, maxBuffer: 1 << 30 });
    return { args, code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (r: Ran): Ran => {
    assert.equal(r.code, 0, `ade ${r.args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    return r;
  };
  const logged = (r: Ran): Ran => {
    logs.push(r.stdout, r.stderr);
    return r;
  };

  const corpus: Identifier[] = buildCorpus(20260427);
  /** Where each identifier was put (index into corpus → placements). */
  const where = new Map<number, string[]>();
  const place = (i: number, p: string) => where.set(i, [...(where.get(i) ?? []), p]);
  /** Identifiers kept for the probe files (failing records and a few good ones), not for the 3,000 rows. */
  const probeIds = new Set<number>();
  let mainReport: { filesIngested: number; rowsRead: number; rowsWritten: number; quarantined: number };
  const probeReports: Record<string, Ran> = {};

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ade-leak-'));
    const inputs = join(dir, 'in');
    const keyring = join(dir, 'keys', 'kr.json');
    env = { ...process.env, HOME: join(dir, 'home'), NO_COLOR: '1', ADE_KEYRING_FILE: keyring };
    delete env.ADE_KEYRING;
    project = dir;
    ok(logged(ade('init', 'proj')));
    project = join(dir, 'proj');
    writeFileSync(join(project, 'ade.yaml'), ADE_YAML);
    ok(logged(ade('keys', 'create', '--as', 'engineer')));
    mkdirSync(inputs);

    const { int, pick, shuffle } = randomTools(prng(7));

    // A few identifiers of every kind go to the probe files (failing records), the rest into rows.
    const probe = new Map<IdentifierKind, number[]>();
    const byKind = new Map<IdentifierKind, number[]>();
    corpus.forEach((id, i) => {
      const p = probe.get(id.kind) ?? [];
      if (p.length < 6) {
        probe.set(id.kind, [...p, i]);
        probeIds.add(i);
      } else byKind.set(id.kind, [...(byKind.get(id.kind) ?? []), i]);
    });

    // Each identifier to one placement (round robin over its kind's placements), spread over the rows.
    const perPlacement = new Map<Placement, number[]>();
    for (const [kind, ids] of byKind) {
      const targets = PLACEMENTS[kind];
      ids.forEach((i, j) => {
        const p = targets[j % targets.length]!;
        perPlacement.set(p, [...(perPlacement.get(p) ?? []), i]);
      });
    }
    const cells: Map<Placement, number[]>[] = Array.from({ length: ROWS }, () => new Map());
    for (const [p, ids] of perPlacement) {
      const mixed = shuffle(ids);
      if (!FREE_TEXT.has(p) && !LISTS.has(p)) assert.ok(mixed.length <= ROWS, `${p}: ${mixed.length} values for ${ROWS} rows`);
      mixed.forEach((i, j) => {
        const row = Math.floor((j * ROWS) / mixed.length);
        const cell = cells[row]!;
        cell.set(p, [...(cell.get(p) ?? []), i]);
        place(i, `events row ${row + 1} ${p}`);
      });
    }

    const v = (i: number) => corpus[i]!.value;
    const sentence = (ids: readonly number[], glue: string) => ids.map((i) => CLAUSE[corpus[i]!.kind as Exclude<IdentifierKind, 'name'>](v(i))).join(glue);
    const one = (cell: Map<Placement, number[]>, p: Placement) => {
      const ids = cell.get(p);
      return ids && ids.length ? v(ids[0]!) : undefined;
    };
    const lines: string[] = [];
    for (let r = 0; r < ROWS; r++) {
      const cell = cells[r]!;
      const row: Record<string, unknown> = {
        event_id: `evt-${String(r + 1).padStart(6, '0')}`,
        ts: new Date(Date.UTC(2026, 0, 1) + r * 61_000).toISOString(),
        amount: int(100, 99_999) / 100,
        status: pick(['paid', 'refunded', 'pending']),
      };
      for (const p of ['email', 'phone', 'card', 'customer_name', 'ip', 'contact', 'backup_contact_name'] as const) {
        const x = one(cell, p);
        if (x !== undefined) row[p] = x;
      }
      const message = cell.get('message') ?? [];
      row.message = message.length ? `Customer wrote: ${sentence(message, '; ')}. Order 4521 shipped.` : 'Nothing personal here, order 4521 shipped.';
      const notes = cell.get('notes') ?? [];
      if (notes.length === 1 && r % 3 === 0) row.notes = v(notes[0]!);
      else if (notes.length) row.notes = `ticket ${r}: ${sentence(notes, ', ')} (checked)`;
      const properties: Record<string, unknown> = { plan: pick(['free', 'pro', 'team']), visits: int(1, 50) };
      for (const [p, key] of [['properties.email', 'email'], ['properties.alt_phone', 'alt_phone'], ['properties.owner_name', 'owner_name']] as const) {
        const x = one(cell, p);
        if (x !== undefined) properties[key] = x;
      }
      row.properties = properties;
      const cards = cell.get('items[].card') ?? [];
      const serials = cell.get('items[].serial') ?? [];
      const n = Math.max(cards.length, serials.length, r % 4 === 0 ? 0 : 1);
      row.items = Array.from({ length: n }, (_, k) => ({
        sku: `SKU-${String(r).padStart(5, '0')}-${k}`,
        qty: int(1, 5),
        ...(cards[k] !== undefined ? { card: v(cards[k]!) } : {}),
        ...(serials[k] !== undefined ? { serial: v(serials[k]!) } : {}),
      }));
      lines.push(JSON.stringify(row));
    }
    const mainFiles = [join(inputs, 'events-1.ndjson'), join(inputs, 'events-2.ndjson'), join(inputs, 'events-3.ndjson.gz')];
    const chunk = (k: number) => lines.slice(k * ROWS_PER_FILE, (k + 1) * ROWS_PER_FILE).join('\n') + '\n';
    writeFileSync(mainFiles[0]!, chunk(0));
    writeFileSync(mainFiles[1]!, chunk(1));
    writeFileSync(mainFiles[2]!, gzipSync(chunk(2)));

    // Probe files: records that fail, so that error paths see identifiers too.
    const pr = (kind: IdentifierKind, k: number) => probe.get(kind)![k]!;
    const probeLine = (label: string, text: string, ids: readonly number[]) => {
      for (const i of ids) place(i, label);
      return text;
    };
    const ts = '2026-02-01T10:00:00.000Z';
    const bad = [
      probeLine('events-bad line 1 (good record)', JSON.stringify({ event_id: 'evt-p1', ts, email: v(pr('email', 0)), notes: `SSN ${v(pr('ssn', 0))}`, customer_name: v(pr('name', 0)) }), [pr('email', 0), pr('ssn', 0), pr('name', 0)]),
      probeLine('events-bad line 2 (malformed JSON)', `{"event_id": "evt-p2", "email": "${v(pr('email', 1))}", "phone": "${v(pr('phone', 0))}", "notes": "card ${v(pr('card', 0))}" oops`, [pr('email', 1), pr('phone', 0), pr('card', 0)]),
      probeLine('events-bad line 3 (ts not a timestamp)', JSON.stringify({ event_id: 'evt-p3', ts: v(pr('ssn', 1)), card: v(pr('card', 1)), contact: v(pr('iban', 0)) }), [pr('ssn', 1), pr('card', 1), pr('iban', 0)]),
      probeLine('events-bad line 4 (no event id)', JSON.stringify({ ts, email: v(pr('email', 2)), message: `call ${v(pr('phone', 1))}`, ip: v(pr('ipv4', 0)) }), [pr('email', 2), pr('phone', 1), pr('ipv4', 0)]),
      probeLine('events-bad line 5 (properties not an object)', JSON.stringify({ event_id: 'evt-p5', ts, properties: `owner ${v(pr('name', 1))} at ${v(pr('ipv6', 0))}` }), [pr('name', 1), pr('ipv6', 0)]),
      probeLine('events-bad line 6 (items not a list)', JSON.stringify({ event_id: 'evt-p6', ts, items: { serial: v(pr('iban', 1)), mac: v(pr('mac', 0)) } }), [pr('iban', 1), pr('mac', 0)]),
      probeLine('events-bad line 7 (unterminated string)', `{"event_id": "evt-p7", "ts": "${ts}", "message": "device ${v(pr('mac', 1))} and ${v(pr('ipv4', 1))}`, [pr('mac', 1), pr('ipv4', 1)]),
    ];
    writeFileSync(join(inputs, 'events-bad.ndjson'), bad.join('\n') + '\n');
    // A gzip stream cut short: the identifiers sit in records before the cut.
    const truncLines: string[] = [];
    for (let k = 0; k < 4; k++) {
      const ids = [pr('email', Math.min(3 + k, 5)), pr('phone', 2 + k), pr('card', 2 + k)];
      truncLines.push(probeLine(`events-trunc record ${k + 1}`, JSON.stringify({ event_id: `evt-t${k}`, ts, email: v(ids[0]!), phone: v(ids[1]!), notes: `card ${v(ids[2]!)}` }), ids));
    }
    for (let k = 4; k < 400; k++) truncLines.push(JSON.stringify({ event_id: `evt-t${k}`, ts, message: `filler record ${k} with nothing personal, order ${k * 7}` }));
    const gz = gzipSync(truncLines.join('\n') + '\n');
    writeFileSync(join(inputs, 'events-trunc.ndjson.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
    // A CSV source with a ragged row and an unterminated quote.
    const csv = [
      'ticket_id,email,phone,body,alt',
      probeLine('tickets line 2 (good row)', `1,${v(pr('email', 4))},"${v(pr('phone', 5))}","SSN ${v(pr('ssn', 2))}, card ${v(pr('card', 5))}",${v(pr('iban', 2))}`, [pr('email', 4), pr('phone', 5), pr('ssn', 2), pr('card', 5), pr('iban', 2)]),
      probeLine('tickets line 3 (ragged)', `2,${v(pr('email', 5))},"${v(pr('phone', 3))}",hello,${v(pr('iban', 3))},${v(pr('ssn', 3))}`, [pr('email', 5), pr('phone', 3), pr('iban', 3), pr('ssn', 3)]),
      probeLine('tickets line 4 (good row)', `3,,,"seen from ${v(pr('ipv4', 2))} and ${v(pr('ipv6', 1))}",${v(pr('mac', 2))}`, [pr('ipv4', 2), pr('ipv6', 1), pr('mac', 2)]),
      probeLine('tickets line 5 (unterminated quote)', `4,${v(pr('email', 3))},x,"device ${v(pr('mac', 3))} then ${v(pr('ssn', 4))}`, [pr('email', 3), pr('mac', 3), pr('ssn', 4)]),
    ];
    writeFileSync(join(inputs, 'tickets.csv'), csv.join('\n') + '\n');

    // Probe identifiers no probe record took (spares); every other identifier is placed by now.
    const spares = corpus.map((_, i) => i).filter((i) => !where.has(i));
    for (const i of spares) {
      assert.ok([...probe.values()].some((ids) => ids.includes(i)), `identifier ${i} (${corpus[i]!.kind}) placed nowhere`);
    }
    // Spares go into one more good tickets row each, so that nothing generated is left out. Names
    // have no detector in free text (see above): spare names go to a name column instead.
    const spareRows = spares.map((i, k) => {
      const id = corpus[i]!;
      place(i, `tickets-spares line ${k + 2}`);
      return id.kind === 'name' ? `${100 + k},,,hello,,${id.value}` : `${100 + k},,,"${CLAUSE[id.kind](id.value)}",,`;
    });
    writeFileSync(join(inputs, 'tickets-spares.csv'), ['ticket_id,email,phone,body,alt,contact_name', ...spareRows].join('\n') + '\n');

    mainReport = JSON.parse(ok(logged(ade('ingest', 'events', ...mainFiles, '--json'))).stdout);
    probeReports.bad = ok(logged(ade('ingest', 'events', join(inputs, 'events-bad.ndjson'))));
    probeReports.trunc = ok(logged(ade('ingest', 'events', join(inputs, 'events-trunc.ndjson.gz'), '--json')));
    probeReports.tickets = ok(logged(ade('ingest', 'tickets', join(inputs, 'tickets.csv'))));
    probeReports.spares = ok(logged(ade('ingest', 'tickets', join(inputs, 'tickets-spares.csv'), '--json')));
    // Re-running the same files is a no-op, and says so without values.
    logged(ade('ingest', 'events', ...mainFiles));
    for (const args of [
      ['runs', '--json', '--limit', '100'],
      ['runs'],
      ['history', 'clean.events', '--json'],
      ['describe', 'clean.events', '--json'],
      ['describe', 'clean.events'],
      ['history', 'clean.tickets', '--json'],
      ['describe', 'clean.tickets', '--json'],
      ['tables', '--json'],
    ]) {
      logged(ade(...args));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should ingest every row of the three files and quarantine only the probe records', () => {
    assert.equal(mainReport.filesIngested, 3);
    assert.equal(mainReport.rowsRead, ROWS);
    assert.equal(mainReport.rowsWritten, ROWS);
    assert.equal(mainReport.quarantined, 0);
    assert.match(probeReports.bad!.stdout, /row\(s\) in quarantine\.events/);
    assert.ok(JSON.parse(probeReports.trunc!.stdout).files[0].fileError, 'the truncated gzip file is reported');
    assert.match(probeReports.tickets!.stdout, /row\(s\) in quarantine\.tickets/);
    assert.ok(corpus.length >= 10_000);
    assert.equal(new Set(corpus.map((c) => c.value)).size, corpus.length, 'identifiers are distinct');
  });

  /** One search of every corpus for every form of every identifier, shared by the checks below. */
  let searched: { leaks: Leak[]; missingFromRaw: Identifier[]; decoded: Map<string, string>; corpora: { name: string; text: string }[] } | undefined;
  const search = () => {
    if (searched) return searched;
    const started = performance.now();
    const lake = join(project, '.ade', 'lake');
    // Forms to look for, as latin1 views of their UTF-8 bytes (corpora are read the same way).
    const owners = new Map<string, { id: number; form: string }[]>();
    let forms = 0;
    corpus.forEach((id, i) => {
      for (const form of forbiddenForms(id)) {
        forms++;
        const key = utf8AsLatin1(form);
        owners.set(key, [...(owners.get(key) ?? []), { id: i, form }]);
      }
    });
    const needles = new NeedleSet(owners.keys(), 6);

    // Every clean table decoded by the engine (the Parquet files are compressed).
    const tables: string[] = JSON.parse(ok(ade('tables', '--json')).stdout)
      .map((t: { table: string }) => t.table)
      .filter((t: string) => t.startsWith('clean.'));
    assert.deepEqual([...tables].sort(), ['clean.events', 'clean.tickets']);
    const decoded = new Map<string, string>();
    for (const t of tables) {
      const r = ok(ade('sql', `FROM ${t}`, '--format', 'csv'));
      logs.push(r.stderr);
      decoded.set(t, r.stdout);
    }

    const corpora: { name: string; text: string }[] = [];
    for (const f of filesUnder(join(lake, 'clean'))) corpora.push({ name: `clean zone file ${relative(project, f)}`, text: latin1(readFileSync(f)) });
    for (const [t, csv] of decoded) corpora.push({ name: `decoded rows of ${t}`, text: textAsLatin1(csv) });
    const catalogFiles = ['catalog.db', 'catalog.db-wal', 'catalog.db-shm', 'catalog.db-journal'].map((f) => join(project, '.ade', f)).filter(existsSync);
    assert.ok(catalogFiles.length >= 1);
    for (const f of catalogFiles) corpora.push({ name: `catalog ${relative(project, f)}`, text: latin1(readFileSync(f)) });
    corpora.push({ name: 'logs and error output', text: textAsLatin1(logs.join('\n')) });
    // Everything else in the project but the zones meant to hold raw values (raw, quarantine, archive).
    const rawZones = ['raw', 'quarantine', 'archive'].map((z) => join(lake, z) + '/');
    for (const f of filesUnder(project)) {
      if (f.startsWith(join(lake, 'clean') + '/') || catalogFiles.includes(f) || rawZones.some((z) => f.startsWith(z))) continue;
      corpora.push({ name: `project file ${relative(project, f)}`, text: latin1(readFileSync(f)) });
    }
    const leaks: Leak[] = [];
    let bytes = 0;
    for (const c of corpora) {
      bytes += c.text.length;
      for (const hit of needles.findIn(c.text)) for (const o of owners.get(hit)!) leaks.push({ ...o, corpus: c.name });
    }

    // Raw: every identifier as written, in the decompressed raw copies.
    const rawFiles = filesUnder(join(lake, 'raw'));
    assert.equal(rawFiles.length, 7, 'three event files, two probe files and two CSV files');
    const rawNeedles = new NeedleSet(new Set(corpus.map((c) => utf8AsLatin1(c.value))), 6);
    const inRaw = new Set<string>();
    for (const f of rawFiles) for (const hit of rawNeedles.findIn(latin1(decompressed(f)))) inRaw.add(hit);
    const missingFromRaw = corpus.filter((c) => !inRaw.has(utf8AsLatin1(c.value)));

    const byKind = new Map<string, number>();
    for (const c of corpus) byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
    console.log(
      `leak test: checked ${corpus.length} identifiers (${forms} forms) across clean bytes, decoded clean rows, catalog, logs; ` +
        `${corpus.length - missingFromRaw.length} present in raw\n` +
        `  by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}; ${corpora.length} corpora, ${(bytes / 1e6).toFixed(1)} MB searched in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    if (leaks.length) {
      const summary = new Map<string, number>();
      for (const l of leaks) {
        const key = `${corpus[l.id]!.kind} in ${l.corpus.replace(/ file .*/, ' files')}, placed in ${(where.get(l.id) ?? ['?']).map((w) => w.replace(/^events row \d+ /, 'events ')).join(' + ')}`;
        summary.set(key, (summary.get(key) ?? 0) + 1);
      }
      console.log(`  ${leaks.length} leak(s):\n    ${[...summary].map(([k, n]) => `${n} × ${k}`).join('\n    ')}`);
      console.log(`  first leaks:\n    ${leaks.slice(0, 10).map(describeLeak).join('\n    ')}`);
    }
    if (missingFromRaw.length) console.log(`  missing from raw: ${missingFromRaw.slice(0, 10).map((c) => `${c.kind} ${JSON.stringify(c.value)}`).join(', ')}`);
    searched = { leaks, missingFromRaw, decoded, corpora };
    return searched;
  };
  /** A leak with where it was found and, in decoded rows, the column and row holding it. */
  const describeLeak = (l: Leak): string => {
    const id = corpus[l.id]!;
    let at = '';
    const table = /^decoded rows of (.*)$/.exec(l.corpus)?.[1];
    if (table) {
      const rows = ok(ade('sql', `FROM ${table}`, '--format', 'ndjson')).stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const row of rows) {
        const hit = Object.entries(row).find(([, x]) => typeof x === 'string' && x.includes(l.form));
        if (hit) {
          at = ` (column ${hit[0]} = ${JSON.stringify(hit[1]).slice(0, 200)})`;
          break;
        }
      }
    }
    return `${id.kind} ${JSON.stringify(id.value)} as ${JSON.stringify(l.form)} in ${l.corpus}${at}; placed in ${(where.get(l.id) ?? []).join(', ')}`;
  };
  const listed = (leaks: readonly Leak[]) => leaks.slice(0, 10).map(describeLeak);

  it('should keep identifiers of ingested rows out of the clean zone, the decoded rows, the catalog and the logs', () => {
    const { leaks, decoded } = search();
    // The decoded rows are the real thing: tokens, masked cards and networks, one line per row.
    const events = decoded.get('clean.events')!;
    assert.ok(events.trim().split('\n').length > ROWS, 'the header and every row');
    for (const shape of [/tok_[A-Za-z0-9_-]{22}/, /\*{11,}\d{4}/, /\d+\.\d+\.\d+\.0\/24/, /\[EMAIL:tok_/, /\[IBAN:tok_/]) assert.match(events, shape);
    const fromRows = leaks.filter((l) => !probeIds.has(l.id));
    assert.deepEqual(listed(fromRows), [], `${fromRows.length} form(s) of identifiers in ingested rows leaked`);
  });

  it('should keep identifiers of the probe files (malformed, mistyped, ragged and truncated records) out of the clean zone, the catalog and the error output', () => {
    const fromProbes = search().leaks.filter((l) => probeIds.has(l.id));
    assert.deepEqual(listed(fromProbes), [], `${fromProbes.length} form(s) of identifiers in the probe files leaked`);
  });

  it('should keep the tokenisation key out of every corpus (clean, catalog, logs, project files)', () => {
    const { corpora } = search();
    const file = JSON.parse(readFileSync(join(dir, 'keys', 'kr.json'), 'utf8')) as { keys: Record<string, { secret: string }> };
    const secrets = Object.values(file.keys).map((k) => k.secret);
    assert.ok(secrets.length > 0);
    for (const secret of secrets) {
      const bytes = Buffer.from(secret, 'base64');
      for (const form of [secret, bytes.toString('hex'), bytes.toString('base64url'), bytes.toString('latin1')]) {
        for (const c of corpora) assert.ok(!c.text.includes(form), `a form of the key is in ${c.name}`);
      }
    }
  });

  it('should keep every identifier, as written, in the raw zone', () => {
    const { missingFromRaw } = search();
    assert.deepEqual(missingFromRaw.slice(0, 10), [], `${missingFromRaw.length} identifier(s) missing from raw`);
  });
});
