/**
 * A small SQL lexer that cuts text at top-level semicolons, skipping quoted
 * strings, quoted identifiers, dollar-quoted strings and comments.
 *
 * It decides nothing about safety (DuckDB's own parser does, see
 * `statement-guard.ts`); it only finds the text of each statement so that an
 * error can name the one refused and a write can wrap its single SELECT.
 */
export function splitStatements(sql: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      i = skipQuoted(sql, i, c);
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === '$') {
      i = skipDollarQuoted(sql, i);
    } else if (c === ';') {
      pieces.push(sql.slice(start, i));
      start = ++i;
    } else {
      i++;
    }
  }
  pieces.push(sql.slice(start));
  return pieces.map((p) => p.trim()).filter((p) => stripComments(p).trim() !== '');
}

/** The first word of a statement (`COPY`, `ATTACH`…), upper-cased, after comments and parentheses. */
export function leadingKeyword(statement: string): string | undefined {
  const match = /^[\s(]*([A-Za-z_]+)/.exec(stripComments(statement));
  return match?.[1]?.toUpperCase();
}

function skipQuoted(sql: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === quote) {
      if (sql[j + 1] === quote) j += 2;
      else return j + 1;
    } else {
      j++;
    }
  }
  return sql.length;
}

function skipBlockComment(sql: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else {
      j++;
    }
  }
  return sql.length;
}

function skipDollarQuoted(sql: string, i: number): number {
  const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i, i + 64));
  if (!tag) return i + 1;
  const end = sql.indexOf(tag[0], i + tag[0].length);
  return end === -1 ? sql.length : end + tag[0].length;
}

/** The text with comments replaced by a space, strings left alone. */
function stripComments(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      const end = skipQuoted(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
      out += ' ';
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
      out += ' ';
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
