import { compileFeatures, type FeatureStep } from '@ade/sdk';
import type { InputColumn } from './feature-plan.js';

/**
 * Applies feature steps to columnar data with the SDK's encoder (so training
 * sees exactly what the scorer will compute): the rows `rows` of `columns`
 * as a row-major Float64Array of `rows.length × featureCount`. Reuses one row
 * object, so nothing is allocated per row.
 *
 * @example
 * const x = encodeColumns(plan.steps, plan.featureCount, columns, target.rows);
 */
export function encodeColumns(steps: readonly FeatureStep[], featureCount: number, columns: readonly InputColumn[], rows: Int32Array): Float64Array {
  const used = new Set(steps.map((s) => s.column));
  const read = columns.filter((c) => used.has(c.name));
  const encoder = compileFeatures(steps, featureCount);
  const out = new Float64Array(rows.length * featureCount);
  const row: Record<string, unknown> = {};
  for (let j = 0; j < rows.length; j++) {
    const i = rows[j]!;
    for (const c of read) row[c.name] = c.values[i];
    encoder.encodeInto(row, out, j * featureCount);
  }
  return out;
}
