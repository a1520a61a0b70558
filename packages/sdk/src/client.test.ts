import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AdeClient, AdeSdkError, exposureMessageId, type AdeClientOptions, type Experiment, type TrackEvent } from './index.js';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: { batch: TrackEvent[]; sentAt: string };
  readonly at: number;
}
interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** A real HTTP collector on 127.0.0.1: records every request and answers from `replies` in order, then 200. */
class FakeCollector {
  readonly received: Received[] = [];
  replies: Reply[] = [];
  readonly #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text), at: Date.now() });
        const reply = this.replies.shift() ?? { status: 200, body: { success: true } };
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(JSON.stringify(reply.body ?? {}));
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  events(): TrackEvent[] {
    return this.received.flatMap((r) => r.body.batch);
  }
}

const checkout: Experiment = {
  key: 'checkout_button',
  status: 'running',
  variants: [{ name: 'control' }, { name: 'green' }],
  forcedVariations: { 'qa-1': 'green' },
};

describe('AdeClient', () => {
  const collector = new FakeCollector();
  let errors: AdeSdkError[] = [];
  const client = (options: Partial<AdeClientOptions> = {}) =>
    new AdeClient({ url: collector.url, writeKey: 'wk_test', retryBaseMs: 10, onError: (e) => errors.push(e), ...options });

  before(() => collector.start());
  after(() => collector.stop());
  beforeEach(() => {
    collector.received.length = 0;
    collector.replies = [];
    errors = [];
  });

  it('should send tracked events in batches of flushAt to /v1/batch with the write key as basic-auth user', async () => {
    const ade = client({ flushAt: 5, flushIntervalMs: 60_000 });
    for (let i = 0; i < 12; i++) ade.track('Order Completed', { total: i }, { userId: `u${i}` });
    await ade.close();
    assert.deepEqual(collector.received.map((r) => r.body.batch.length), [5, 5, 2]);
    for (const r of collector.received) {
      assert.equal(r.path, '/v1/batch');
      assert.equal(r.headers.authorization, `Basic ${Buffer.from('wk_test:').toString('base64')}`);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.ok(!Number.isNaN(Date.parse(r.body.sentAt)));
    }
    const events = collector.events();
    assert.deepEqual(events.map((e) => e.properties.total), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.equal(new Set(events.map((e) => e.messageId)).size, 12, 'random message ids');
    assert.deepEqual({ ...events[0], messageId: '', timestamp: '' }, {
      type: 'track',
      event: 'Order Completed',
      userId: 'u0',
      properties: { total: 0 },
      messageId: '',
      timestamp: '',
      context: { library: { name: '@ade/sdk', version: '0.1.0' } },
    });
    assert.deepEqual(errors, []);
  });

  it('should send what waits after flushIntervalMs without a flush call', async () => {
    const ade = client({ flushAt: 100, flushIntervalMs: 50 });
    ade.track('Signed Up', {}, { anonymousId: 'a1' });
    await waitFor(() => collector.received.length === 1);
    assert.equal(collector.events()[0]!.anonymousId, 'a1');
    await ade.close();
  });

  it('should log one exposure per (experiment, unit, variant), with a deterministic messageId, and none for forced or stopped', async () => {
    const ade = client({ flushAt: 100 });
    for (let i = 0; i < 10; i++) ade.getVariant(checkout, 'user-1');
    const second = ade.getVariant(checkout, 'user-2', {}, { unitIdentity: 'anonymousId' });
    assert.equal(ade.getVariant(checkout, 'qa-1').reason, 'forced');
    assert.equal(ade.getVariant({ ...checkout, status: 'stopped' }, 'user-3').reason, 'not_running');
    await ade.close();
    const events = collector.events();
    assert.equal(events.length, 2);
    const [first, other] = events as [TrackEvent, TrackEvent];
    const a = ade.getVariant(checkout, 'user-1');
    assert.equal(first.event, 'Experiment Viewed');
    assert.equal(first.userId, 'user-1');
    assert.deepEqual(first.properties, { experiment_key: 'checkout_button', variation_id: a.variant, variation_index: a.variationIndex, hash_value: a.hashValue });
    assert.equal(first.messageId, exposureMessageId('checkout_button', 'user-1', a.variant));
    assert.equal(other.anonymousId, 'user-2');
    assert.equal(other.userId, undefined);
    assert.equal(other.properties.variation_id, second.variant);

    // Another client (another device, a reload) sends the same exposure with the same messageId: the collector keeps one.
    collector.received.length = 0;
    const again = client();
    again.getVariant(checkout, 'user-1');
    await again.close();
    assert.equal(collector.events()[0]!.messageId, first.messageId);
  });

  it('should retry a 429 after the Retry-After it names, then deliver the same events', async () => {
    collector.replies = [{ status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'buffer full' } } }];
    const ade = client();
    ade.track('Paid', {}, { userId: 'u1' });
    await ade.close();
    assert.equal(collector.received.length, 2);
    const [first, second] = collector.received as [Received, Received];
    assert.ok(second.at - first.at >= 950, `waited ${second.at - first.at} ms`);
    assert.deepEqual(second.body.batch, first.body.batch);
    assert.deepEqual(errors, []);
  });

  it('should retry a 500 with backoff', async () => {
    collector.replies = [{ status: 500 }, { status: 503 }];
    const ade = client();
    ade.track('Paid', {}, { userId: 'u1' });
    await ade.close();
    assert.equal(collector.received.length, 3);
    assert.deepEqual(errors, []);
  });

  it('should not retry a 400, and report the dropped events with the collector message to onError', async () => {
    collector.replies = [{ status: 400, body: { error: { code: 'validation.event', message: 'batch[0].event: is required' } } }];
    const ade = client();
    ade.track('Paid', {}, { userId: 'u1' });
    await ade.close();
    assert.equal(collector.received.length, 1);
    assert.equal(errors.length, 1);
    const e = errors[0]!;
    assert.equal(e.code, 'delivery.rejected');
    assert.equal(e.retryable, false);
    assert.equal(e.details.status, 400);
    assert.deepEqual(e.details.messageIds, [collector.events()[0]!.messageId]);
    assert.match(e.message, /batch\[0\]\.event: is required/);
  });

  it('should not retry a 401 and say the write key is wrong', async () => {
    collector.replies = [{ status: 401 }];
    const ade = client();
    ade.track('Paid', {}, { userId: 'u1' });
    await ade.close();
    assert.equal(collector.received.length, 1);
    assert.equal(errors[0]?.code, 'delivery.unauthorized');
    assert.match(errors[0]!.hint!, /write key/);
  });

  it('should give up after maxRetries and report a retryable failure', async () => {
    collector.replies = Array.from({ length: 5 }, () => ({ status: 503 }));
    const ade = client({ maxRetries: 2 });
    ade.track('Paid', {}, { userId: 'u1' });
    await ade.close();
    assert.equal(collector.received.length, 3);
    assert.equal(errors[0]?.code, 'delivery.failed');
    assert.equal(errors[0]?.retryable, true);
  });

  it('should retry network errors', async () => {
    const closed = new FakeCollector();
    await closed.start();
    await closed.stop(); // nothing listens there now
    const ade = client({ url: closed.url, maxRetries: 2, retryBaseMs: 5 });
    ade.track('Paid', {}, { userId: 'u1' });
    await ade.close();
    assert.equal(errors[0]?.code, 'delivery.failed');
    assert.match(errors[0]!.message, /after 3 attempts \(network error/);
  });

  it('should refuse events it cannot send, without sending them', async () => {
    const ade = client();
    ade.track('No One', {}, {});
    ade.track('Huge', { blob: 'x'.repeat(40_000) }, { userId: 'u1' });
    await ade.close();
    ade.track('Late', {}, { userId: 'u1' });
    assert.deepEqual(errors.map((e) => e.code), ['event.invalid', 'event.invalid', 'client.closed']);
    assert.equal(collector.received.length, 0);
  });

  it('should refuse unusable options with the field', () => {
    assert.throws(() => new AdeClient({ url: 'ftp://x', writeKey: 'k' }), (e: unknown) => e instanceof AdeSdkError && e.code === 'client.config' && e.details.field === 'url');
    assert.throws(() => new AdeClient({ url: 'http://x', writeKey: '' }), /writeKey/);
    assert.throws(() => new AdeClient({ url: 'http://x', writeKey: 'k', flushAt: 0 }), /flushAt/);
  });
});

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
