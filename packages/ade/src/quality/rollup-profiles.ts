import type { DayProfile } from './profile-table.js';

/** A week's or month's profile, combined from its days' stored profiles without reading the data again. */
export interface PeriodProfile {
  /** `2026-W48` (ISO week) or `2026-11`. */
  readonly period: string;
  readonly days: number;
  readonly rows: number;
  readonly columns: readonly PeriodColumn[];
}

export interface PeriodColumn {
  readonly name: string;
  readonly nulls: number;
  readonly nullRatio: number;
  /**
   * Distinct values cannot be added up across days: the period has at least
   * the busiest day's count and at most the sum of all days'.
   */
  readonly distinctAtLeast: number;
  readonly distinctAtMost: number;
  readonly min?: unknown;
  readonly max?: unknown;
  /** Exact: weighted by each day's non-null count. */
  readonly mean?: number;
  /** Exact: the pooled sample standard deviation (within-day and between-day spread). */
  readonly stddev?: number;
  readonly lengths?: { readonly min: number; readonly mean: number; readonly max: number };
}

/** The ISO week (`YYYY-Www`) of a `YYYY-MM-DD` day. */
export function isoWeek(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0
  const thursday = new Date(d.getTime() + (3 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return `${year}-W${String(week).padStart(2, '0')}`;
}

const compare = (a: unknown, b: unknown) => {
  const x = Number(a);
  const y = Number(b);
  if (Number.isFinite(x) && Number.isFinite(y) && String(a).trim() !== '' && String(b).trim() !== '') return x - y;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
};

/**
 * Combines day profiles into week or month profiles: rows, nulls, min/max,
 * mean and standard deviation exactly (pooled from each day's count, mean and
 * sample variance); distinct counts as bounds; quantiles and top values are
 * not combinable and are left out.
 */
export function rollupProfiles(days: readonly DayProfile[], by: 'week' | 'month'): PeriodProfile[] {
  const groups = new Map<string, DayProfile[]>();
  for (const d of [...days].sort((a, b) => a.day.localeCompare(b.day))) {
    const key = by === 'week' ? isoWeek(d.day) : d.day.slice(0, 7);
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  return [...groups.entries()].map(([period, list]) => {
    const rows = list.reduce((s, d) => s + d.rows, 0);
    const names = [...new Set(list.flatMap((d) => d.columns.map((c) => c.name)))];
    const columns = names.map((name): PeriodColumn => {
      const parts = list.flatMap((d) => {
        const c = d.columns.find((x) => x.name === name);
        return c ? [{ rows: d.rows, c }] : [];
      });
      const nulls = parts.reduce((s, p) => s + p.c.nulls, 0);
      const within = parts.reduce((s, p) => s + p.rows, 0);
      const bounds = parts.filter((p) => p.c.min !== undefined);
      // Pooled moments over the non-null values of each day.
      const moments = parts.filter((p) => p.c.mean !== undefined).map((p) => ({ n: p.rows - p.c.nulls, mean: p.c.mean!, sd: p.c.stddev ?? 0 }));
      const total = moments.reduce((s, m) => s + m.n, 0);
      const mean = total > 0 ? moments.reduce((s, m) => s + m.n * m.mean, 0) / total : undefined;
      const ss = mean === undefined ? 0 : moments.reduce((s, m) => s + (m.n - 1) * m.sd * m.sd + m.n * (m.mean - mean) ** 2, 0);
      const lens = parts.filter((p) => p.c.lengths !== undefined && p.rows - p.c.nulls > 0);
      const lenN = lens.reduce((s, p) => s + (p.rows - p.c.nulls), 0);
      return {
        name,
        nulls,
        nullRatio: within === 0 ? 0 : nulls / within,
        distinctAtLeast: Math.max(0, ...parts.map((p) => p.c.distinct)),
        distinctAtMost: parts.reduce((s, p) => s + p.c.distinct, 0),
        ...(bounds.length
          ? {
              min: bounds.map((p) => p.c.min).reduce((a, b) => (compare(a, b) <= 0 ? a : b)),
              max: bounds.map((p) => p.c.max).reduce((a, b) => (compare(a, b) >= 0 ? a : b)),
            }
          : {}),
        ...(mean !== undefined ? { mean, ...(total > 1 ? { stddev: Math.sqrt(ss / (total - 1)) } : {}) } : {}),
        ...(lens.length
          ? {
              lengths: {
                min: Math.min(...lens.map((p) => p.c.lengths!.min)),
                mean: lens.reduce((s, p) => s + (p.rows - p.c.nulls) * p.c.lengths!.mean, 0) / lenN,
                max: Math.max(...lens.map((p) => p.c.lengths!.max)),
              },
            }
          : {}),
      };
    });
    return { period, days: list.length, rows, columns };
  });
}
