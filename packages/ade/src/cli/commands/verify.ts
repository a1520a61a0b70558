import { verifyLake } from '../../lake/index.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';

/** `ade verify`: catalog integrity and every referenced file present (and readable with --read). */
export async function verifyCommand(ctx: CommandContext, opts: { read?: boolean }): Promise<number> {
  const report = await verifyLake(ctx.lake, { readFiles: Boolean(opts.read) });
  ctx.out.result(report, () =>
    report.problems.length === 0
      ? `ok: ${report.tables} tables, ${report.snapshots} snapshots, ${report.files} current files, ${report.ingestedFiles} ingested input files verified`
      : [`${report.problems.length} problem(s):`, ...report.problems.map((p) => `  ${p.table}: ${p.problem}`)].join('\n'),
  );
  return report.problems.length ? EXIT.integrity : EXIT.ok;
}
