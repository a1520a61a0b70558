import type { ChartSpec, Row } from '../types.js';
import type { ChartOption } from './chart.js';

export const CHART_TYPES: readonly ChartSpec['type'][] = ['bar', 'line', 'area', 'scatter', 'histogram'];

const toNumber = (v: unknown): number | null => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return null;
};

/** A first guess at the columns to chart: the first non-numeric column as x, the first numeric one as y. */
export function guessSpec(type: ChartSpec['type'], columns: readonly string[], rows: readonly Row[]): ChartSpec {
  const numeric = columns.filter((c) => rows.slice(0, 50).some((r) => toNumber(r[c]) !== null) && rows.slice(0, 50).every((r) => r[c] === null || toNumber(r[c]) !== null));
  const x = type === 'histogram' ? (numeric[0] ?? columns[0] ?? '') : (columns.find((c) => !numeric.includes(c)) ?? columns[0] ?? '');
  const y = numeric.find((c) => c !== x) ?? numeric[0];
  return { type, x, ...(y ? { y } : {}) };
}

/** Equal-width bins over the numbers of one column. */
export function histogram(values: readonly number[], bins = 20): { label: string; count: number }[] {
  if (!values.length) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const n = min === max ? 1 : Math.min(bins, values.length);
  const width = (max - min) / n || 1;
  const counts = new Array<number>(n).fill(0);
  for (const v of values) counts[Math.min(n - 1, Math.floor((v - min) / width))]! += 1;
  const fmt = (v: number) => Number(v.toPrecision(3)).toString();
  return counts.map((count, i) => ({ label: `${fmt(min + i * width)}–${fmt(min + (i + 1) * width)}`, count }));
}

/** The ECharts option that draws `rows` as `spec` says. */
export function chartOption(spec: ChartSpec, rows: readonly Row[]): ChartOption {
  const base = { animation: false, tooltip: { trigger: spec.type === 'scatter' ? 'item' : 'axis' }, grid: { left: 60, right: 20, top: 30, bottom: 50 } };
  if (spec.type === 'histogram') {
    const values = rows.map((r) => toNumber(r[spec.x])).filter((v): v is number => v !== null);
    const bins = histogram(values);
    return {
      ...base,
      xAxis: { type: 'category', data: bins.map((b) => b.label), name: spec.x, nameLocation: 'middle', nameGap: 30 },
      yAxis: { type: 'value', name: 'count' },
      series: [{ type: 'bar', name: 'count', data: bins.map((b) => b.count), barCategoryGap: '2%' }],
    };
  }
  const y = (Array.isArray(spec.y) ? spec.y[0] : spec.y) ?? '';
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = spec.series ? String(r[spec.series] ?? '∅') : y;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(r);
  }
  const kind = spec.type === 'area' ? 'line' : spec.type;
  if (spec.type === 'scatter') {
    const xNumeric = rows.every((r) => toNumber(r[spec.x]) !== null);
    return {
      ...base,
      legend: spec.series ? { top: 0 } : undefined,
      xAxis: { type: xNumeric ? 'value' : 'category', name: spec.x, nameLocation: 'middle', nameGap: 30, scale: true },
      yAxis: { type: 'value', name: y, scale: true },
      series: [...groups].map(([name, list]) => ({ type: 'scatter', name, data: list.map((r) => [xNumeric ? toNumber(r[spec.x]) : String(r[spec.x]), toNumber(r[y])]) })),
    };
  }
  const categories = [...new Set(rows.map((r) => String(r[spec.x] ?? '∅')))];
  return {
    ...base,
    legend: spec.series ? { top: 0 } : undefined,
    xAxis: { type: 'category', data: categories, name: spec.x, nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'value', name: y },
    series: [...groups].map(([name, list]) => {
      const at = new Map(list.map((r) => [String(r[spec.x] ?? '∅'), toNumber(r[y])]));
      return {
        type: kind,
        name,
        data: categories.map((c) => at.get(c) ?? null),
        ...(spec.type === 'area' ? { areaStyle: {}, stack: spec.series ? 'total' : undefined } : {}),
        ...(kind === 'line' ? { connectNulls: true, showSymbol: categories.length < 60 } : {}),
      };
    }),
  };
}
