import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadProject } from '../cli/project.js';
import { fieldPathProblem, parseSources } from './parse-sources.js';
import { SOURCE_DEFAULTS, type SourceConfig } from './source-config.js';

class Failed extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly hint: string | undefined,
  ) {
    super(`${path}: ${detail}`);
  }
}
const fail = (path: string, message: string, hint?: string): never => {
  throw new Failed(path, message, hint);
};
const sources = (yaml: string): SourceConfig[] => parseSources((parse(yaml) as { sources?: unknown }).sources, fail);

/** Asserts that parsing fails at `path` with a message matching `message`. */
function rejects(yaml: string, path: string, message: RegExp, hint?: RegExp): Failed {
  let caught: unknown;
  try {
    sources(yaml);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Failed, `expected a failure, got ${caught === undefined ? 'none' : String(caught)}`);
  assert.equal(caught.path, path, caught.message);
  assert.match(caught.detail, message);
  if (hint) assert.match(caught.hint ?? '', hint);
  return caught;
}

const FULL = `
sources:
  events:
    format: ndjson
    compression: auto
    location: landing/events/*.ndjson.gz
    schema:
      event_id: VARCHAR
      ts: timestamp
      price: DECIMAL(10,2)
    on_schema_change: evolve
    event_id: event_id
    event_time: ts
    undeclared: tokenize
    raw_retention: 30d
    archive_retention: 365d
    max_record_size: 16MB
    max_columns: 4096
    max_depth: 64
    fields:
      email: tokenize
      phone: { tokenize: phone }
      card: { mask: 4 }
      ts: { generalize: day }
      zip: { generalize: zip, digits: 3 }
      ip: { generalize: ip }
      lat: { generalize: coordinate, decimals: 2 }
      age: { generalize: age, band: 10 }
      message: redact
      properties.email: tokenize
      items[].card: { mask: 4 }
      note: drop
      country: keep
  orders:
    format: csv
`;

const DAY = 86_400_000;

describe('parseSources', () => {
  it('should parse a full example into SourceConfig objects', () => {
    const [events, orders, ...rest] = sources(FULL);
    assert.equal(rest.length, 0);
    assert.deepEqual(events, {
      name: 'events',
      format: 'ndjson',
      compression: 'auto',
      location: 'landing/events/*.ndjson.gz',
      schema: [
        { name: 'event_id', type: 'VARCHAR' },
        { name: 'ts', type: 'TIMESTAMP' },
        { name: 'price', type: 'DECIMAL(10,2)' },
      ],
      onSchemaChange: 'evolve',
      eventId: 'event_id',
      eventTime: 'ts',
      fields: {
        email: { action: 'tokenize' },
        phone: { action: 'tokenize', kind: 'phone' },
        card: { action: 'mask', keepLast: 4 },
        ts: { action: 'generalize', to: 'day' },
        zip: { action: 'generalize', to: 'zip', digits: 3 },
        ip: { action: 'generalize', to: 'ip', v4Prefix: 24, v6Prefix: 48 },
        lat: { action: 'generalize', to: 'coordinate', decimals: 2 },
        age: { action: 'generalize', to: 'age', band: 10 },
        message: { action: 'redact' },
        'properties.email': { action: 'tokenize' },
        'items[].card': { action: 'mask', keepLast: 4 },
        note: { action: 'drop' },
        country: { action: 'keep' },
      },
      undeclared: 'tokenize',
      rawRetentionMs: 30 * DAY,
      archiveRetentionMs: 365 * DAY,
      maxRecordBytes: 16_000_000,
      maxColumns: 4096,
      maxDepth: 64,
    } satisfies SourceConfig);
    // only format given: everything else from SOURCE_DEFAULTS, optional keys absent
    assert.deepEqual(orders, {
      name: 'orders',
      format: 'csv',
      compression: SOURCE_DEFAULTS.compression,
      onSchemaChange: SOURCE_DEFAULTS.onSchemaChange,
      fields: {},
      undeclared: SOURCE_DEFAULTS.undeclared,
      maxRecordBytes: SOURCE_DEFAULTS.maxRecordBytes,
      maxColumns: SOURCE_DEFAULTS.maxColumns,
      maxDepth: SOURCE_DEFAULTS.maxDepth,
    } satisfies SourceConfig);
  });

  it('should return no sources when the section is absent or empty', () => {
    assert.deepEqual(parseSources(undefined, fail), []);
    assert.deepEqual(parseSources(null, fail), []);
    assert.deepEqual(sources('sources: {}'), []);
    assert.deepEqual(sources('sources: []'), []);
  });

  it('should accept a list of sources with name:', () => {
    const list = sources(`
sources:
  - name: events
    format: json
    compression: gzip
  - name: orders
    format: parquet
    undeclared: reject
`);
    assert.deepEqual(
      list.map((s) => [s.name, s.format, s.compression, s.undeclared]),
      [
        ['events', 'json', 'gzip', 'tokenize'],
        ['orders', 'parquet', 'auto', 'reject'],
      ],
    );
  });

  it('should accept the string form of schema, parameter overrides and numbers as strings', () => {
    const [s] = sources(`
sources:
  t:
    format: csv
    schema: "id:bigint, name:VARCHAR, price:DECIMAL(10,2)"
    max_record_size: 1MiB
    max_columns: "100"
    fields:
      ip: { generalize: ip, v4_prefix: 16, v6_prefix: 32 }
      zip: { generalize: zip, digits: 2 }
      lat: { generalize: coordinate }
      age: { generalize: age, band: 5 }
      year: { generalize: year }
      card: { mask: 0 }
`);
    assert.deepEqual(s!.schema, [
      { name: 'id', type: 'BIGINT' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'price', type: 'DECIMAL(10,2)' },
    ]);
    assert.equal(s!.maxRecordBytes, 1024 * 1024);
    assert.equal(s!.maxColumns, 100);
    assert.deepEqual(s!.fields, {
      ip: { action: 'generalize', to: 'ip', v4Prefix: 16, v6Prefix: 32 },
      zip: { action: 'generalize', to: 'zip', digits: 2 },
      lat: { action: 'generalize', to: 'coordinate', decimals: 2 },
      age: { action: 'generalize', to: 'age', band: 5 },
      year: { action: 'generalize', to: 'year' },
      card: { action: 'mask', keepLast: 0 },
    });
  });

  it('should reject an unknown or missing format', () => {
    rejects('sources: { events: { format: xml } }', 'sources.events.format', /unknown format "xml"/, /csv, tsv, ndjson, json, parquet/);
    rejects('sources: { events: { compression: gzip } }', 'sources.events.format', /is required/);
    rejects('sources: { events: { format: csv, compression: bz2 } }', 'sources.events.compression', /unknown compression "bz2"/);
  });

  it('should reject an unknown key in a source, listing the allowed keys', () => {
    const f = rejects('sources: { events: { format: csv, undeclard: drop } }', 'sources.events.undeclard', /unknown key "undeclard" in source "events"/);
    assert.match(f.hint!, /did you mean "undeclared"/);
    assert.match(f.hint!, /allowed keys: format, compression, location, schema, on_schema_change/);
  });

  it('should reject an unknown action', () => {
    rejects('sources: { e: { format: csv, fields: { email: hash } } }', 'sources.e.fields.email', /field "email": unknown action "hash"/);
    rejects('sources: { e: { format: csv, fields: { email: { hash: sha256 } } } }', 'sources.e.fields.email', /unknown action "hash"/);
    rejects('sources: { e: { format: csv, fields: { email: tokenise } } }', 'sources.e.fields.email', /unknown action/, /did you mean "tokenize"/);
    // no action: never silently kept
    rejects('sources: { e: { format: csv, fields: { email: } } }', 'sources.e.fields.email', /needs an action/);
    rejects('sources: { e: { format: csv, fields: { card: mask } } }', 'sources.e.fields.card', /mask needs the number/);
    rejects('sources: { e: { format: csv, fields: { card: { mask: 4, tokenize: card } } } }', 'sources.e.fields.card', /more than one action/);
    rejects('sources: { e: { format: csv, fields: { card: { drop: true } } } }', 'sources.e.fields.card', /drop takes no settings/);
  });

  it('should reject unknown keys in a field policy', () => {
    rejects('sources: { e: { format: csv, fields: { card: { mask: 4, keep_last: 2 } } } }', 'sources.e.fields.card', /unknown key "keep_last"/, /allowed keys: mask/);
    rejects('sources: { e: { format: csv, fields: { zip: { generalize: zip, digit: 2 } } } }', 'sources.e.fields.zip', /unknown key "digit"/, /did you mean "digits"/);
    rejects('sources: { e: { format: csv, fields: { ts: { generalize: day, digits: 2 } } } }', 'sources.e.fields.ts', /unknown key "digits"/);
  });

  it('should reject a bad tokenize kind', () => {
    rejects('sources: { e: { format: csv, fields: { phone: { tokenize: telephone } } } }', 'sources.e.fields.phone', /unknown kind "telephone"/, /email, phone, card/);
  });

  it('should reject a bad mask', () => {
    rejects('sources: { e: { format: csv, fields: { card: { mask: -1 } } } }', 'sources.e.fields.card', /mask must be a non-negative integer/);
    rejects('sources: { e: { format: csv, fields: { card: { mask: 2.5 } } } }', 'sources.e.fields.card', /non-negative integer .*got 2\.5/);
    rejects('sources: { e: { format: csv, fields: { card: { mask: four } } } }', 'sources.e.fields.card', /non-negative integer/);
  });

  it('should reject bad generalize targets and parameters', () => {
    rejects('sources: { e: { format: csv, fields: { ts: { generalize: week } } } }', 'sources.e.fields.ts', /unknown generalize target for field "ts": "week"/, /day, month, year, zip, ip, coordinate, age/);
    rejects('sources: { e: { format: csv, fields: { zip: { generalize: zip, digits: 0 } } } }', 'sources.e.fields.zip', /field "zip": digits must be an integer from 1 to 10/);
    rejects('sources: { e: { format: csv, fields: { ip: { generalize: ip, v4_prefix: 33 } } } }', 'sources.e.fields.ip', /v4_prefix must be an integer from 0 to 32/);
    rejects('sources: { e: { format: csv, fields: { age: { generalize: age, band: 20 } } } }', 'sources.e.fields.age', /band 20 does not divide 90/);
  });

  it('should reject bad field paths, naming the field and pointing at its parent', () => {
    rejects('sources: { e: { format: ndjson, fields: { a..b: drop } } }', 'sources.e.fields', /field path "a..b" has an empty segment/);
    rejects('sources: { e: { format: ndjson, fields: { .a: drop } } }', 'sources.e.fields', /field path ".a" has an empty segment/);
    rejects('sources: { e: { format: ndjson, fields: { "a[0].b": drop } } }', 'sources.e.fields', /invalid segment "a\[0\]"/);
    rejects('sources: { e: { format: ndjson, fields: { "a[]]": drop } } }', 'sources.e.fields.a[]]', /invalid segment/);
    // a bad policy on a dotted path points at the parent and names the field
    rejects('sources: { e: { format: ndjson, fields: { properties.email: hash } } }', 'sources.e.fields', /field "properties.email": unknown action "hash"/);
    rejects('sources: { e: { format: ndjson, event_id: "items[].id" } }', 'sources.e.event_id', /one value per record/);
    rejects('sources: { e: { format: ndjson, event_time: "meta..ts" } }', 'sources.e.event_time', /empty segment/);
    assert.equal(fieldPathProblem('items[].card'), undefined);
    assert.equal(fieldPathProblem('a.b.c'), undefined);
    assert.match(fieldPathProblem('a.')!, /trailing dot/);
  });

  it('should reject duplicate and invalid source names', () => {
    rejects('sources: [{ name: events, format: csv }, { name: events, format: json }]', 'sources.1.name', /source "events" is defined twice \(first at sources.0.name\)/);
    rejects('sources: { Events: { format: csv } }', 'sources.Events', /invalid source name "Events"/);
    rejects('sources: { my.events: { format: csv } }', 'sources', /invalid source name "my.events"/);
    rejects('sources: [{ format: csv }]', 'sources.0', /no name/);
    rejects('sources: { events: { name: other, format: csv } }', 'sources.events.name', /keyed "events"/);
    rejects('sources: [events]', 'sources.0', /must be a mapping/);
    rejects('sources: events', 'sources', /must be a mapping/);
  });

  it('should name the source in list-form messages', () => {
    rejects('sources: [{ name: events, format: xml }]', 'sources.0.format', /unknown format "xml" \(source "events"\)/);
  });

  it('should reject bad durations, sizes and limits', () => {
    rejects('sources: { e: { format: csv, raw_retention: soon } }', 'sources.e.raw_retention', /invalid duration "soon"/, /7d/);
    rejects('sources: { e: { format: csv, archive_retention: 30 } }', 'sources.e.archive_retention', /must be a duration/);
    rejects('sources: { e: { format: csv, raw_retention: 0d } }', 'sources.e.raw_retention', /longer than zero/);
    rejects('sources: { e: { format: csv, max_record_size: big } }', 'sources.e.max_record_size', /invalid size "big"/);
    rejects('sources: { e: { format: csv, max_record_size: 0 } }', 'sources.e.max_record_size', /at least 1/);
    rejects('sources: { e: { format: csv, max_columns: 0 } }', 'sources.e.max_columns', /integer of at least 1/);
    rejects('sources: { e: { format: csv, max_depth: 1.5 } }', 'sources.e.max_depth', /integer of at least 1/);
  });

  it('should reject bad schemas and policies', () => {
    rejects('sources: { e: { format: csv, schema: { id: "BIG INT" } } }', 'sources.e.schema.id', /invalid type "BIG INT"/);
    rejects('sources: { e: { format: csv, schema: "id BIGINT" } }', 'sources.e.schema', /invalid column declaration/);
    rejects('sources: { e: { format: csv, schema: "id:INT,id:BIGINT" } }', 'sources.e.schema', /"id" is declared twice/);
    rejects('sources: { e: { format: csv, schema: {} } }', 'sources.e.schema', /no columns/);
    rejects('sources: { e: { format: csv, on_schema_change: ignore } }', 'sources.e.on_schema_change', /unknown on_schema_change policy "ignore"/);
    rejects('sources: { e: { format: csv, undeclared: keep } }', 'sources.e.undeclared', /unknown undeclared policy "keep"/, /tokenize, drop, reject/);
    rejects('sources: { e: { format: csv, location: "" } }', 'sources.e.location', /must be a file, folder or glob/);
    rejects('sources: { e: { format: csv, fields: [email] } }', 'sources.e.fields', /must be a mapping/);
  });
});

describe('parseSources: change streams (cdc)', () => {
  it('should read the key and default event_id to cdc_id and event_time to cdc_ts', () => {
    const [customers] = sources('sources: { customers: { format: ndjson, cdc: { key: [tenant_id, id] }, fields: { email: tokenize } } }');
    assert.deepEqual(customers!.cdc, { key: ['tenant_id', 'id'] });
    assert.equal(customers!.eventId, 'cdc_id');
    assert.equal(customers!.eventTime, 'cdc_ts');
    // the change columns are kept as they are (never scanned), the user's policies stay
    assert.deepEqual(customers!.fields.email, { action: 'tokenize' });
    for (const c of ['cdc_op', 'cdc_position', 'cdc_ts', 'cdc_format', 'cdc_source', 'cdc_id']) assert.deepEqual(customers!.fields[c], { action: 'keep' }, c);
  });

  it('should accept a single key column, cdc: true and an empty mapping, and keep event_id and field policies the user set', () => {
    assert.deepEqual(sources('sources: { c: { format: ndjson, cdc: { key: Id } } }')[0]!.cdc, { key: ['Id'] });
    assert.deepEqual(sources('sources: { c: { format: ndjson, cdc: true } }')[0]!.cdc, { key: [] });
    assert.deepEqual(sources('sources: { c: { format: ndjson, cdc: {} } }')[0]!.cdc, { key: [] });
    assert.equal(sources('sources: { c: { format: ndjson, cdc: false } }')[0]!.cdc, undefined);
    const [own] = sources('sources: { c: { format: ndjson, event_id: meta.id, event_time: at, cdc: { key: [id] }, fields: { cdc_source: drop } } }');
    assert.equal(own!.eventId, 'meta.id');
    assert.equal(own!.eventTime, 'at');
    assert.deepEqual(own!.fields.cdc_source, { action: 'drop' });
    // not a change stream: no defaults
    const [plain] = sources('sources: { e: { format: ndjson } }');
    assert.equal(plain!.cdc, undefined);
    assert.equal(plain!.eventId, undefined);
    assert.deepEqual(plain!.fields, {});
  });

  it('should reject a change stream that is not ndjson, bad keys and unknown settings, at their path', () => {
    rejects('sources: { c: { format: csv, cdc: { key: [id] } } }', 'sources.c.cdc', /must be format ndjson, not csv/, /format: ndjson/);
    rejects('sources: { c: { format: ndjson, cdc: { keys: [id] } } }', 'sources.c.cdc.keys', /unknown key "keys" in cdc/, /did you mean "key"/);
    rejects('sources: { c: { format: ndjson, cdc: { key: { id: 1 } } } }', 'sources.c.cdc.key', /must be a column or a list of columns/);
    rejects('sources: { c: { format: ndjson, cdc: { key: [a.b] } } }', 'sources.c.cdc.key', /invalid key column "a\.b"/);
    rejects('sources: { c: { format: ndjson, cdc: { key: [id, id] } } }', 'sources.c.cdc.key', /"id" is listed twice/);
    rejects('sources: { c: { format: ndjson, cdc: { key: [cdc_id] } } }', 'sources.c.cdc.key', /reserved/);
    rejects('sources: { c: { format: ndjson, cdc: yes please } }', 'sources.c.cdc', /must be a mapping/);
  });
});

describe('loadProject sources', () => {
  const withProject = <T>(yaml: string, fn: (dir: string) => T): T => {
    const dir = mkdtempSync(join(tmpdir(), 'ade-sources-'));
    try {
      writeFileSync(join(dir, 'ade.yaml'), yaml);
      return fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('should read sources from ade.yaml, empty when there are none', () => {
    withProject('name: p\n', (dir) => assert.deepEqual(loadProject(dir, {}).sources, []));
    withProject(FULL, (dir) => {
      const project = loadProject(dir, {});
      assert.deepEqual(
        project.sources.map((s) => s.name),
        ['events', 'orders'],
      );
      assert.deepEqual(project.sources[0]!.fields['items[].card'], { action: 'mask', keepLast: 4 });
    });
  });

  it('should report errors with the file and line', () => {
    const yaml = ['name: p', 'sources:', '  events:', '    format: ndjson', '    fields:', '      email: tokenize', '      phone: { tokenize: telephone }', ''].join('\n');
    withProject(yaml, (dir) => {
      assert.throws(
        () => loadProject(dir, {}),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'config.invalid');
          assert.match(e.message, /ade\.yaml:7: sources\.events\.fields\.phone: field "phone": unknown kind "telephone"/);
          return true;
        },
      );
    });
    // a dotted field path cannot be looked up: the error points at the start of the `fields` mapping (its first entry)
    const dotted = ['name: p', 'sources:', '  events:', '    format: ndjson', '    fields:', '      email: tokenize', '      properties..email: tokenize', ''].join('\n');
    withProject(dotted, (dir) => {
      assert.throws(() => loadProject(dir, {}), /ade\.yaml:6: sources\.events\.fields: field path "properties\.\.email" has an empty segment/);
    });
    const unknownKey = ['name: p', 'sources:', '  events:', '    format: ndjson', '    raw_retention: 30d', '    retention: 30d', ''].join('\n');
    withProject(unknownKey, (dir) => {
      assert.throws(() => loadProject(dir, {}), /ade\.yaml:6: sources\.events\.retention: unknown key "retention" in source "events"/);
    });
    const cdcFormat = ['name: p', 'sources:', '  changes:', '    format: json', '    cdc:', '      key: [id]', ''].join('\n');
    withProject(cdcFormat, (dir) => {
      assert.throws(() => loadProject(dir, {}), /ade\.yaml:6: sources\.changes\.cdc: a change stream must be format ndjson, not json/);
    });
    const listForm = ['name: p', 'sources:', '  - name: events', '    format: csv', '  - name: events', '    format: json', ''].join('\n');
    withProject(listForm, (dir) => {
      assert.throws(() => loadProject(dir, {}), /ade\.yaml:5: sources\.1\.name: source "events" is defined twice/);
    });
  });
});
