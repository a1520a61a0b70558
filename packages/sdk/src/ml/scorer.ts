import { AdeSdkError } from '../errors.js';
import type { ModelArtifact, Task } from './artifact.js';
import { compileFeatures, type CompiledFeatures, type InputRow } from './encode.js';
import { compileValidNode, type CompiledNode } from './score-node.js';
import { validateArtifact } from './validate-artifact.js';

/** A regression prediction. */
export interface ValuePrediction {
  readonly value: number;
}

/** A classification prediction: the most probable label (the first on a tie, in `classes` order) and every class's probability. */
export interface ClassPrediction {
  readonly label: string;
  readonly probabilities: Readonly<Record<string, number>>;
}

export type Prediction = ValuePrediction | ClassPrediction;

/**
 * Scores rows with a published model in the app, no server round-trip. The
 * server scores with this same class, so both give the same bits (V8; see
 * apply-link.ts for other engines).
 *
 * @example
 * const scorer = Scorer.load(await (await fetch(url)).json());
 * const p = scorer.predict({ plan: 'pro', seats: 12, signed_up: '2024-03-05' });
 * if ('label' in p) console.log(p.label, p.probabilities[p.label]);
 */
export class Scorer {
  readonly artifact: ModelArtifact;
  private readonly features: CompiledFeatures;
  private readonly node: CompiledNode;
  /** One encoded row, reused by `predict`. */
  private readonly buffer: Float64Array;

  private constructor(artifact: ModelArtifact) {
    this.artifact = artifact;
    this.features = compileFeatures(artifact.features, artifact.featureCount);
    this.node = compileValidNode(artifact.model, artifact.featureCount);
    this.buffer = new Float64Array(artifact.featureCount);
  }

  /**
   * Validates an artifact (parsed JSON, or its text) and compiles it once.
   *
   * @throws AdeSdkError `model.invalid` naming the JSON path of the problem; `model.unsupported` for another format version.
   */
  static load(json: unknown): Scorer {
    let doc = json;
    if (typeof json === 'string') {
      try {
        doc = JSON.parse(json);
      } catch (e) {
        throw new AdeSdkError('model.invalid', `(artifact): not JSON: ${(e as Error).message}`, { hint: 'Pass the artifact JSON as the server returns it.', cause: e });
      }
    }
    return new Scorer(validateArtifact(doc));
  }

  get task(): Task {
    return this.artifact.task;
  }

  /** Classification: the labels in output order; regression: empty. */
  get classes(): readonly string[] {
    return this.artifact.classes ?? [];
  }

  /** The input columns a row should carry, with their lake types. */
  get inputs(): ModelArtifact['inputs'] {
    return this.artifact.inputs;
  }

  /** One row's prediction. */
  predict(row: InputRow): Prediction {
    this.features.encodeInto(row, this.buffer, 0);
    return this.toPrediction(this.node.score(this.buffer, 1), 0);
  }

  /** Every row's prediction, in order. */
  predictMany(rows: readonly InputRow[]): Prediction[] {
    const out = this.scoreRows(rows);
    const result: Prediction[] = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) result[r] = this.toPrediction(out, r);
    return result;
  }

  /** The encoded feature matrix of rows (`rows.length × featureCount`, row-major). */
  encode(rows: readonly InputRow[]): Float64Array {
    const p = this.artifact.featureCount;
    const x = new Float64Array(rows.length * p);
    for (let r = 0; r < rows.length; r++) this.features.encodeInto(rows[r] as InputRow, x, r * p);
    return x;
  }

  /**
   * Raw predictions for bulk use (the server's batch scoring): regression
   * `n` values; classification `n × K` probabilities in `classes` order.
   */
  scoreRows(rows: readonly InputRow[]): Float64Array {
    return this.node.score(this.encode(rows), rows.length);
  }

  private toPrediction(out: Float64Array, r: number): Prediction {
    const classes = this.artifact.classes;
    if (classes === undefined) return { value: out[r]! };
    const k = classes.length;
    let best = 0;
    const entries: [string, number][] = new Array(k);
    for (let c = 0; c < k; c++) {
      const p = out[r * k + c]!;
      entries[c] = [classes[c]!, p];
      if (p > out[r * k + best]!) best = c;
    }
    // fromEntries defines own properties, so a label such as "__proto__" is safe.
    return { label: classes[best]!, probabilities: Object.fromEntries(entries) };
  }
}

/** The slice of `fetch` that {@link fetchScorer} uses (the global `fetch` fits). */
export type ArtifactFetch = (
  url: string,
  init: { method: 'GET'; headers: Record<string, string>; signal?: AbortSignal },
) => Promise<{ readonly status: number; text(): Promise<string> }>;

export interface FetchScorerOptions {
  /** The fetch to use; the global `fetch` when absent. */
  readonly fetch?: ArtifactFetch;
  /** Extra request headers, e.g. `{ authorization: 'Bearer …' }`. */
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/**
 * Loads a published artifact from the server's artifact route (GET returns
 * the artifact JSON) into a {@link Scorer}.
 *
 * @throws AdeSdkError `model.fetch` (network error or non-2xx; `retryable`
 *   for network errors, 408, 429 and 5xx), or `model.invalid` /
 *   `model.unsupported` for the document.
 * @example
 * const scorer = await fetchScorer('https://ade.example.com/v1/models/churn@champion/artifact');
 */
export async function fetchScorer(url: string, options: FetchScorerOptions = {}): Promise<Scorer> {
  const doFetch = options.fetch ?? (globalThis.fetch as unknown as ArtifactFetch | undefined);
  if (doFetch === undefined) {
    throw new AdeSdkError('model.fetch', 'no fetch is available in this environment', { hint: 'Pass options.fetch.' });
  }
  let status: number;
  let text: string;
  try {
    const res = await doFetch(url, { method: 'GET', headers: { accept: 'application/json', ...options.headers }, ...(options.signal ? { signal: options.signal } : {}) });
    status = res.status;
    text = await res.text();
  } catch (e) {
    throw new AdeSdkError('model.fetch', `GET ${url} failed: ${(e as Error).message}`, { hint: 'Check the URL and the network, then try again.', retryable: true, details: { url }, cause: e });
  }
  if (status < 200 || status >= 300) {
    const retryable = status === 408 || status === 429 || status >= 500;
    throw new AdeSdkError('model.fetch', `GET ${url} answered HTTP ${status}: ${text.slice(0, 200)}`, {
      hint: status === 404 ? 'Check the model name and alias (ade ml list).' : status === 401 || status === 403 ? 'Pass a valid token in options.headers.' : 'Try again later.',
      retryable,
      details: { url, status },
    });
  }
  return Scorer.load(text);
}
