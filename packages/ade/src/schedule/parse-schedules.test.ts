import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSources } from '../ingest/parse-sources.js';
import { parseSchedules, parseTriggers } from './parse-schedules.js';

class Failed extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}
const fail = (path: string, message: string): never => {
  throw new Failed(path, message);
};
const sources = parseSources({ orders: { format: 'csv', location: 'landing/*.csv' }, pushed: { format: 'ndjson' } }, fail);
const refused = (raw: unknown, path: string, message: RegExp) =>
  assert.throws(() => parseSchedules(raw, sources, fail), (e: unknown) => e instanceof Failed && e.path === path && message.test(e.message));

describe('parseSchedules', () => {
  it('should read builds and ingests, with UTC and every model by default', () => {
    assert.deepEqual(
      parseSchedules(
        [
          { name: 'hourly', cron: '0 * * * *', run: { select: ['model.order_f+', 'report.*'], full_refresh: true } },
          { name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', run: null },
          { name: 'pull', cron: '*/30 * * * * *', ingest: 'orders' },
          { name: 'single', cron: '@daily', run: { select: 'report.revenue' } },
        ],
        sources,
        fail,
      ),
      [
        { name: 'hourly', cron: '0 * * * *', timezone: 'UTC', action: { kind: 'run', select: ['model.order_f+', 'report.*'], fullRefresh: true } },
        { name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', action: { kind: 'run', fullRefresh: false } },
        { name: 'pull', cron: '*/30 * * * * *', timezone: 'UTC', action: { kind: 'ingest', source: 'orders' } },
        { name: 'single', cron: '@daily', timezone: 'UTC', action: { kind: 'run', select: ['report.revenue'], fullRefresh: false } },
      ],
    );
    assert.deepEqual(parseSchedules(undefined, sources, fail), []);
  });

  it('should refuse bad cron patterns and time zones when the project loads, at the key that is wrong', () => {
    refused([{ name: 'a', cron: '61 * * * *', run: {} }], 'schedules.0.cron', /Invalid value for minute: 61/);
    refused([{ name: 'a', cron: 'every hour', run: {} }], 'schedules.0.cron', /five, six/);
    refused([{ name: 'a', cron: '0 0 * * * * 2030', run: {} }], 'schedules.0.cron', /5 or 6 parts/);
    refused([{ name: 'a', cron: '0 * * * *', timezone: 'Mars/Base', run: {} }], 'schedules.0.timezone', /unknown time zone "Mars\/Base"/);
    refused([{ name: 'a', run: {} }], 'schedules.0.cron', /is required/);
  });

  it('should refuse schedules that say too little or too much', () => {
    refused({ a: 1 }, 'schedules', /must be a list/);
    refused([{ name: 'a', cron: '0 * * * *' }], 'schedules.0', /exactly one of run: and ingest:/);
    refused([{ name: 'a', cron: '0 * * * *', run: {}, ingest: 'orders' }], 'schedules.0', /exactly one of run: and ingest:/);
    refused([{ name: 'a', cron: '0 * * * *', ingest: 'nope' }], 'schedules.0.ingest', /"nope" is no source/);
    refused([{ name: 'a', cron: '0 * * * *', ingest: 'pushed' }], 'schedules.0.ingest', /has no location/);
    refused([{ name: 'a', cron: '0 * * * *', run: { selet: [] } }], 'schedules.0.run.selet', /unknown key/);
    refused([{ name: 'a', cron: '0 * * * *', run: { select: ['orders'] } }], 'schedules.0.run.select', /model patterns/);
    refused([{ name: 'a', cron: '0 * * * *', run: {}, every: 'hour' }], 'schedules.0.every', /unknown key/);
    refused([{ name: 'Bad Name', cron: '0 * * * *', run: {} }], 'schedules.0.name', /not a valid name/);
    refused(
      [
        { name: 'a', cron: '0 * * * *', run: {} },
        { name: 'a', cron: '0 1 * * *', run: {} },
      ],
      'schedules.1.name',
      /another schedule is named a/,
    );
  });
});

describe('parseTriggers', () => {
  it('should default to building on commit after 2 s, polling every 5 s', () => {
    assert.deepEqual(parseTriggers(undefined, fail), { onCommit: true, debounceMs: 2000, pollMs: 5000 });
    assert.deepEqual(parseTriggers({ on_commit: false, debounce: '500ms', poll: '0s' }, fail), { onCommit: false, debounceMs: 500, pollMs: 0 });
  });

  it('should refuse unknown keys and values', () => {
    assert.throws(() => parseTriggers({ on_comit: true }, fail), (e: unknown) => e instanceof Failed && e.path === 'triggers.on_comit');
    assert.throws(() => parseTriggers({ on_commit: 'yes' }, fail), (e: unknown) => e instanceof Failed && e.path === 'triggers.on_commit');
    assert.throws(() => parseTriggers({ debounce: 'soon' }, fail), (e: unknown) => e instanceof Failed && e.path === 'triggers.debounce');
  });
});
