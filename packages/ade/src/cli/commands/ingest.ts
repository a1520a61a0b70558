import { stat } from 'node:fs/promises';
import { NotFoundError } from '../../kernel/index.js';
import { ingest, resolveInputs, type IngestReport } from '../../ingest/index.js';
import type { CommandContext } from '../context.js';
import { formatBytes } from '../durations.js';
import { keyringLocation, loadKeyring } from '../keyring-file.js';
import { renderTable } from '../output.js';
import { createProgress } from '../progress.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface IngestOptions {
  watch?: boolean;
  interval?: string;
}

/** `ade ingest <source> [path…]`: new files of a source through the privacy path; `--watch` keeps polling. */
export async function ingestCommand(ctx: CommandContext, sourceName: string, paths: readonly string[], opts: IngestOptions, env: Env): Promise<IngestReport | undefined> {
  const source = ctx.project.sources.find((s) => s.name === sourceName);
  if (!source) {
    throw new NotFoundError('source', sourceName, {
      hint: ctx.project.sources.length ? `sources in ade.yaml: ${ctx.project.sources.map((s) => s.name).join(', ')}` : 'declare sources under `sources:` in ade.yaml',
    });
  }
  const keyring = loadKeyring(keyringLocation(ctx.project, env));
  const once = async (files?: readonly string[]) => {
    const progress = createProgress(ctx.out);
    let label = '';
    try {
      return await ingest(ctx.lake, ctx.principal, {
        source,
        ...(files ? { paths: files } : paths.length ? { paths } : {}),
        baseDir: ctx.project.dir,
        keyring,
        onFile: (file, i, total) => {
          label = `${i + 1}/${total} ${file.split('/').at(-1)}`;
        },
        onStage: (stage, fraction) => {
          progress.stage(`${label} ${stage}`, 1000);
          if (fraction !== undefined) progress.tick(Math.round(fraction * 1000), 1000);
        },
      });
    } finally {
      progress.stop();
    }
  };
  if (!opts.watch) {
    const report = await once();
    print(ctx, report);
    return report;
  }
  // --watch: poll the location; a file is taken once its size and time stay the same for one interval.
  const intervalMs = Math.max(200, Number(opts.interval ?? '2') * 1000);
  const seen = new Map<string, string>();
  const stable = new Map<string, string>();
  const done = new Set<string>();
  ctx.out.info(`watching ${paths.length ? paths.join(', ') : source.location} every ${intervalMs / 1000} s (Ctrl-C stops)`);
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop) {
      const files = await resolveInputs(source, paths.length ? paths : undefined, ctx.project.dir).catch(() => [] as string[]);
      const ready: string[] = [];
      for (const f of files) {
        if (done.has(f)) continue;
        const s = await stat(f).catch(() => undefined);
        if (!s) continue;
        const sig = `${s.size}:${s.mtimeMs}`;
        if (seen.get(f) === sig && stable.get(f) !== sig) ready.push(f);
        seen.set(f, sig);
      }
      if (ready.length) {
        const report = await once(ready);
        for (const f of ready) {
          done.add(f);
          stable.set(f, seen.get(f)!);
        }
        print(ctx, report);
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return undefined;
}

function print(ctx: CommandContext, r: IngestReport): void {
  ctx.out.result(r, () => {
    const n = (x: number) => x.toLocaleString('en-US');
    const lines = [
      `ingested ${r.filesIngested} file(s) into clean.${r.source}` + (r.filesSkipped ? `; ${r.filesSkipped} already ingested (skipped)` : ''),
      `  rows read ${n(r.rowsRead)} · written ${n(r.rowsWritten)} · quarantined ${n(r.quarantined)} · deduplicated ${n(r.deduplicated)}`,
      `  ${formatBytes(r.bytes)} in ${r.seconds.toFixed(2)} s · key ${r.keyId} · run ${r.runId}`,
    ];
    for (const f of r.files) {
      if (f.fileError) lines.push(`  ${f.file}: ${f.fileError}`);
      if (f.quarantined) lines.push(`  ${f.file}: ${n(f.quarantined)} row(s) in quarantine.${r.source} (see: ade sql "FROM quarantine.${r.source}" --as engineer)`);
    }
    if (r.detections.length) {
      lines.push('  personal data found (values per field and detector):');
      lines.push(
        renderTable(
          ['field', 'detector', 'found', 'action'],
          r.detections.map((d) => [d.field, d.detector, n(d.count), d.action]),
        )
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n'),
      );
    }
    return lines.join('\n');
  });
}
