import { readFileSync } from 'node:fs';
import { forgetSubject, type ErasureReport } from '../../ingest/index.js';
import { NotFoundError, PermissionError, roleAtLeast, ValidationError } from '../../kernel/index.js';
import { isPiiKind, PII_KINDS, type PiiKind } from '../../privacy/index.js';
import type { CommandContext } from '../context.js';
import { keyringLocation, loadKeyring } from '../keyring-file.js';
import { renderTable } from '../output.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ForgetOptions {
  field: string;
  /** The subject's value; `-` reads it from the first line of stdin (keeps it out of shell history). */
  value: string;
  source?: string;
  kind?: string;
  dryRun?: boolean;
}

/**
 * `ade forget --field f --value v`: erases a data subject from clean,
 * quarantine, raw and archive of every source (or one). Prints counts only:
 * never the value, never its tokens.
 */
export async function forgetCommand(ctx: CommandContext, opts: ForgetOptions, env: Env): Promise<ErasureReport[]> {
  if (!roleAtLeast(ctx.principal.role, 'engineer')) {
    throw new PermissionError('ade forget rewrites data in every zone and needs the engineer role', { hint: 'run `ade forget … --as engineer`' });
  }
  if (opts.kind !== undefined && !isPiiKind(opts.kind)) {
    throw new ValidationError(`unknown kind ${JSON.stringify(opts.kind)}`, { code: 'erasure.kind', hint: `kinds are ${PII_KINDS.join(', ')}` });
  }
  const sources = opts.source === undefined ? ctx.project.sources : ctx.project.sources.filter((s) => s.name === opts.source);
  if (opts.source !== undefined && sources.length === 0) {
    throw new NotFoundError('source', opts.source, {
      hint: ctx.project.sources.length ? `sources in ade.yaml: ${ctx.project.sources.map((s) => s.name).join(', ')}` : 'declare sources under `sources:` in ade.yaml',
    });
  }
  const value = opts.value === '-' ? (readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '') : opts.value;
  const keyring = loadKeyring(keyringLocation(ctx.project, env));
  const reports = await forgetSubject(ctx.lake, ctx.principal, {
    sources,
    keyring,
    field: opts.field,
    value,
    ...(opts.kind ? { kind: opts.kind as PiiKind } : {}),
    ...(opts.dryRun ? { dryRun: true } : {}),
  });
  ctx.out.result({ dryRun: Boolean(opts.dryRun), sources: reports }, () => render(reports, Boolean(opts.dryRun)));
  return reports;
}

function render(reports: readonly ErasureReport[], dryRun: boolean): string {
  if (reports.length === 0) return 'no sources in ade.yaml';
  const n = (x: number) => x.toLocaleString('en-US');
  const rows: unknown[][] = [];
  for (const r of reports) {
    for (const t of r.tables) rows.push([t.table, n(t.rowsRemoved), n(t.filesRewritten)]);
    rows.push([`raw + archive of ${r.source}`, `${n(r.rawFiles.linesRemoved)} line(s)`, n(r.rawFiles.filesRewritten)]);
  }
  const first = reports[0]!;
  const kinds = [...new Set(reports.map((r) => r.kind))].join(', ');
  const lines = [
    `${dryRun ? 'would erase' : 'erased'} the subject of field ${first.field} (kind ${kinds}, ${first.tokens} token(s), one per key)`,
    renderTable(['table', dryRun ? 'rows to remove' : 'rows removed', dryRun ? 'files to rewrite' : 'files rewritten'], rows),
  ];
  for (const r of reports) {
    if (r.tables.some((t) => t.table.startsWith('clean.')) && !r.fieldColumn) {
      lines.push(`${r.source}: no column of clean.${r.source} comes from field ${r.field}; only tokens in text columns were looked for (check the field name)`);
    }
    for (const u of r.rawFiles.unsupported) {
      lines.push(`${r.source}: ${u.zone} file ${u.contentHash.slice(0, 23)} NOT erased: ${u.reason}${u.matchingLines ? ` (${n(u.matchingLines)} line(s) hold the subject)` : ''}`);
    }
  }
  if (!dryRun && reports.some((r) => r.tables.some((t) => t.rowsRemoved > 0))) {
    lines.push('older snapshots still hold the removed rows until they expire: run `ade gc --retention 0s` to finish the erasure now');
  }
  return lines.join('\n');
}
