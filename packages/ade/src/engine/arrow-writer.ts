import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataType, RecordBatch, Schema } from 'apache-arrow';
import type { ResultColumn, RowStream } from './types.js';

/** apache-arrow, loaded on first use (it costs ~150 ms of start-up that most commands never need). */
type Arrow = typeof import('apache-arrow');
let arrowModule: Promise<Arrow> | undefined;
const loadArrow = (): Promise<Arrow> => (arrowModule ??= import('apache-arrow'));

/** The Arrow type a DuckDB result column is written as; nested and exotic types travel as JSON text. */
export async function arrowTypeOf(duckdbType: string): Promise<DataType> {
  return typeFor(await loadArrow(), duckdbType);
}

function typeFor(a: Arrow, duckdbType: string): DataType {
  const { Bool, DateMillisecond, Float64, Int32, Int64, TimestampMillisecond, Utf8 } = a;
  const t = duckdbType.toUpperCase();
  if (t === 'BOOLEAN') return new Bool();
  if (/^(TINYINT|SMALLINT|INTEGER|UTINYINT|USMALLINT)$/.test(t)) return new Int32();
  if (/^(BIGINT|UINTEGER|HUGEINT|UBIGINT|UHUGEINT)$/.test(t)) return new Int64();
  if (/^(FLOAT|DOUBLE|REAL)$/.test(t) || t.startsWith('DECIMAL')) return new Float64();
  if (t === 'DATE') return new DateMillisecond();
  if (t.startsWith('TIMESTAMP')) return new TimestampMillisecond();
  return new Utf8();
}

function convert(a: Arrow, value: unknown, type: DataType): unknown {
  const { DateMillisecond, Float64, Int64, TimestampMillisecond, Utf8 } = a;
  if (value === null || value === undefined) return null;
  if (type instanceof Int64) return BigInt(value as number | string);
  if (type instanceof Float64) return Number(value);
  if (type instanceof DateMillisecond || type instanceof TimestampMillisecond) return Date.parse(String(value).replace(' ', 'T'));
  if (type instanceof Utf8) return typeof value === 'string' ? value : JSON.stringify(value);
  return value;
}

function batchOf(a: Arrow, schema: Schema, rows: readonly Record<string, unknown>[]): RecordBatch {
  const children = schema.fields.map((f) => a.vectorFromArray(rows.map((r) => convert(a, r[f.name], f.type)), f.type).data[0]!);
  return new a.RecordBatch(schema, a.makeData({ type: new a.Struct(schema.fields), length: rows.length, nullCount: 0, children }));
}

/**
 * Streams a result as an Arrow IPC stream, one record batch per DuckDB chunk,
 * without holding the whole result in memory.
 */
export async function writeArrow(stream: RowStream, out: Writable): Promise<{ rows: number }> {
  const a = await loadArrow();
  const columns: readonly ResultColumn[] = await stream.columns();
  const schema = new a.Schema(columns.map((c) => new a.Field(c.name, typeFor(a, c.type), true)));
  const writer = new a.RecordBatchStreamWriter();
  const piping = pipeline(writer.toNodeStream(), out, { end: false });
  let rows = 0;
  try {
    let wrote = false;
    for await (const chunk of stream) {
      if (chunk.length === 0) continue;
      writer.write(batchOf(a, schema, chunk));
      wrote = true;
      rows += chunk.length;
    }
    if (!wrote) writer.write(batchOf(a, schema, []));
  } finally {
    writer.finish();
    await stream.close();
  }
  await piping;
  return { rows };
}
