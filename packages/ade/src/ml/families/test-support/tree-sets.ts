import assert from 'node:assert/strict';
import { type ModelNode, scoreNode } from '@ade/sdk';
import type { FittedModel, Rng, TrainSet } from '../../estimator.js';

/** Data sets with known structure for the tree families' tests (features uniform in [-1, 1)). */

function uniform(rng: Rng, n: number, p: number): Float64Array {
  const x = new Float64Array(n * p);
  for (let i = 0; i < x.length; i++) x[i] = rng.next() * 2 - 1;
  return x;
}

/** Class 1 when the first two features have different signs (XOR), other features noise. */
export function xorSet(rng: Rng, n: number, p = 4): TrainSet {
  const x = uniform(rng, n, p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = x[i * p]! > 0 !== x[i * p + 1]! > 0 ? 1 : 0;
  return { x, y, n, p, task: 'classification', classes: 2 };
}

/** Three classes by the first feature's third of the range ([-1, -⅓), [-⅓, ⅓), [⅓, 1)); other features noise. */
export function bandsSet(rng: Rng, n: number, p = 3): TrainSet {
  const x = uniform(rng, n, p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i * p]!;
    y[i] = v < -1 / 3 ? 0 : v < 1 / 3 ? 1 : 2;
  }
  return { x, y, n, p, task: 'classification', classes: 3 };
}

/** y = 10 when x₀ > 0.25 else 0 (a step), plus `noise` × uniform noise; other features noise. */
export function stepSet(rng: Rng, n: number, p = 3, noise = 0): TrainSet {
  const x = uniform(rng, n, p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = (x[i * p]! > 0.25 ? 10 : 0) + noise * (rng.next() - 0.5);
  return { x, y, n, p, task: 'regression' };
}

/** y = 3x₀ − 2x₁ + x₂ + uniform noise of width `noise`; features beyond the third are noise. */
export function linearSet(rng: Rng, n: number, p = 5, noise = 0.5): TrainSet {
  const x = uniform(rng, n, p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = 3 * x[i * p]! - 2 * x[i * p + 1]! + x[i * p + 2]! + noise * (rng.next() - 0.5);
  return { x, y, n, p, task: 'regression' };
}

/** The share of rows whose most probable class is their label. */
export function accuracy(prob: Float64Array, y: Float64Array, k: number): number {
  let hits = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (prob[i * k + c]! > prob[i * k + best]!) best = c;
    if (best === y[i]) hits++;
  }
  return hits / y.length;
}

export function r2(pred: Float64Array, y: Float64Array): number {
  let mean = 0;
  for (const v of y) mean += v / y.length;
  let ss = 0;
  let st = 0;
  for (let i = 0; i < y.length; i++) {
    ss += (pred[i]! - y[i]!) ** 2;
    st += (y[i]! - mean) ** 2;
  }
  return 1 - ss / st;
}

/** Asserts that the SDK's `scoreNode` on `toNode()` (after a JSON round trip) equals `predict` bit for bit. */
export function assertScoresExactly(model: FittedModel, data: { readonly x: Float64Array; readonly n: number; readonly p: number }): void {
  const node = JSON.parse(JSON.stringify(model.toNode())) as ModelNode;
  const expected = model.predict(data.x, data.n);
  const actual = scoreNode(node, data.x, data.n, data.p);
  assert.equal(actual.length, expected.length, 'prediction count');
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`prediction ${i}: scoreNode ${actual[i]} vs predict ${expected[i]}`);
  }
}
