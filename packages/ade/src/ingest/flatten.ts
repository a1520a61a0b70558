import { normalizeNames, quoteIdent } from '../kernel/index.js';

/** A DuckDB type as a tree: structs are walked into, everything else is a leaf. */
export type TypeNode =
  | { readonly kind: 'struct'; readonly fields: readonly { readonly name: string; readonly type: TypeNode }[] }
  | { readonly kind: 'leaf'; readonly sql: string };

/**
 * Parses a DuckDB type string (`STRUCT(email VARCHAR, "a b" STRUCT(x BIGINT))`,
 * `VARCHAR[]`, `MAP(VARCHAR, BIGINT)`) into a tree whose leaves keep their SQL text.
 */
export function parseType(text: string): TypeNode {
  let i = 0;
  const s = text.trim();
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const ident = (): string => {
    ws();
    if (s[i] === '"') {
      let out = '';
      i++;
      while (i < s.length) {
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            out += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        out += s[i++];
      }
      return out;
    }
    const start = i;
    while (i < s.length && !/[\s,()]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  // Reads one type; returns its node and the exact text.
  const type = (): { node: TypeNode; text: string } => {
    ws();
    const start = i;
    if (/^STRUCT\s*\(/i.test(s.slice(i))) {
      i = s.indexOf('(', i) + 1;
      const fields: { name: string; type: TypeNode }[] = [];
      for (;;) {
        ws();
        if (s[i] === ')') {
          i++;
          break;
        }
        const name = ident();
        const t = type();
        fields.push({ name, type: t.node });
        ws();
        if (s[i] === ',') i++;
      }
      let suffix = '';
      while (s.slice(i, i + 2) === '[]') {
        suffix += '[]';
        i += 2;
      }
      const txt = s.slice(start, i);
      return { node: suffix ? { kind: 'leaf', sql: txt } : { kind: 'struct', fields }, text: txt };
    }
    // A leaf: read to the matching end (balanced parentheses), stopping at , or ) at depth 0.
    let depth = 0;
    while (i < s.length) {
      const ch = s[i]!;
      if (ch === '"') {
        i++;
        while (i < s.length && s[i] !== '"') i++;
      } else if (ch === '(') depth++;
      else if (ch === ')') {
        if (depth === 0) break;
        depth--;
      } else if (ch === ',' && depth === 0) break;
      i++;
    }
    const txt = s.slice(start, i).trim();
    return { node: { kind: 'leaf', sql: txt }, text: txt };
  };
  return type().node;
}

/** One column of the flattened input: a leaf of the input's type tree. */
export interface FlatColumn {
  /** Dotted path in the input (`properties.email`); list-valued fields end in `[]` (`items[]`). */
  readonly path: string;
  /** Column name in clean/quarantine tables (`properties_email`, `items`). */
  readonly name: string;
  /** DuckDB type of the flattened value. Lists, maps and JSON become `VARCHAR` holding JSON text. */
  readonly type: string;
  /** Whether the value is JSON text (a list, map or untyped JSON in the input). */
  readonly json: boolean;
  /** The input's top-level field and the keys below it. */
  readonly segments: readonly string[];
}

const SCALAR = /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DATE|TIME|TIMESTAMP|TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|INTERVAL|UUID|VARCHAR|BLOB|DECIMAL\(\d+,\s*\d+\))$/i;

/**
 * Flattens top-level columns: struct fields become columns named by their
 * path joined with `_` (as Segment's warehouses do: `context.ip` → `context_ip`);
 * lists, maps and JSON become JSON text; names are made valid and unique.
 */
export function flattenColumns(columns: readonly { name: string; type: string }[]): FlatColumn[] {
  const leaves: { path: string; segments: string[]; type: string; json: boolean }[] = [];
  const walk = (segments: string[], node: TypeNode) => {
    if (node.kind === 'struct') {
      if (node.fields.length === 0) leaves.push({ path: segments.join('.'), segments, type: 'VARCHAR', json: true });
      for (const f of node.fields) walk([...segments, f.name], f.type);
      return;
    }
    const scalar = SCALAR.test(node.sql);
    const list = node.sql.endsWith('[]');
    leaves.push({
      path: segments.join('.') + (list ? '[]' : ''),
      segments,
      type: scalar ? node.sql.toUpperCase() : 'VARCHAR',
      json: !scalar,
    });
  };
  for (const c of columns) walk([c.name], parseType(c.type));
  const names = normalizeNames(leaves.map((l) => l.segments.join('_')));
  return leaves.map((l, i) => ({ path: l.path, name: names[i]!, type: l.type, json: l.json, segments: l.segments }));
}

/** SQL reading a flat column out of typed input rows (`"properties"."email"`), JSON text for non-scalars. */
export function typedExpr(c: FlatColumn, alias = ''): string {
  const ref = (alias ? `${alias}.` : '') + c.segments.map(quoteIdent).join('.');
  return c.json ? `CAST(to_json(${ref}) AS VARCHAR)` : ref;
}

/** A field path without list markers, for matching policies: `items[].card` → `items.card`. */
export function plainPath(path: string): string {
  return path.replaceAll('[]', '');
}
