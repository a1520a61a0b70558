import { loadFile, parseDeclaredColumns, type LoadResult } from '../../lake/index.js';
import { formatBytes, parseTableRef, ValidationError } from '../../kernel/index.js';
import type { CommandContext } from '../context.js';
import { createProgress } from '../progress.js';

export interface LoadOptions {
  table: string;
  mode?: string;
  format?: string;
  columns?: string;
}

/** `ade load <file> --table zone.table`: one file, one commit. */
export async function loadCommand(ctx: CommandContext, file: string, opts: LoadOptions): Promise<LoadResult> {
  const mode = opts.mode ?? 'append';
  if (mode !== 'append' && mode !== 'replace') throw new ValidationError(`unknown --mode ${mode}`, { hint: 'use append or replace' });
  const progress = createProgress(ctx.out);
  let result: LoadResult;
  try {
    result = await loadFile(ctx.lake, ctx.principal, {
      file,
      table: parseTableRef(opts.table),
      mode,
      ...(opts.format ? { format: opts.format } : {}),
      ...(opts.columns ? { columns: parseDeclaredColumns(opts.columns) } : {}),
      onProgress: (stage, done, total) => {
        progress.stage(stage, total ?? 1);
        if (done !== undefined) progress.tick(done, total);
      },
    });
  } finally {
    progress.stop();
  }
  ctx.out.result(result, () => {
    const renamed = Object.entries(result.renamedColumns).map(([a, b]) => `${JSON.stringify(a)}→${b}`);
    return [
      `loaded ${result.rows.toLocaleString('en-US')} rows from ${result.file} into ${result.table} (${mode})`,
      `  snapshot ${result.snapshot.id} · batch ${result.batchId} · ${result.files} file(s), ${formatBytes(result.bytes)} Parquet from ${formatBytes(result.inputBytes)} ${result.format} in ${result.seconds.toFixed(2)} s`,
      ...(result.addedColumns.length ? [`  new columns: ${result.addedColumns.join(', ')}`] : []),
      ...(renamed.length ? [`  renamed columns: ${renamed.join(', ')}`] : []),
    ].join('\n');
  });
  return result;
}
