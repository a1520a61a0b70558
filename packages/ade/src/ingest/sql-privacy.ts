import { quoteLiteral } from '../kernel/index.js';
import type { PiiKind } from '../privacy/index.js';

/**
 * SQL twins of the privacy functions, so that DuckDB can apply them to every
 * distinct value in parallel. Each is exact only for the values its `when`
 * accepts; other values go through the JavaScript function (tests check that
 * both give the same result).
 */

/** Printable ASCII (and spaces): where DuckDB's trim/lower/regex agree with JavaScript's. */
export const ASCII_TEXT = (ref: string) => `regexp_full_match(${ref}, '[ -~]*')`;

/** `normalizeFor(kind, v)` for printable-ASCII `v`. */
export function normalizeSql(kind: PiiKind, v: string): string {
  switch (kind) {
    case 'email':
    case 'ipv4':
    case 'ipv6':
      return `lower(trim(${v}))`;
    case 'phone': {
      const digits = `regexp_replace(${v}, '[^0-9]+', '', 'g')`;
      return `CASE WHEN starts_with(trim(${v}), '+') THEN '+' || ${digits} WHEN starts_with(${digits}, '00') AND length(${digits}) > 4 THEN '+' || substr(${digits}, 3) ELSE ${digits} END`;
    }
    case 'card':
    case 'iban':
    case 'ssn':
      return `upper(regexp_replace(${v}, '[ \\t\\n\\r\\f\\v.-]+', '', 'g'))`;
    case 'mac':
      return `regexp_replace(lower(trim(${v})), '[-.]', ':', 'g')`;
    case 'text':
      return v;
  }
}

/**
 * The token of a normalised value: HMAC-SHA256 with the pads in the one-row
 * table `keys` (`ipad`, `opad` BLOBs bound as parameters, never in SQL text),
 * base64url, 22 characters, `tok_` prefix — the format of `tokenize`.
 */
export function tokenSql(normalized: string, keys: string): string {
  const inner = `unhex(sha256(${keys}.ipad || encode(${normalized})))`;
  const mac = `to_base64(unhex(sha256(${keys}.opad || ${inner})))`;
  return `'tok_' || left(replace(replace(${mac}, '+', '-'), '/', '_'), 22)`;
}

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';

/** Whether `ref` is a dotted-quad IPv4 address as `parseIPv4` accepts it (no spaces, no leading zeros). */
export const IPV4 = (ref: string) => `regexp_full_match(${ref}, ${quoteLiteral(`${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}`)})`;

/** `generalizeIp(v, { v4Prefix })` for values `IPV4` accepts: `192.0.2.17` → `192.0.2.0/24`. */
export function ipv4NetworkSql(ref: string, prefix: number): string {
  const octets = [0, 1, 2, 3].map((i) => {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    const mask = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    return mask === 255 ? `split_part(${ref}, '.', ${i + 1})` : `CAST(CAST(split_part(${ref}, '.', ${i + 1}) AS INTEGER) & ${mask} AS VARCHAR)`;
  });
  return `${octets.join(` || '.' || `)} || '/${prefix}'`;
}
