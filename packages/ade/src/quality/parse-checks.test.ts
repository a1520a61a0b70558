import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadProject } from '../cli/project.js';
import { CHECK_KINDS, defaultName, parseCheckList, parseChecksSection, type CheckDef, type CheckFail } from './parse-checks.js';

/** What a parse failure reported: the path inside the declaration and the message. */
class Failed extends Error {
  constructor(
    readonly path: readonly (string | number)[],
    readonly detail: string,
    readonly hint: string | undefined,
  ) {
    super(`${path.join('/')}: ${detail}`);
  }
}
const fail: CheckFail = (path, message, hint) => {
  throw new Failed(path, message, hint);
};

const parse = (raw: unknown): CheckDef[] => parseChecksSection(raw, fail);
const orders = (...list: unknown[]) => parse({ 'clean.orders': list });
const one = (item: unknown): CheckDef => {
  const defs = orders(item);
  assert.equal(defs.length, 1);
  return defs[0]!;
};

/** Asserts that parsing throws a failure at exactly `path` with a message matching `message`. */
function rejects(raw: unknown, path: readonly (string | number)[], message: RegExp): void {
  assert.throws(
    () => parse(raw),
    (e: unknown) => {
      assert.ok(e instanceof Failed, `expected a parse failure, got ${String(e)}`);
      assert.deepEqual(e.path, path);
      assert.match(e.detail, message);
      return true;
    },
  );
}

describe('parseChecksSection', () => {
  it('should return no checks for an absent section, and refuse a section that is not a mapping', () => {
    assert.deepEqual(parse(undefined), []);
    assert.deepEqual(parse(null), []);
    rejects(['clean.orders'], ['checks'], /must map tables/);
    rejects({ 'clean.orders': { not_null: 'email' } }, ['checks', 'clean.orders'], /must be a list of checks/);
  });

  it('should parse every check kind', () => {
    const defs = orders(
      { not_null: 'email' },
      { unique: 'order_id' },
      { accepted_values: { column: 'status', values: ['new', 'paid', 3, true] } },
      { range: { column: 'amount', min: 0, max: '1e6' } },
      { regex: { column: 'email', pattern: '^[^@]+@[^@]+$' } },
      { type: { column: 'amount', type: 'decimal(18,2)' } },
      { row_count: { min: 1, max: 1000 } },
      { freshness: { column: 'ts', max_lag: '2d' } },
      { relationships: { column: 'customer_id', to: 'clean.customers', field: 'id' } },
      { sql: { query: 'SELECT * FROM clean.orders WHERE amount < 0;' } },
      { anomaly: { metric: 'null_ratio', column: 'email', by: 'hour', time: 'ts', seasonality: 'hour_of_week', window: 4, sensitivity: 2, direction: 'rise', floor: 0.01, min_history: 2 } },
    );
    assert.deepEqual(
      defs.map((d) => d.spec.kind),
      CHECK_KINDS,
    );
    assert.deepEqual(
      defs.map((d) => d.spec),
      [
        { kind: 'not_null', column: 'email' },
        { kind: 'unique', columns: ['order_id'] },
        { kind: 'accepted_values', column: 'status', values: ['new', 'paid', 3, true] },
        { kind: 'range', column: 'amount', min: 0, max: '1e6' },
        { kind: 'regex', column: 'email', pattern: '^[^@]+@[^@]+$' },
        { kind: 'type', column: 'amount', type: 'DECIMAL(18,2)' },
        { kind: 'row_count', min: 1, max: 1000 },
        { kind: 'freshness', column: 'ts', maxLagMs: 2 * 86_400_000 },
        { kind: 'relationships', column: 'customer_id', to: { zone: 'clean', name: 'customers' }, field: 'id' },
        { kind: 'sql', sql: 'SELECT * FROM clean.orders WHERE amount < 0' },
        {
          kind: 'anomaly',
          metric: 'null_ratio',
          column: 'email',
          by: 'hour',
          time: 'ts',
          rule: { seasonality: 'hour_of_week', window: 4, sensitivity: 2, direction: 'rise', floor: 0.01, trend: 'none', minHistory: 2 },
        },
      ],
    );
    assert.ok(defs.every((d) => d.origin === 'ade.yaml' && d.table.zone === 'clean' && d.table.name === 'orders'));
  });

  it('should expand the shorthand forms', () => {
    const nn = orders({ not_null: ['a', 'b'] });
    assert.deepEqual(
      nn.map((d) => [d.id, d.spec]),
      [
        ['clean.orders/not_null(a)', { kind: 'not_null', column: 'a' }],
        ['clean.orders/not_null(b)', { kind: 'not_null', column: 'b' }],
      ],
    );
    assert.deepEqual(orders({ not_null: { columns: ['a', 'b'] } }).map((d) => d.spec), nn.map((d) => d.spec));
    const composite = one({ unique: ['a', 'b'] });
    assert.deepEqual(composite.spec, { kind: 'unique', columns: ['a', 'b'] });
    assert.equal(composite.id, 'clean.orders/unique(a,b)');
    assert.deepEqual(one({ freshness: '36h' }).spec, { kind: 'freshness', maxLagMs: 36 * 3_600_000 });
    assert.equal(one({ freshness: '36h' }).name, 'freshness');
    assert.deepEqual(one({ sql: '  SELECT * FROM clean.orders WHERE amount < 0 ;  ' }).spec, { kind: 'sql', sql: 'SELECT * FROM clean.orders WHERE amount < 0' });
    assert.deepEqual(one({ sql: 'with x as (select 1) select * from x' }).spec.kind, 'sql');
    assert.deepEqual(one({ relationships: { column: 'customer_id', to: 'clean.customers' } }).spec, {
      kind: 'relationships',
      column: 'customer_id',
      to: { zone: 'clean', name: 'customers' },
      field: 'customer_id',
    });
  });

  it('should give an anomaly check rows by day, window 10, sensitivity 3, both directions, severity warn by default', () => {
    const d = one({ anomaly: {} });
    assert.equal(d.severity, 'warn');
    assert.deepEqual(d.spec, {
      kind: 'anomaly',
      metric: 'rows',
      by: 'day',
      rule: { seasonality: 'none', window: 10, sensitivity: 3, direction: 'both', floor: 0, trend: 'none' },
    });
    assert.equal(d.id, 'clean.orders/anomaly(rows by day)');
    const batch = one({ anomaly: { by: 'batch' } });
    assert.equal(batch.name, 'anomaly(rows by batch)');
    assert.equal(batch.spec.kind === 'anomaly' && batch.spec.rule.window, 10);
    assert.equal(batch.spec.kind === 'anomaly' && batch.spec.rule.sensitivity, 3);
  });

  it('should name checks by kind and columns unless a name is given, with ids under the table', () => {
    const defs = orders(
      { not_null: 'email' },
      { accepted_values: { column: 'status', values: ['a'] } },
      { row_count: { min: 1 } },
      { freshness: { column: 'ts', max_lag: '1h' } },
      { relationships: { column: 'customer_id', to: 'clean.customers', field: 'id' } },
      { anomaly: { metric: 'mean', column: 'amount' } },
      { not_null: 'amount', name: '  amount is set ' },
    );
    assert.deepEqual(
      defs.map((d) => d.id),
      [
        'clean.orders/not_null(email)',
        'clean.orders/accepted_values(status)',
        'clean.orders/row_count',
        'clean.orders/freshness(ts)',
        'clean.orders/relationships(customer_id→clean.customers.id)',
        'clean.orders/anomaly(mean of amount by day)',
        'clean.orders/amount is set',
      ],
    );
    assert.equal(defs.at(-1)!.name, 'amount is set');
    // A custom SQL check is named after its query, so the same query keeps its id.
    const sql = one({ sql: 'SELECT 1 AS x' });
    assert.match(sql.name, /^sql\([0-9a-f]{8}\)$/);
    assert.equal(sql.name, defaultName({ kind: 'sql', sql: 'SELECT 1 AS x' }));
    assert.notEqual(sql.name, defaultName({ kind: 'sql', sql: 'SELECT 2 AS x' }));
  });

  it('should default severity to error, to warn for anomaly and freshness, and take an explicit one', () => {
    const defs = orders(
      { not_null: 'a' },
      { unique: 'a' },
      { range: { column: 'a', min: 0 } },
      { row_count: { min: 1 } },
      { freshness: '1d' },
      { anomaly: { by: 'batch' } },
      { not_null: 'b', severity: 'warn' },
      { freshness: { column: 'ts', max_lag: '2h' }, severity: 'error' },
      { anomaly: { by: 'hour' }, severity: 'error' },
    );
    assert.deepEqual(
      defs.map((d) => d.severity),
      ['error', 'error', 'error', 'error', 'warn', 'warn', 'warn', 'error', 'error'],
    );
    rejects({ 'clean.orders': [{ not_null: 'a', severity: 'fatal' }] }, ['checks', 'clean.orders', 0, 'severity'], /must be error or warn/);
  });

  it('should keep the origin it is given, and parse one table list for a model header', () => {
    const defs = parseCheckList({ zone: 'model', name: 'daily' }, [{ not_null: 'day' }], fail, 'models/model/daily.sql');
    assert.deepEqual(defs, [
      { id: 'model.daily/not_null(day)', table: { zone: 'model', name: 'daily' }, name: 'not_null(day)', severity: 'error', spec: { kind: 'not_null', column: 'day' }, origin: 'models/model/daily.sql' },
    ]);
    assert.equal(parseChecksSection({ 'clean.orders': [{ not_null: 'a' }] }, fail, 'other.yaml')[0]!.origin, 'other.yaml');
  });

  describe('errors name the path of the bad entry', () => {
    const at = (i: number, ...rest: (string | number)[]) => ['checks', 'clean.orders', i, ...rest];

    it('should refuse an unknown check kind, listing the kinds', () => {
      assert.throws(
        () => orders({ not_null: 'a' }, { no_nulls: 'email' }),
        (e: unknown) => {
          assert.ok(e instanceof Failed);
          assert.deepEqual(e.path, at(1, 'no_nulls'));
          assert.match(e.detail, /unknown check "no_nulls"/);
          assert.match(e.hint ?? '', /not_null, unique, accepted_values/);
          return true;
        },
      );
    });

    it('should refuse two kinds (or none) in one item', () => {
      rejects({ 'clean.orders': [{ not_null: 'a', unique: 'a' }] }, at(0), /exactly one check/);
      rejects({ 'clean.orders': [{ severity: 'warn' }] }, at(0), /exactly one check/);
      rejects({ 'clean.orders': ['not_null'] }, at(0), /must be a mapping/);
    });

    it('should refuse an unknown option', () => {
      rejects({ 'clean.orders': [{ range: { column: 'a', min: 0, maximum: 9 } }] }, at(0, 'range', 'maximum'), /unknown option "maximum"/);
      rejects({ 'clean.orders': [{ anomaly: { metric: 'rows', windw: 5 } }] }, at(0, 'anomaly', 'windw'), /unknown option "windw"/);
    });

    it('should refuse a bad regular expression', () => {
      rejects({ 'clean.orders': [{ regex: { column: 'email', pattern: '([a-z' } }] }, at(0, 'regex', 'pattern'), /not a valid regular expression/);
    });

    it('should refuse a bad table name', () => {
      rejects({ orders: [{ not_null: 'a' }] }, ['checks', 'orders'], /"orders" is not a table \(zone\.table\)/);
      rejects({ 'Clean.Orders': [{ not_null: 'a' }] }, ['checks', 'Clean.Orders'], /is not a table/);
      rejects({ 'clean.orders': [{ relationships: { column: 'c', to: 'customers' } }] }, at(0, 'relationships', 'to'), /must name a table/);
    });

    it('should refuse a bad column name with the position in a shorthand list', () => {
      rejects({ 'clean.orders': [{ not_null: ['a', 'Bad Name'] }] }, at(0, 'not_null', 1), /invalid column name "Bad Name"/);
      rejects({ 'clean.orders': [{ not_null: [] }] }, at(0, 'not_null'), /at least one column/);
    });

    it('should refuse a range without bounds, and a row count with min above max', () => {
      rejects({ 'clean.orders': [{ range: { column: 'amount' } }] }, at(0, 'range'), /needs min, max or both/);
      rejects({ 'clean.orders': [{ range: { column: 'amount', min: true } }] }, at(0, 'range', 'min'), /must be a number/);
      rejects({ 'clean.orders': [{ row_count: { min: 5, max: 2 } }] }, at(0, 'row_count', 'min'), /is above max/);
      rejects({ 'clean.orders': [{ row_count: { min: -1 } }] }, at(0, 'row_count', 'min'), /whole number/);
    });

    it('should refuse a bad duration, a non-SELECT query and empty accepted values', () => {
      rejects({ 'clean.orders': [{ freshness: 'soon' }] }, at(0, 'freshness', 'max_lag'), /duration such as 36h/);
      rejects({ 'clean.orders': [{ sql: 'DELETE FROM clean.orders' }] }, at(0, 'sql'), /one SELECT/);
      rejects({ 'clean.orders': [{ accepted_values: { column: 's', values: [] } }] }, at(0, 'accepted_values', 'values'), /non-empty list/);
    });

    it('should refuse anomaly by batch on a metric other than rows, and seasons it cannot have', () => {
      rejects({ 'clean.orders': [{ anomaly: { metric: 'mean', column: 'amount', by: 'batch' } }] }, at(0, 'anomaly', 'metric'), /by: batch watches rows/);
      rejects({ 'clean.orders': [{ anomaly: { by: 'batch', seasonality: 'weekday' } }] }, at(0, 'anomaly', 'seasonality'), /no seasons/);
      rejects({ 'clean.orders': [{ anomaly: { by: 'day', seasonality: 'hour_of_week' } }] }, at(0, 'anomaly', 'seasonality'), /hour_of_week needs by: hour/);
      rejects({ 'clean.orders': [{ anomaly: { metric: 'distinct' } }] }, at(0, 'anomaly', 'column'), /is required for distinct/);
      rejects({ 'clean.orders': [{ anomaly: { metric: 'median', column: 'a' } }] }, at(0, 'anomaly', 'metric'), /must be rows, null_ratio/);
      rejects({ 'clean.orders': [{ anomaly: { window: 0 } }] }, at(0, 'anomaly'), /window must be an integer/);
      rejects({ 'clean.orders': [{ anomaly: { sensitivity: 'high' } }] }, at(0, 'anomaly', 'sensitivity'), /must be a number/);
    });

    it('should refuse a check declared twice, until one of them is named', () => {
      assert.throws(
        () => orders({ not_null: 'email' }, { not_null: ['id', 'email'] }),
        (e: unknown) => {
          assert.ok(e instanceof Failed);
          assert.deepEqual(e.path, ['checks', 'clean.orders']);
          assert.match(e.detail, /not_null\(email\) is declared twice/);
          assert.match(e.hint ?? '', /name:/);
          return true;
        },
      );
      assert.equal(orders({ not_null: 'email' }, { not_null: 'email', name: 'email again', severity: 'warn' }).length, 2);
      // The same check on two tables is two checks.
      assert.equal(parse({ 'clean.orders': [{ not_null: 'id' }], 'clean.customers': [{ not_null: 'id' }] }).length, 2);
    });
  });
});

describe('checks in ade.yaml', () => {
  const withProject = <T>(yaml: string, fn: (dir: string) => T): T => {
    const dir = mkdtempSync(join(tmpdir(), 'ade-checks-'));
    try {
      writeFileSync(join(dir, 'ade.yaml'), yaml);
      return fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const project = (checks: string[]) =>
    ['name: shop', 'storage:', '  kind: local', '  root: .ade/lake', 'catalog:', '  kind: sqlite', 'checks:', ...checks, ''].join('\n');
  /** Asserts loadProject fails with config.invalid naming ade.yaml, `line` and a message matching `message`. */
  const failsAt = (yaml: string, line: number, message: RegExp) =>
    withProject(yaml, (dir) =>
      assert.throws(
        () => loadProject(dir, {}),
        (e: Error & { code?: string; details?: Record<string, unknown> }) => {
          assert.equal(e.code, 'config.invalid');
          assert.ok(e.message.startsWith(`${join(dir, 'ade.yaml')}:${line}: `), e.message);
          assert.match(e.message, message);
          assert.equal(e.details?.line, line);
          return true;
        },
      ),
    );

  it('should load the checks a project declares', () => {
    const yaml = project([
      '  clean.orders:',
      '    - not_null: [order_id, email]',
      '    - unique: order_id',
      '    - anomaly: { by: batch }',
      '  model.daily:',
      '    - freshness: 36h',
    ]);
    withProject(yaml, (dir) => {
      const p = loadProject(dir, {});
      assert.deepEqual(
        p.checks.map((c) => `${c.id} ${c.severity}`),
        ['clean.orders/not_null(order_id) error', 'clean.orders/not_null(email) error', 'clean.orders/unique(order_id) error', 'clean.orders/anomaly(rows by batch) warn', 'model.daily/freshness warn'],
      );
    });
  });

  it('should report the file and the line of the bad entry', () => {
    // Line 11 is the third item of clean.orders; its unknown option is on the same line.
    failsAt(
      project(['  clean.orders:', '    - not_null: email', '    - unique: order_id', '    - range: { column: amount, minimum: 0 }']),
      11,
      /checks\.clean\.orders\[2\]\.range\.minimum: unknown option "minimum"/,
    );
    // An entry spread over lines: the line of the bad option itself.
    failsAt(
      project([
        '  clean.orders:',
        '    - not_null: email',
        '  clean.customers:',
        '    - unique: id',
        '    - regex:',
        '        column: email',
        '        pattern: "([a-z"',
      ]),
      14,
      /checks\.clean\.customers\[1\]\.regex\.pattern: is not a valid regular expression/,
    );
    // An unknown check kind: the line of its item.
    failsAt(project(['  clean.orders:', '    - not_null: email', '    - no_nulls: email']), 10, /checks\.clean\.orders\[1\]\.no_nulls: unknown check "no_nulls"/);
    // A bad table name: the line its list starts on.
    failsAt(project(['  clean.orders:', '    - not_null: email', '  orders:', '    - not_null: id']), 11, /checks\.orders: "orders" is not a table/);
    // A bad anomaly option is reported once, at its own path (not wrapped in the rule's error).
    failsAt(project(['  clean.orders:', '    - anomaly: { by: batch, sensitivity: high }']), 9, /^[^:]+:9: checks\.clean\.orders\[0\]\.anomaly\.sensitivity: must be a number$/);
  });
});
