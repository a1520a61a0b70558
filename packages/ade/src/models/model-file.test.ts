import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError, parseSqlModel } from './model-file.js';
import { ModelGraph } from './model-graph.js';
import { surrogateKeySql } from './surrogate-key.js';

const at = (zone: string, name: string) => `/p/models/${zone}/${name}.sql`;

describe('parseSqlModel', () => {
  it("should expand sk('zone.table', key…) into the dimension's surrogate key, nested calls and commas included", () => {
    const m = parseSqlModel(
      "/*\nkind: fact\n*/\nSELECT sk('model.customer_d', coalesce(o.customer_id, 0)) AS customer_sk, sk('model.line_d', o.order_id, lower('A,B')) AS line_sk FROM ref('clean.orders') o",
      at('model', 'order_f'),
      '/p',
    );
    assert.ok(!/\bsk\(/.test(m.sql));
    assert.ok(m.sql.includes(surrogateKeySql('model.customer_d', ['(coalesce(o.customer_id, 0))'])));
    assert.ok(m.sql.includes(surrogateKeySql('model.line_d', ['(o.order_id)', "(lower('A,B'))"])));
    assert.deepEqual(m.inputs, [{ zone: 'clean', name: 'orders' }]);
    assert.throws(() => parseSqlModel("SELECT sk('customer_d', id) FROM ref('clean.x')", at('model', 'f'), '/p'), /does not name a dimension as zone\.table/);
    assert.throws(() => parseSqlModel("SELECT sk('model.customer_d', id FROM ref('clean.x')", at('model', 'f'), '/p'), /closing parenthesis/);
  });

  it('should want a time column (the change position) for a current model', () => {
    assert.throws(() => parseSqlModel("/*\nkind: current\nkey: id\n*/\nSELECT * FROM ref('clean.changes')", at('model', 'c'), '/p'), /needs a time column/);
  });

  it('should read the header, the refs and a code version', () => {
    const m = parseSqlModel(
      `/*
kind: dimension
key: customer_id
description: One row per customer.
columns:
  customer_sk: surrogate key
*/
-- ref('clean.ignored') in a comment is not an input
SELECT c.customer_id, 'ref(''x.y'')' AS s, o.n
FROM ref('clean.customers') c
LEFT JOIN (SELECT customer_id, count(*) AS n FROM ref("clean.orders") GROUP BY 1) o USING (customer_id);
`,
      at('model', 'customer_d'),
      '/p',
    );
    assert.deepEqual(m.table, { zone: 'model', name: 'customer_d' });
    assert.equal(m.file, 'models/model/customer_d.sql');
    assert.equal(m.kind, 'dimension');
    assert.deepEqual(m.key, ['customer_id']);
    assert.deepEqual(m.columns, { customer_sk: 'surrogate key' });
    assert.deepEqual(m.inputs, [{ zone: 'clean', name: 'customers' }, { zone: 'clean', name: 'orders' }]);
    assert.match(m.sql, /FROM "clean"\."customers" c/);
    assert.match(m.sql, /FROM "clean"\."orders" GROUP BY 1/);
    assert.match(m.sql, /'ref\(''x\.y''\)' AS s/);
    assert.ok(!m.sql.endsWith(';'));
    assert.match(m.codeVersion, /^sha256:[0-9a-f]{64}$/);
    const edited = parseSqlModel('SELECT 1 AS x FROM ref(\'clean.customers\')', at('report', 'r'), '/p');
    assert.equal(edited.kind, 'report');
    assert.notEqual(edited.codeVersion, m.codeVersion);
  });

  it('should refuse bad models with the file and line', () => {
    const bad = (text: string, file = at('model', 'x_d')) => assert.throws(() => parseSqlModel(text, file, '/p'), ModelError);
    bad('/*\nkind: dimension\n*/\nSELECT 1');
    bad('/*\nkind: nope\n*/\nSELECT 1');
    bad('/*\nkind: day\n*/\nSELECT 1');
    bad('/*\nkindd: report\n*/\nSELECT 1');
    bad("SELECT * FROM ref('orders')");
    bad('DELETE FROM x');
    bad('SELECT 1', at('clean', 'x'));
    bad("SELECT * FROM ref('model.x_d')");
    assert.throws(() => parseSqlModel('/*\nkind: [\n*/\nSELECT 1', at('model', 'y'), '/p'), /models\/model\/y\.sql:\d+: the header is not valid YAML/);
    assert.throws(() => parseSqlModel("\n\nSELECT *\nFROM ref('nozone')", at('model', 'y'), '/p'), /y\.sql:4: ref\("nozone"\)/);
  });
});

describe('ModelGraph', () => {
  const model = (zone: string, name: string, ...inputs: string[]) =>
    parseSqlModel(`SELECT 1 AS x ${inputs.map((i, k) => `${k ? ',' : 'FROM'} ref('${i}')`).join(' ')}`, at(zone, name), '/p');
  const sources = new Set(['clean.customers', 'clean.orders', 'clean.events']);

  it('should order models in layers and answer lineage both ways', () => {
    const g = new ModelGraph(
      [
        model('report', 'revenue_daily', 'model.order_f', 'model.customer_d'),
        model('model', 'customer_d', 'clean.customers'),
        model('model', 'order_f', 'clean.orders', 'model.customer_d'),
        model('model', 'session_day_d', 'clean.events'),
      ],
      sources,
    );
    assert.deepEqual(g.layers, [['model.customer_d', 'model.session_day_d'], ['model.order_f'], ['report.revenue_daily']]);
    assert.deepEqual(g.upstream('report.revenue_daily'), ['model.order_f', 'model.customer_d', 'clean.orders', 'clean.customers']);
    assert.deepEqual(g.downstream('clean.customers'), ['model.customer_d', 'model.order_f', 'report.revenue_daily']);
    assert.deepEqual(g.select('model.*_d'), ['model.customer_d', 'model.session_day_d']);
    assert.deepEqual(g.select('model.customer_d', true), ['model.customer_d', 'model.order_f', 'report.revenue_daily']);
  });

  it('should refuse unknown inputs, two files for one table, and cycles (naming the cycle)', () => {
    assert.throws(() => new ModelGraph([model('model', 'a', 'clean.nope')], sources), /ref\('clean\.nope'\) names no model and no table/);
    assert.throws(() => new ModelGraph([model('model', 'a'), model('model', 'a')], sources), /also built by/);
    assert.throws(
      () => new ModelGraph([model('model', 'a', 'model.c'), model('model', 'b', 'model.a'), model('model', 'c', 'model.b'), model('model', 'd')], sources),
      /cycle: model\.a → model\.c → model\.b → model\.a/,
    );
  });
});
