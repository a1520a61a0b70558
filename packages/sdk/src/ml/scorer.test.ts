import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AdeSdkError } from '../errors.js';
import type { ModelArtifact } from './artifact.js';
import { fetchScorer, Scorer } from './scorer.js';

/** Order value = 100 + 10·(seats − 10)/5 − 20·[plan = free] + 30·[plan = pro]; missing seats → 1. */
const regressor: ModelArtifact = {
  format: 'ade.model/v1',
  task: 'regression',
  target: 'order_value',
  inputs: [
    { name: 'seats', type: 'BIGINT' },
    { name: 'plan', type: 'VARCHAR' },
  ],
  features: [
    { kind: 'numeric', column: 'seats', impute: 1, center: 10, scale: 5 },
    { kind: 'categorical', column: 'plan', categories: ['free', 'pro'] },
  ],
  featureCount: 3,
  model: { kind: 'linear', link: 'identity', intercept: [100], coef: [[10, -20, 30]] },
};

/**
 * Three classes: an ensemble of a softmax linear model giving [1/8, 2/8, 5/8]
 * when `hour` is 0, and a forest splitting on signup hour (≤ 12 → all class a).
 */
const classifier: ModelArtifact = {
  format: 'ade.model/v1',
  task: 'classification',
  target: 'segment',
  classes: ['a', 'b', 'c'],
  inputs: [{ name: 'signed_up', type: 'TIMESTAMP' }],
  features: [{ kind: 'datetime', column: 'signed_up', parts: [{ part: 'hour', impute: 0, center: 0, scale: 1 }] }],
  featureCount: 1,
  model: {
    kind: 'ensemble',
    link: 'probabilities',
    members: [
      { weight: 1, model: { kind: 'linear', link: 'softmax', intercept: [0, Math.log(2), Math.log(5)], coef: [[0], [0], [0]] } },
      {
        weight: 3,
        model: {
          kind: 'trees',
          link: 'probabilities',
          aggregate: 'mean',
          base: [0, 0, 0],
          trees: [{ feature: [0, -1, -1], threshold: [12, 0, 0], left: [1, -1, -1], right: [2, -1, -1], missingLeft: [false, false, false], value: [[], [1, 0, 0], [0, 0, 1]] }],
        },
      },
    ],
  },
};

describe('Scorer', () => {
  it('should predict a value for a regression row', () => {
    const scorer = Scorer.load(regressor);
    assert.equal(scorer.task, 'regression');
    assert.deepEqual(scorer.classes, []);
    assert.deepEqual(scorer.inputs, regressor.inputs);
    assert.deepEqual(scorer.predict({ seats: 20, plan: 'pro' }), { value: 150 }); // 100 + 10·2 + 30
    assert.deepEqual(scorer.predict({}), { value: 82 }); // 100 + 10·(1 − 10)/5
    assert.deepEqual(scorer.predict({ seats: '15', plan: 'free' }), { value: 90 });
  });

  it('should predict a label and every class probability', () => {
    const scorer = Scorer.load(classifier);
    assert.deepEqual(scorer.classes, ['a', 'b', 'c']);
    const p = scorer.predict({ signed_up: '2024-03-05T18:00:00Z' }); // (1·[1/8, 2/8, 5/8] + 3·[0, 0, 1]) / 4
    assert.ok('label' in p);
    assert.equal(p.label, 'c');
    assert.deepEqual(Object.keys(p.probabilities), ['a', 'b', 'c']);
    const expected = [1 / 32, 2 / 32, 29 / 32];
    expected.forEach((e, i) => assert.ok(Math.abs(p.probabilities['abc'[i]!]! - e) < 1e-15));
    const q = scorer.predict({ signed_up: new Date(Date.UTC(2024, 2, 5, 9)) }); // (1·[1/8, 2/8, 5/8] + 3·[1, 0, 0]) / 4
    assert.ok('label' in q && q.label === 'a');
  });

  it('should break a probability tie by class order', () => {
    const tie: ModelArtifact = { ...regressor, task: 'classification', classes: ['no', 'yes'], model: { kind: 'linear', link: 'logistic', intercept: [0], coef: [[0, 0, 0]] } };
    assert.deepEqual(Scorer.load(tie).predict({}), { label: 'no', probabilities: { no: 0.5, yes: 0.5 } });
  });

  it('should give predictMany and scoreRows the same answers as predict, row by row', () => {
    const scorer = Scorer.load(classifier);
    const rows = Array.from({ length: 50 }, (_, i) => ({ signed_up: i % 7 === 0 ? null : `2024-03-05T${String(i % 24).padStart(2, '0')}:00:00Z` }));
    assert.deepEqual(scorer.predictMany(rows), rows.map((r) => scorer.predict(r)));
    const raw = scorer.scoreRows(rows);
    assert.equal(raw.length, 150);
    rows.forEach((r, i) => {
      const p = scorer.predict(r) as { probabilities: Record<string, number> };
      assert.deepEqual([raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]], [p.probabilities['a'], p.probabilities['b'], p.probabilities['c']]);
    });
    assert.deepEqual(scorer.predictMany([]), []);
  });

  it('should load artifact text, and refuse invalid artifacts with the path', () => {
    assert.deepEqual(Scorer.load(JSON.stringify(regressor)).predict({ seats: 20, plan: 'pro' }), { value: 150 });
    assert.throws(() => Scorer.load('{"format":'), (e: unknown) => e instanceof AdeSdkError && e.code === 'model.invalid' && e.message.startsWith('(artifact): not JSON'));
    assert.throws(() => Scorer.load({ ...regressor, featureCount: 2 }), /featureCount: is 2 but the feature steps make 3 slots/);
  });

  it('should keep a label named __proto__ as a plain key', () => {
    const odd: ModelArtifact = { ...regressor, task: 'classification', classes: ['__proto__', 'x'], model: { kind: 'linear', link: 'logistic', intercept: [1], coef: [[0, 0, 0]] } };
    const p = Scorer.load(odd).predict({}) as { label: string; probabilities: Record<string, number> };
    assert.equal(p.label, 'x');
    assert.ok(Object.hasOwn(p.probabilities, '__proto__'));
  });
});

describe('fetchScorer', () => {
  let server: Server;
  let base: string;
  const seen: { url: string | undefined; auth: string | undefined }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      if (req.url === '/v1/models/order_value@champion/artifact') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(regressor));
      } else if (req.url === '/busy') {
        res.writeHead(503).end('try later');
      } else if (req.url === '/garbage') {
        res.writeHead(200).end('<html>');
      } else {
        res.writeHead(404).end('{"error":"model.not_found"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('should load the artifact the server returns, with the given headers', async () => {
    const scorer = await fetchScorer(`${base}/v1/models/order_value@champion/artifact`, { headers: { authorization: 'Bearer t' } });
    assert.deepEqual(scorer.predict({ seats: 20, plan: 'pro' }), { value: 150 });
    assert.deepEqual(seen.at(-1), { url: '/v1/models/order_value@champion/artifact', auth: 'Bearer t' });
  });

  it('should say whether retrying can help', async () => {
    await assert.rejects(fetchScorer(`${base}/v1/models/nope/artifact`), (e: unknown) => e instanceof AdeSdkError && e.code === 'model.fetch' && !e.retryable && e.details['status'] === 404);
    await assert.rejects(fetchScorer(`${base}/busy`), (e: unknown) => e instanceof AdeSdkError && e.code === 'model.fetch' && e.retryable);
    await assert.rejects(fetchScorer(`${base}/garbage`), (e: unknown) => e instanceof AdeSdkError && e.code === 'model.invalid');
  });

  it('should report a network failure as retryable, through the fetch given', async () => {
    const failing = async () => {
      throw new TypeError('fetch failed');
    };
    await assert.rejects(fetchScorer('http://ade.invalid/x', { fetch: failing }), (e: unknown) => e instanceof AdeSdkError && e.code === 'model.fetch' && e.retryable);
  });
});
