import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseSources, sourceTimeColumns } from '../ingest/index.js';
import { formatTableRef } from '../kernel/index.js';
import { ModelGraph, parseSqlModel } from '../models/index.js';
import { DEMO_MODELS } from './demo-models.js';
import { DEMO_SOURCES_YAML } from './questions.js';

const fail = (path: string, message: string): never => {
  throw new Error(`${path}: ${message}`);
};
const sources = parseSources((parse(DEMO_SOURCES_YAML) as { sources: unknown }).sources, fail);
const models = DEMO_MODELS.map((m) => parseSqlModel(m.sql, join('/demo', m.path), '/demo'));
const byTable = new Map(models.map((m) => [formatTableRef(m.table), m]));

describe('the demo models', () => {
  it('should parse, each file building the table it is listed for, and form a graph over the demo sources', () => {
    for (const m of DEMO_MODELS) assert.equal(formatTableRef(byTable.get(m.table)!.table), m.table, m.path);
    const graph = new ModelGraph(models, new Set(sources.map((s) => `clean.${s.name}`)));
    assert.deepEqual(graph.layers.at(-1), ['report.customer_360']);
  });

  it('should declare the kinds the demo documents', () => {
    const kinds = Object.fromEntries(models.map((m) => [formatTableRef(m.table), m.kind]));
    assert.deepEqual(kinds, {
      'model.account_current': 'current',
      'model.customer_d': 'dimension',
      'model.product_d': 'dimension',
      'model.order_f': 'fact',
      'model.order_item_f': 'fact',
      'model.event_f': 'fact',
      'model.session_day_d': 'day',
      'report.daily_product_revenue': 'report',
      'report.customer_360': 'report',
    });
  });

  it('should give facts one input and no lookups, so that a new batch never rebuilds a whole fact', () => {
    for (const m of models.filter((x) => x.kind === 'fact')) {
      assert.equal(m.inputs.length, 1, m.file);
      assert.ok(m.time, `${m.file} has a time column`);
    }
  });

  it('should read every input of the day model one day at a time', () => {
    const day = byTable.get('model.session_day_d')!;
    const timeColumns = sourceTimeColumns(sources);
    for (const m of models) if (m.time) timeColumns.set(formatTableRef(m.table), m.time);
    for (const input of day.inputs) assert.ok(timeColumns.has(formatTableRef(input)), formatTableRef(input));
  });
});
