import { applyLink, type MlpNode } from '@ade/sdk';
import type { Estimator, FittedModel, Link, Params, Rng, TrainSet } from '../estimator.js';
import { checkTrainSet } from './check-train-set.js';
import { logUniform, readChoice, readNumber } from './read-param.js';

type Activation = 'relu' | 'tanh';

/** One fully connected layer: `weights` is out × in, row-major. */
interface Layer {
  readonly inputs: number;
  readonly outputs: number;
  readonly weights: Float64Array;
  readonly bias: Float64Array;
}

/** Below this many rows no validation split is held out; training stops when the training loss stalls instead. */
const MIN_ROWS_FOR_VALIDATION = 20;

/**
 * A small multilayer perceptron: one or two hidden layers (relu or tanh), a
 * linear output layer feeding the link (identity for regression, logistic
 * with one output for binary classification, softmax for multiclass), trained
 * by Adam on shuffled mini-batches with an L2 penalty and early stopping on a
 * held-out validation split (the best epoch's weights are kept). Weights are
 * initialised Glorot-uniform from the fit's rng, so a seed gives one model.
 * Regression targets are standardised while training and the scale folded
 * back into the last layer.
 *
 * Parameters (defaults close to scikit-learn's `MLP*` with `early_stopping=True`):
 * `hidden1` (100), `hidden2` (0 = one hidden layer), `activation` (`relu`),
 * `alpha` (1e-4, L2 as scikit-learn: α‖W‖² / (2·batch) per batch),
 * `learningRate` (1e-3), `batchSize` (200), `maxEpochs` (200), `patience`
 * (10 epochs without the validation loss improving by `tol`, 1e-4), and
 * `validationFraction` (0.1).
 *
 * @example
 * const model = mlp.fit(data, { hidden1: 64, activation: 'tanh' }, seededRng(7), performance.now() + 10_000);
 * model.predict(x, n);
 */
export const mlp: Estimator = {
  family: 'mlp',
  wantsScaled: true,
  costRank: 5,
  defaults(): Params {
    return { hidden1: 100, hidden2: 0, activation: 'relu', alpha: 1e-4, learningRate: 1e-3, batchSize: 200 };
  },
  sample(_task, _n, _p, rng): Params {
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
    return {
      hidden1: pick([16, 32, 64, 128, 256]),
      hidden2: pick([0, 0, 16, 32, 64]),
      activation: pick(['relu', 'tanh']),
      alpha: Number(logUniform(rng.next, 1e-6, 1e-1).toPrecision(3)),
      learningRate: Number(logUniform(rng.next, 3e-4, 1e-2).toPrecision(3)),
      batchSize: pick([32, 64, 128, 256]),
    };
  },
  fit(data, params, rng, deadline) {
    const { outputs: classes, weights } = checkTrainSet(data, 'mlp');
    const config = {
      hidden1: readNumber(params, 'hidden1', 100, { min: 1, max: 4096, integer: true }, 'mlp'),
      hidden2: readNumber(params, 'hidden2', 0, { min: 0, max: 4096, integer: true }, 'mlp'),
      activation: readChoice(params, 'activation', ['relu', 'tanh'] as const, 'relu', 'mlp'),
      alpha: readNumber(params, 'alpha', 1e-4, { min: 0 }, 'mlp'),
      learningRate: readNumber(params, 'learningRate', 1e-3, { min: 1e-12, max: 10 }, 'mlp'),
      batchSize: readNumber(params, 'batchSize', 200, { min: 1, integer: true }, 'mlp'),
      maxEpochs: readNumber(params, 'maxEpochs', 200, { min: 1, integer: true }, 'mlp'),
      patience: readNumber(params, 'patience', 10, { min: 1, integer: true }, 'mlp'),
      tol: readNumber(params, 'tol', 1e-4, { min: 0 }, 'mlp'),
      validationFraction: readNumber(params, 'validationFraction', 0.1, { min: 0, max: 0.5 }, 'mlp'),
    };
    const link: Link = data.task === 'regression' ? 'identity' : classes === 2 ? 'logistic' : 'softmax';
    const outputs = link === 'softmax' ? classes : 1;
    const sizes = [data.p, config.hidden1, ...(config.hidden2 > 0 ? [config.hidden2] : []), outputs];
    const layers = train(data, weights, sizes, link, config, rng, deadline);
    return new MlpModel(layers, config.activation, link);
  },
};

class MlpModel implements FittedModel {
  constructor(
    private readonly layers: readonly Layer[],
    private readonly activation: Activation,
    private readonly link: Link,
  ) {}

  predict(x: Float64Array, n: number): Float64Array {
    const layers = this.layers;
    const p = layers[0]!.inputs;
    const k = layers[layers.length - 1]!.outputs;
    const raw = new Float64Array(n * k);
    const width = Math.max(...layers.map((l) => l.outputs));
    let a = new Float64Array(width);
    let b = new Float64Array(width);
    for (let i = 0; i < n; i++) {
      let input: Float64Array = x.subarray(i * p, (i + 1) * p);
      for (let l = 0; l < layers.length; l++) {
        const { inputs, outputs, weights, bias } = layers[l]!;
        const hidden = l < layers.length - 1;
        const out = hidden ? a : raw.subarray(i * k, (i + 1) * k);
        for (let o = 0; o < outputs; o++) {
          let s = bias[o]!;
          const w = o * inputs;
          for (let j = 0; j < inputs; j++) s += weights[w + j]! * input[j]!;
          out[o] = hidden ? activate(s, this.activation) : s;
        }
        if (hidden) {
          input = a;
          [a, b] = [b, a];
        }
      }
    }
    return applyLink(this.link, raw, n, k);
  }

  toNode(): MlpNode {
    return {
      kind: 'mlp',
      link: this.link,
      activation: this.activation,
      layers: this.layers.map((l) => ({ weights: Array.from(l.weights), bias: Array.from(l.bias), inputs: l.inputs, outputs: l.outputs })),
    };
  }
}

function activate(v: number, activation: Activation): number {
  return activation === 'relu' ? (v > 0 ? v : 0) : Math.tanh(v);
}

interface TrainConfig {
  readonly activation: Activation;
  readonly alpha: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly maxEpochs: number;
  readonly patience: number;
  readonly tol: number;
  readonly validationFraction: number;
}

function train(
  data: TrainSet,
  weights: Float64Array,
  sizes: readonly number[],
  link: Link,
  config: TrainConfig,
  rng: Rng,
  deadline?: number,
): Layer[] {
  const { x, n, p, y } = data;
  const outputs = sizes[sizes.length - 1]!;
  const depth = sizes.length - 1;

  // Targets: regression standardised (weighted), classes as indices.
  let yMean = 0;
  let yScale = 1;
  if (link === 'identity') {
    let sw = 0;
    for (let i = 0; i < n; i++) {
      sw += weights[i]!;
      yMean += weights[i]! * y[i]!;
    }
    yMean /= sw;
    let v = 0;
    for (let i = 0; i < n; i++) v += weights[i]! * (y[i]! - yMean) ** 2;
    const sd = Math.sqrt(v / sw);
    yScale = sd > 1e-12 * Math.max(1, Math.abs(yMean)) ? sd : 1;
  }
  const target = (i: number) => (link === 'identity' ? (y[i]! - yMean) / yScale : y[i]!);

  // Split: shuffle once, the last share is the validation set (rows of weight 0 dropped).
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (weights[i]! > 0) order.push(i);
  shuffle(order, rng);
  const nVal = order.length >= MIN_ROWS_FOR_VALIDATION ? Math.floor(order.length * config.validationFraction) : 0;
  const trainRows = order.slice(0, order.length - nVal);
  const valRows = order.slice(order.length - nVal);

  // Glorot-uniform initialisation, as scikit-learn.
  const layers: Layer[] = [];
  for (let l = 0; l < depth; l++) {
    const inputs = sizes[l]!;
    const outs = sizes[l + 1]!;
    const bound = Math.sqrt(6 / (inputs + outs));
    const w = new Float64Array(outs * inputs);
    const b = new Float64Array(outs);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.next() - 1) * bound;
    for (let i = 0; i < b.length; i++) b[i] = (2 * rng.next() - 1) * bound;
    layers.push({ inputs, outputs: outs, weights: w, bias: b });
  }
  const params = layers.flatMap((l) => [l.weights, l.bias]);
  const grads = params.map((a) => new Float64Array(a.length));
  const m1 = params.map((a) => new Float64Array(a.length));
  const m2 = params.map((a) => new Float64Array(a.length));
  const best = params.map((a) => a.slice());

  const batch = Math.max(1, Math.min(config.batchSize, trainRows.length));
  // Per-layer activations (z before, a after the activation) and deltas, batch × width.
  const acts = sizes.map((s) => new Float64Array(batch * s));
  const zs = sizes.map((s) => new Float64Array(batch * s));
  const deltas = sizes.map((s) => new Float64Array(batch * s));

  /** Forward pass over `rows` (≤ batch); returns the weighted loss sum. Leaves activations in `acts`/`zs`. */
  const forward = (rows: readonly number[], from: number, count: number): number => {
    const a0 = acts[0]!;
    for (let b = 0; b < count; b++) a0.set(x.subarray(rows[from + b]! * p, rows[from + b]! * p + p), b * p);
    for (let l = 0; l < depth; l++) {
      const { inputs, outputs: outs, weights: w, bias } = layers[l]!;
      const ain = acts[l]!;
      const z = zs[l + 1]!;
      const aout = acts[l + 1]!;
      denseForward(w, bias, inputs, outs, ain, z, count);
      if (l < depth - 1) for (let i = 0; i < count * outs; i++) aout[i] = activate(z[i]!, config.activation);
      else aout.set(z.subarray(0, count * outs));
    }
    // Loss and output deltas (d loss / d z_out, per row, unweighted).
    const zOut = zs[depth]!;
    const dOut = deltas[depth]!;
    let loss = 0;
    for (let b = 0; b < count; b++) {
      const row = rows[from + b]!;
      const wi = weights[row]!;
      const o = b * outputs;
      if (link === 'identity') {
        const r = zOut[o]! - target(row);
        loss += wi * 0.5 * r * r;
        dOut[o] = r;
      } else if (link === 'logistic') {
        const z = zOut[o]!;
        const t = y[row] === 1 ? 1 : 0;
        loss += wi * (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - t * z);
        dOut[o] = 1 / (1 + Math.exp(-z)) - t;
      } else {
        let max = -Infinity;
        for (let c = 0; c < outputs; c++) max = Math.max(max, zOut[o + c]!);
        let sum = 0;
        for (let c = 0; c < outputs; c++) sum += Math.exp(zOut[o + c]! - max);
        const cls = y[row]!;
        loss += wi * (Math.log(sum) + max - zOut[o + cls]!);
        for (let c = 0; c < outputs; c++) dOut[o + c] = Math.exp(zOut[o + c]! - max) / sum - (c === cls ? 1 : 0);
      }
    }
    return loss;
  };

  const evalLoss = (rows: readonly number[]): number => {
    let loss = 0;
    let sw = 0;
    for (let from = 0; from < rows.length; from += batch) {
      const count = Math.min(batch, rows.length - from);
      loss += forward(rows, from, count);
      for (let b = 0; b < count; b++) sw += weights[rows[from + b]!]!;
    }
    return sw > 0 ? loss / sw : 0;
  };

  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  let step = 0;
  let bestLoss = Infinity;
  let stale = 0;
  let timedOut = false;
  let anyBest = false;
  for (let epoch = 0; epoch < config.maxEpochs && !timedOut; epoch++) {
    shuffle(trainRows, rng);
    let epochLoss = 0;
    let epochWeight = 0;
    for (let from = 0; from < trainRows.length; from += batch) {
      const count = Math.min(batch, trainRows.length - from);
      epochLoss += forward(trainRows, from, count);
      let bw = 0;
      for (let b = 0; b < count; b++) bw += weights[trainRows[from + b]!]!;
      epochWeight += bw;
      // Scale output deltas by w_i / Σw (the mean loss over the batch).
      const dOut = deltas[depth]!;
      for (let b = 0; b < count; b++) {
        const s = weights[trainRows[from + b]!]! / bw;
        for (let c = 0; c < outputs; c++) dOut[b * outputs + c]! *= s;
      }
      for (const g of grads) g.fill(0);
      for (let l = depth - 1; l >= 0; l--) {
        const { inputs, outputs: outs, weights: w } = layers[l]!;
        const gw = grads[2 * l]!;
        const gb = grads[2 * l + 1]!;
        const d = deltas[l + 1]!;
        const ain = acts[l]!;
        weightGradient(gw, gb, d, ain, inputs, outs, count);
        if (l > 0) {
          // Delta of the previous hidden layer: (d · W) ⊙ activation'(z).
          const dPrev = deltas[l]!;
          const zPrev = zs[l]!;
          const aPrev = acts[l]!;
          backpropagate(dPrev, d, w, inputs, outs, count);
          if (config.activation === 'relu') {
            for (let i = 0; i < count * inputs; i++) if (!(zPrev[i]! > 0)) dPrev[i] = 0;
          } else {
            for (let i = 0; i < count * inputs; i++) dPrev[i]! *= 1 - aPrev[i]! * aPrev[i]!;
          }
        }
        if (config.alpha > 0) {
          const c = config.alpha / count;
          for (let i = 0; i < gw.length; i++) gw[i]! += c * w[i]!;
        }
      }
      // Adam.
      step++;
      const lr = (config.learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      for (let t = 0; t < params.length; t++) {
        const v = params[t]!;
        const g = grads[t]!;
        const a = m1[t]!;
        const s = m2[t]!;
        for (let i = 0; i < v.length; i++) {
          const gi = g[i]!;
          a[i] = beta1 * a[i]! + (1 - beta1) * gi;
          s[i] = beta2 * s[i]! + (1 - beta2) * gi * gi;
          v[i]! -= (lr * a[i]!) / (Math.sqrt(s[i]!) + eps);
        }
      }
      if (deadline !== undefined && performance.now() > deadline) {
        timedOut = true;
        break;
      }
    }
    const monitored = valRows.length > 0 ? evalLoss(valRows) : epochLoss / epochWeight;
    if (!Number.isFinite(monitored)) break;
    if (monitored < bestLoss - config.tol) stale = 0;
    else stale++;
    if (monitored < bestLoss) {
      bestLoss = monitored;
      anyBest = true;
      params.forEach((v, t) => best[t]!.set(v));
    }
    if (stale >= config.patience) break;
  }
  // Keep the best epoch's weights (the initial ones if no epoch finished).
  if (anyBest || !params.every((v) => v.every(Number.isFinite))) params.forEach((v, t) => v.set(best[t]!));

  if (link === 'identity') {
    const last = layers[depth - 1]!;
    for (let i = 0; i < last.weights.length; i++) last.weights[i]! *= yScale;
    last.bias[0] = last.bias[0]! * yScale + yMean;
  }
  return layers;
}

/**
 * z[b][o] = bias[o] + Σⱼ w[o][j] · a[b][j] for `count` rows, four outputs at a
 * time (training only: the order of the sum differs from `predict`'s, which
 * follows the scorer).
 */
function denseForward(w: Float64Array, bias: Float64Array, inputs: number, outs: number, a: Float64Array, z: Float64Array, count: number): void {
  for (let b = 0; b < count; b++) {
    const ib = b * inputs;
    const ob = b * outs;
    let o = 0;
    for (; o + 4 <= outs; o += 4) {
      const w0 = o * inputs;
      const w1 = w0 + inputs;
      const w2 = w1 + inputs;
      const w3 = w2 + inputs;
      let s0 = bias[o]!;
      let s1 = bias[o + 1]!;
      let s2 = bias[o + 2]!;
      let s3 = bias[o + 3]!;
      for (let j = 0; j < inputs; j++) {
        const v = a[ib + j]!;
        s0 += w[w0 + j]! * v;
        s1 += w[w1 + j]! * v;
        s2 += w[w2 + j]! * v;
        s3 += w[w3 + j]! * v;
      }
      z[ob + o] = s0;
      z[ob + o + 1] = s1;
      z[ob + o + 2] = s2;
      z[ob + o + 3] = s3;
    }
    for (; o < outs; o++) {
      const wo = o * inputs;
      let s = bias[o]!;
      for (let j = 0; j < inputs; j++) s += w[wo + j]! * a[ib + j]!;
      z[ob + o] = s;
    }
  }
}

/** gw[o][j] += Σ_b d[b][o] · a[b][j] and gb[o] += Σ_b d[b][o], four rows at a time. */
function weightGradient(gw: Float64Array, gb: Float64Array, d: Float64Array, a: Float64Array, inputs: number, outs: number, count: number): void {
  for (let o = 0; o < outs; o++) {
    const wo = o * inputs;
    let b = 0;
    for (; b + 4 <= count; b += 4) {
      const d0 = d[b * outs + o]!;
      const d1 = d[(b + 1) * outs + o]!;
      const d2 = d[(b + 2) * outs + o]!;
      const d3 = d[(b + 3) * outs + o]!;
      if (d0 === 0 && d1 === 0 && d2 === 0 && d3 === 0) continue;
      gb[o]! += d0 + d1 + d2 + d3;
      const a0 = b * inputs;
      const a1 = a0 + inputs;
      const a2 = a1 + inputs;
      const a3 = a2 + inputs;
      for (let j = 0; j < inputs; j++) gw[wo + j]! += d0 * a[a0 + j]! + d1 * a[a1 + j]! + d2 * a[a2 + j]! + d3 * a[a3 + j]!;
    }
    for (; b < count; b++) {
      const dv = d[b * outs + o]!;
      if (dv === 0) continue;
      gb[o]! += dv;
      const ab = b * inputs;
      for (let j = 0; j < inputs; j++) gw[wo + j]! += dv * a[ab + j]!;
    }
  }
}

/** dPrev[b][j] = Σₒ d[b][o] · w[o][j] (before the activation's derivative), four outputs at a time. */
function backpropagate(dPrev: Float64Array, d: Float64Array, w: Float64Array, inputs: number, outs: number, count: number): void {
  dPrev.fill(0, 0, count * inputs);
  for (let b = 0; b < count; b++) {
    const ib = b * inputs;
    const ob = b * outs;
    let o = 0;
    for (; o + 4 <= outs; o += 4) {
      const d0 = d[ob + o]!;
      const d1 = d[ob + o + 1]!;
      const d2 = d[ob + o + 2]!;
      const d3 = d[ob + o + 3]!;
      if (d0 === 0 && d1 === 0 && d2 === 0 && d3 === 0) continue;
      const w0 = o * inputs;
      const w1 = w0 + inputs;
      const w2 = w1 + inputs;
      const w3 = w2 + inputs;
      for (let j = 0; j < inputs; j++) dPrev[ib + j]! += d0 * w[w0 + j]! + d1 * w[w1 + j]! + d2 * w[w2 + j]! + d3 * w[w3 + j]!;
    }
    for (; o < outs; o++) {
      const dv = d[ob + o]!;
      if (dv === 0) continue;
      const wo = o * inputs;
      for (let j = 0; j < inputs; j++) dPrev[ib + j]! += dv * w[wo + j]!;
    }
  }
}

function shuffle<T>(a: T[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
