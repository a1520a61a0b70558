import { ValidationError } from './errors.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SIZE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** `90s`, `15m`, `24h`, `7d` → milliseconds. */
export function parseDuration(text: string, field: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i.exec(text);
  if (!m) {
    throw new ValidationError(`invalid duration ${JSON.stringify(text)} for ${field}`, {
      code: 'config.duration',
      hint: 'write durations like 500ms, 30s, 15m, 24h, 7d or 2w',
    });
  }
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}

/** `128MB`, `1GiB`, `4096` → bytes. */
export function parseSize(text: string | number, field: string): number {
  if (typeof text === 'number') return text;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(text);
  if (!m) {
    throw new ValidationError(`invalid size ${JSON.stringify(text)} for ${field}`, {
      code: 'config.size',
      hint: 'write sizes like 64MB, 1GB or 512MiB',
    });
  }
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
