import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Bool,
  DateMillisecond,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
  type DataType,
} from 'apache-arrow';
import type { ResultColumn, RowStream } from './types.js';

/** The Arrow type a DuckDB result column is written as; nested and exotic types travel as JSON text. */
export function arrowTypeOf(duckdbType: string): DataType {
  const t = duckdbType.toUpperCase();
  if (t === 'BOOLEAN') return new Bool();
  if (/^(TINYINT|SMALLINT|INTEGER|UTINYINT|USMALLINT)$/.test(t)) return new Int32();
  if (/^(BIGINT|UINTEGER|HUGEINT|UBIGINT|UHUGEINT)$/.test(t)) return new Int64();
  if (/^(FLOAT|DOUBLE|REAL)$/.test(t) || t.startsWith('DECIMAL')) return new Float64();
  if (t === 'DATE') return new DateMillisecond();
  if (t.startsWith('TIMESTAMP')) return new TimestampMillisecond();
  return new Utf8();
}

function convert(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  if (type instanceof Int64) return BigInt(value as number | string);
  if (type instanceof Float64) return Number(value);
  if (type instanceof DateMillisecond || type instanceof TimestampMillisecond) return Date.parse(String(value).replace(' ', 'T'));
  if (type instanceof Utf8) return typeof value === 'string' ? value : JSON.stringify(value);
  return value;
}

function batchOf(schema: Schema, rows: readonly Record<string, unknown>[]): RecordBatch {
  const children = schema.fields.map((f) => vectorFromArray(rows.map((r) => convert(r[f.name], f.type)), f.type).data[0]!);
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }));
}

/**
 * Streams a result as an Arrow IPC stream, one record batch per DuckDB chunk,
 * without holding the whole result in memory.
 */
export async function writeArrow(stream: RowStream, out: Writable): Promise<{ rows: number }> {
  const columns: readonly ResultColumn[] = await stream.columns();
  const schema = new Schema(columns.map((c) => new Field(c.name, arrowTypeOf(c.type), true)));
  const writer = new RecordBatchStreamWriter();
  const piping = pipeline(writer.toNodeStream(), out, { end: false });
  let rows = 0;
  try {
    let wrote = false;
    for await (const chunk of stream) {
      if (chunk.length === 0) continue;
      writer.write(batchOf(schema, chunk));
      wrote = true;
      rows += chunk.length;
    }
    if (!wrote) writer.write(batchOf(schema, []));
  } finally {
    writer.finish();
    await stream.close();
  }
  await piping;
  return { rows };
}
