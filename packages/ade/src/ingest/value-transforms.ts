import { jsonDepth } from '../kernel/index.js';
import {
  classifyFieldName,
  detectAll,
  generalizeAge,
  generalizeCoordinate,
  generalizeIp,
  generalizeTimestamp,
  generalizeZip,
  mask,
  placeholderLabel,
  redact,
  type PiiKind,
  type Tokenizer,
} from '../privacy/index.js';
import type { FieldPolicy, UndeclaredPolicy } from './source-config.js';

/** What a transform did to one value: the new value (null removes it) and which detectors fired. */
export interface Transformed {
  readonly out: string | null;
  readonly found: readonly string[];
}

export type ValueTransform = (value: string) => Transformed;

const NONE: readonly string[] = [];

/** The kind a tokenised field is normalised as: declared, else suggested by its name, else text. */
export function tokenKind(path: string, declared?: PiiKind): PiiKind {
  if (declared) return declared;
  const category = classifyFieldName(path);
  return category === 'email' ? 'email' : category === 'phone' ? 'phone' : 'text';
}

/** Replaces the whole value by its token. */
export function tokenizeTransform(tokenizer: Tokenizer, kind: PiiKind): ValueTransform {
  return (v) => ({ out: tokenizer.tokenize(v, kind), found: NONE });
}

/** Replaces each detected span by `[KIND:tok_…]`. */
export function redactTransform(tokenizer: Tokenizer): ValueTransform {
  return (v) => {
    const r = redact(v, tokenizer);
    return r.found.length ? { out: r.text, found: [...new Set(r.found.map((f) => f.detector))] } : { out: v, found: NONE };
  };
}

/** IP → network in CIDR form; anything that is not an address becomes null (never kept as is). */
export function ipTransform(v4Prefix: number, v6Prefix: number): ValueTransform {
  return (v) => {
    try {
      return { out: generalizeIp(v, { v4Prefix, v6Prefix }), found: NONE };
    } catch {
      return { out: null, found: NONE };
    }
  };
}

/**
 * The scan of a field no policy names (`undeclared: tokenize`): a value that is
 * wholly one detected identifier becomes its token (normalised for its kind, so
 * it joins with declared token columns); identifiers inside longer text are
 * replaced by `[KIND:tok_…]`; other values stay. With `nameKind` (the field's
 * name says it holds personal data) every value is tokenised.
 */
export function scanTransform(tokenizer: Tokenizer, nameCategory: string | undefined): ValueTransform {
  if (nameCategory) {
    const kind: PiiKind = nameCategory === 'email' ? 'email' : nameCategory === 'phone' ? 'phone' : 'text';
    const found = [`name:${nameCategory}`];
    return (v) => ({ out: tokenizer.tokenize(v, kind), found });
  }
  return (v) => {
    const spans = detectAll(v);
    if (spans.length === 0) return { out: v, found: NONE };
    const found = [...new Set(spans.map((s) => s.detector))];
    const only = spans[0]!;
    if (spans.length === 1 && v.slice(0, only.start).trim() === '' && v.slice(only.end).trim() === '') {
      return { out: tokenizer.tokenize(only.value, only.kind), found };
    }
    let out = '';
    let at = 0;
    for (const s of spans) {
      out += v.slice(at, s.start) + `[${placeholderLabel(s.detector)}:${tokenizer.tokenize(s.value, s.kind)}]`;
      at = s.end;
    }
    return { out: out + v.slice(at), found };
  };
}

/** A JS version of a field policy, for values inside JSON (`items[].card`). */
export function policyTransform(policy: FieldPolicy, path: string, tokenizer: Tokenizer): ((v: unknown) => unknown) | 'drop' {
  switch (policy.action) {
    case 'keep':
      return (v) => v;
    case 'drop':
      return 'drop';
    case 'tokenize': {
      const kind = tokenKind(path, policy.kind);
      return (v) => (v === null || v === undefined ? v : tokenizer.tokenize(typeof v === 'string' ? v : JSON.stringify(v), kind));
    }
    case 'mask':
      return (v) => (v === null || v === undefined ? v : mask(typeof v === 'string' ? v : JSON.stringify(v), { keepLast: policy.keepLast }));
    case 'redact': {
      const t = redactTransform(tokenizer);
      return (v) => (typeof v === 'string' ? t(v).out : v);
    }
    case 'generalize':
      return (v) => {
        if (v === null || v === undefined) return v;
        try {
          switch (policy.to) {
            case 'day':
            case 'month':
            case 'year':
              return generalizeTimestamp(String(v), policy.to);
            case 'zip':
              return generalizeZip(String(v), policy.digits);
            case 'ip':
              return generalizeIp(String(v), { v4Prefix: policy.v4Prefix, v6Prefix: policy.v6Prefix });
            case 'coordinate':
              return generalizeCoordinate(Number(v), policy.decimals);
            case 'age':
              return generalizeAge(Number(v), { width: policy.band, topCode: Math.ceil(90 / policy.band) * policy.band });
          }
        } catch {
          return null;
        }
      };
  }
}

/**
 * Transforms JSON text (a list or object field): policies address paths below
 * the field (`card` for `items[].card`, `[]` steps walk into lists), and every
 * string no policy names is scanned as `undeclared` says. Returns the new JSON
 * text; with `undeclared: reject` a detection is reported in `found` (the caller
 * quarantines the row).
 */
export function jsonTransform(
  inner: ReadonlyMap<string, FieldPolicy>,
  basePath: string,
  undeclared: UndeclaredPolicy,
  tokenizer: Tokenizer,
): ValueTransform {
  const compiled = new Map([...inner].map(([p, pol]) => [p, policyTransform(pol, `${basePath}.${p}`, tokenizer)] as const));
  const scan = scanTransform(tokenizer, undefined);
  return (text) => {
    let doc: unknown;
    try {
      // Deeply nested JSON is not walked (nor parsed into a deep stack): it is scanned as text.
      if (jsonDepth(text) > 128) throw new Error('too deep');
      doc = JSON.parse(text);
    } catch {
      // Not JSON after all: treat as free text.
      const r = scan(text);
      return undeclared === 'drop' && r.found.length ? { out: null, found: r.found } : r;
    }
    const found = new Set<string>();
    const walk = (v: unknown, path: string): unknown => {
      const policy = compiled.get(path);
      if (policy === 'drop') return undefined;
      if (policy) return policy(v);
      if (Array.isArray(v)) return v.map((x) => walk(x, path)).filter((x) => x !== undefined);
      if (v !== null && typeof v === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
          const child = path === '' ? k : `${path}.${k}`;
          const w = walk(x, child);
          if (w !== undefined) out[k] = w;
        }
        return out;
      }
      if (typeof v === 'string' || typeof v === 'number') {
        const category = classifyFieldName(`${basePath}.${path}`);
        // Numbers are scanned too when long enough to be a card, phone or account number.
        const scanned = typeof v === 'string' || String(v).replace(/\D/g, '').length >= 8;
        const r = category ? scanTransform(tokenizer, category)(String(v)) : scanned ? scan(String(v)) : { out: v, found: NONE };
        if (r.found.length === 0) return v;
        for (const f of r.found) found.add(f);
        if (undeclared === 'drop') return undefined;
        return r.out;
      }
      return v;
    };
    const out = walk(doc, '');
    return { out: out === undefined ? null : JSON.stringify(out), found: [...found] };
  };
}

