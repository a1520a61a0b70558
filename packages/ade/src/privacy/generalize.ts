import { ValidationError } from '../kernel/index.js';
import { formatIPv6, parseIPv4, parseIPv6 } from './ip.js';

export type TimeGrain = 'day' | 'month' | 'year';

/**
 * A timestamp cut to its UTC day (`2024-03-07`), month (`2024-03`) or year
 * (`2024`). Accepts a Date or an ISO-8601 string; a plain date string is
 * taken as that day.
 */
export function generalizeTimestamp(value: string | Date, grain: TimeGrain): string {
  if (grain !== 'day' && grain !== 'month' && grain !== 'year') {
    throw new ValidationError(`timestamp grain must be day, month or year, got ${JSON.stringify(grain as string)}`);
  }
  let d: Date;
  if (value instanceof Date) d = value;
  else if (typeof value === 'string' && /^\d{4}-\d{2}(-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)?$/.test(value.trim())) {
    const t = value.trim();
    d = new Date(/^\d{4}-\d{2}$/.test(t) ? `${t}-01T00:00:00Z` : /^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : t.replace(' ', 'T'));
  } else {
    throw new ValidationError('value is not an ISO-8601 date or timestamp', { hint: 'expected e.g. 2024-03-07T12:30:00Z' });
  }
  if (Number.isNaN(d.getTime())) throw new ValidationError('value is not a valid date', { hint: 'expected e.g. 2024-03-07T12:30:00Z' });
  const iso = d.toISOString();
  return grain === 'year' ? iso.slice(0, 4) : grain === 'month' ? iso.slice(0, 7) : iso.slice(0, 10);
}

/** The first `digits` characters of a postal code (spaces removed, upper-cased): 94107 → 941. */
export function generalizeZip(zip: string, digits = 3): string {
  if (!Number.isInteger(digits) || digits < 1 || digits > 10) {
    throw new ValidationError(`zip prefix length must be an integer from 1 to 10, got ${String(digits)}`, { hint: 'e.g. prefix: 3' });
  }
  const z = zip.replace(/\s+/g, '').toUpperCase();
  if (!/^[0-9A-Z-]+$/.test(z)) throw new ValidationError('value is not a postal code', { hint: 'letters, digits and dashes only' });
  return z.slice(0, digits);
}

export type IpGeneralizeOptions = { v4Prefix?: number; v6Prefix?: number };

/**
 * The network of an address in CIDR form: IPv4 to /24 (`192.0.2.0/24`),
 * IPv6 to /48 (`2001:db8:85a3::/48`) by default.
 */
export function generalizeIp(ip: string, options: IpGeneralizeOptions = {}): string {
  const v4Prefix = options.v4Prefix ?? 24;
  const v6Prefix = options.v6Prefix ?? 48;
  if (!Number.isInteger(v4Prefix) || v4Prefix < 0 || v4Prefix > 32) {
    throw new ValidationError(`IPv4 prefix must be an integer from 0 to 32, got ${String(v4Prefix)}`);
  }
  if (!Number.isInteger(v6Prefix) || v6Prefix < 0 || v6Prefix > 128) {
    throw new ValidationError(`IPv6 prefix must be an integer from 0 to 128, got ${String(v6Prefix)}`);
  }
  const s = ip.trim();
  const v4 = parseIPv4(s);
  if (v4) {
    const n = ((v4[0] << 24) | (v4[1] << 16) | (v4[2] << 8) | v4[3]) >>> 0;
    const m = v4Prefix === 0 ? 0 : (n & (~0 << (32 - v4Prefix))) >>> 0;
    return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}/${v4Prefix}`;
  }
  const v6 = parseIPv6(s);
  if (v6) {
    const masked = v6.map((g, i) => {
      const bits = Math.max(0, Math.min(16, v6Prefix - i * 16));
      return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
    });
    return `${formatIPv6(masked)}/${v6Prefix}`;
  }
  throw new ValidationError('value is not an IPv4 or IPv6 address', { hint: 'expected e.g. 192.0.2.1 or 2001:db8::1' });
}

/** A coordinate rounded to `decimals` places (2 ≈ 1.1 km). */
export function generalizeCoordinate(value: number, decimals = 2): number {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 8) {
    throw new ValidationError(`coordinate decimals must be an integer from 0 to 8, got ${String(decimals)}`);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValidationError('coordinate is not a finite number');
  const f = 10 ** decimals;
  const r = Math.round(value * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** A latitude/longitude pair rounded to `decimals`, checked to be within range. */
export function generalizeLatLong(lat: number, lon: number, decimals = 2): [number, number] {
  if (!(lat >= -90 && lat <= 90)) throw new ValidationError('latitude must be between -90 and 90');
  if (!(lon >= -180 && lon <= 180)) throw new ValidationError('longitude must be between -180 and 180');
  return [generalizeCoordinate(lat, decimals), generalizeCoordinate(lon, decimals)];
}

export type AgeBandOptions = { width?: number; topCode?: number };

/** An age as a band of `width` years (`30-39`); ages at or above `topCode` (default 90) become `90+`. */
export function generalizeAge(age: number, options: AgeBandOptions = {}): string {
  const width = options.width ?? 10;
  const topCode = options.topCode ?? 90;
  if (!Number.isInteger(width) || width < 1 || width > 100) {
    throw new ValidationError(`age band width must be an integer from 1 to 100, got ${String(width)}`);
  }
  if (!Number.isInteger(topCode) || topCode < 1 || topCode % width !== 0) {
    throw new ValidationError(`age top code must be a positive multiple of the band width, got ${String(topCode)}`);
  }
  if (typeof age !== 'number' || !Number.isFinite(age) || age < 0 || age > 150) {
    throw new ValidationError('age must be a number from 0 to 150');
  }
  if (age >= topCode) return `${topCode}+`;
  const lo = Math.floor(age / width) * width;
  return `${lo}-${lo + width - 1}`;
}
