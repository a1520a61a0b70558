import type { MlpNode } from './artifact.js';
import type { RawScorer } from './raw-scorer.js';

/**
 * Compiles an MLP node. Per row, layer by layer: `h'[o] = bias[o] +
 * Σᵢ weights[o·in + i] · h[i]` (summed in input order from the bias), then
 * the activation on every hidden layer (`relu`: `v > 0 ? v : 0`; `tanh`:
 * `Math.tanh`); the last layer's outputs are the raw values.
 *
 * @example
 * compileMlp(node, featureCount).raw(x, n); // n × last layer's outputs
 */
export function compileMlp(node: MlpNode, featureCount: number): RawScorer {
  const layers = node.layers.map((l) => ({ inputs: l.inputs, outputs: l.outputs, weights: Float64Array.from(l.weights), bias: Float64Array.from(l.bias) }));
  const last = layers.length - 1;
  const k = layers[last]!.outputs;
  const widest = Math.max(...layers.map((l) => l.outputs));
  const relu = node.activation === 'relu';
  const p = featureCount;
  return {
    k,
    raw(x, n) {
      const out = new Float64Array(n * k);
      let a = new Float64Array(widest);
      let b = new Float64Array(widest);
      for (let r = 0; r < n; r++) {
        let src = x;
        let so = r * p;
        for (let l = 0; l <= last; l++) {
          const { inputs, outputs, weights, bias } = layers[l]!;
          const dst = l === last ? out : b;
          const d0 = l === last ? r * k : 0;
          for (let o = 0; o < outputs; o++) {
            const wo = o * inputs;
            let acc = bias[o]!;
            for (let i = 0; i < inputs; i++) acc += weights[wo + i]! * src[so + i]!;
            if (l !== last) acc = relu ? (acc > 0 ? acc : 0) : Math.tanh(acc);
            dst[d0 + o] = acc;
          }
          if (l !== last) {
            src = b;
            so = 0;
            const t = a;
            a = b;
            b = t;
          }
        }
      }
      return out;
    },
  };
}
