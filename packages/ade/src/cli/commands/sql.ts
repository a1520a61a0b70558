import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { readFile } from 'node:fs/promises';
import { parseTableRef, ValidationError } from '../../kernel/index.js';
import type { ReadOptions } from '../../lake/index.js';
import { writeArrow } from '../../engine/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';

export interface SqlOptions {
  format?: string;
  out?: string;
  file?: string;
  asOf?: string;
  snapshot?: string[];
  maxRows?: string;
}

const FORMATS = ['table', 'csv', 'json', 'ndjson', 'arrow'] as const;

/** Parses `--as-of` and `--snapshot zone.table=id` into pins. */
export function readOptions(opts: { asOf?: string; snapshot?: string[] }): ReadOptions {
  const snapshots: Record<string, number> = {};
  for (const s of opts.snapshot ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(s);
    if (!m) throw new ValidationError(`invalid --snapshot ${JSON.stringify(s)}`, { hint: 'write --snapshot zone.table=<snapshot id>' });
    parseTableRef(m[1]!);
    snapshots[m[1]!] = Number(m[2]);
  }
  let asOf: Date | undefined;
  if (opts.asOf) {
    asOf = new Date(opts.asOf);
    if (Number.isNaN(asOf.getTime())) throw new ValidationError(`invalid --as-of ${JSON.stringify(opts.asOf)}`, { hint: 'use an ISO time such as 2026-11-27T10:00:00Z' });
  }
  return { ...(asOf ? { asOf } : {}), ...(Object.keys(snapshots).length ? { snapshots } : {}) };
}

/** Runs one query in a session scoped to the acting role and prints or writes the result. */
export async function sqlCommand(ctx: CommandContext, query: string | undefined, opts: SqlOptions): Promise<void> {
  const text = opts.file ? await readFile(opts.file, 'utf8') : query;
  if (!text?.trim()) throw new ValidationError('no query given', { hint: 'pass the query as an argument or with --file query.sql' });
  const format = (opts.format ?? (ctx.out.json ? 'json' : 'table')) as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new ValidationError(`unknown --format ${format}`, { hint: `use ${FORMATS.join(', ')}` });
  const session = await ctx.lake.session(ctx.principal, { ...readOptions(opts), forSql: text });
  try {
    if (format === 'table') {
      const max = opts.maxRows ? Number(opts.maxRows) : 200;
      const rows: Record<string, unknown>[] = [];
      let more = false;
      const stream = session.stream(text);
      let columns: string[];
      try {
        columns = (await stream.columns()).map((c) => c.name);
        for await (const chunk of stream) {
          for (const r of chunk) {
            if (rows.length < max) rows.push(r);
            else more = true;
          }
          if (more) break;
        }
      } finally {
        await stream.close();
      }
      process.stdout.write(renderTable(columns, rows.map((r) => columns.map((c) => r[c]))) + '\n');
      ctx.out.info(more ? `(first ${max} rows shown; use --format csv|ndjson --out file for all)` : `(${rows.length} row${rows.length === 1 ? '' : 's'})`);
      return;
    }
    if (opts.out) {
      const tmp = `${opts.out}.partial-${process.pid}`;
      const stream = createWriteStream(tmp);
      try {
        if (format === 'arrow') await writeArrow(session.stream(text), stream);
        else await session.writeTo(text, format, stream);
        stream.end();
        await finished(stream);
        await rename(tmp, opts.out);
      } catch (e) {
        stream.destroy();
        await rm(tmp, { force: true });
        throw e;
      }
      ctx.out.info(`wrote ${opts.out}`);
    } else if (format === 'arrow') {
      if (process.stdout.isTTY) throw new ValidationError('Arrow is binary; refusing to write it to a terminal', { hint: 'add --out result.arrow or pipe the output' });
      await writeArrow(session.stream(text), process.stdout);
    } else {
      await session.writeTo(text, format, process.stdout);
    }
  } finally {
    await session.close();
  }
}
