import { stat } from 'node:fs/promises';
import { assertCanWrite, formatBytes, NotFoundError, ValidationError } from '../../kernel/index.js';
import { ingest, listBucketInputs, rebuildSource, resolveInputs, type IngestReport } from '../../ingest/index.js';
import type { CommandContext } from '../context.js';
import { keyringLocation, loadKeyring } from '../keyring-file.js';
import { renderTable } from '../output.js';
import { sourceBuckets } from '../source-buckets.js';
import { createProgress } from '../progress.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface IngestOptions {
  watch?: boolean;
  interval?: string;
  rebuild?: boolean;
}

/** `ade ingest <source> [path…]`: new files of a source through the privacy path; `--watch` keeps polling. */
export async function ingestCommand(ctx: CommandContext, sourceName: string, paths: readonly string[], opts: IngestOptions, env: Env): Promise<IngestReport | undefined> {
  const found = ctx.project.sources.find((s) => s.name === sourceName);
  if (!found) {
    throw new NotFoundError('source', sourceName, {
      hint: ctx.project.sources.length ? `sources in ade.yaml: ${ctx.project.sources.map((s) => s.name).join(', ')}` : 'declare sources under `sources:` in ade.yaml',
    });
  }
  const source = found;
  assertCanWrite(ctx.principal, 'raw'); // before the keyring: an analyst learns about the role, not about keys
  const keyring = loadKeyring(keyringLocation(ctx.project, env));
  if (opts.rebuild) {
    if (opts.watch || paths.length) throw new ValidationError('--rebuild reads the files already in the raw zone', { hint: 'drop --watch and the paths' });
    const progress = createProgress(ctx.out);
    let label = '';
    let report: IngestReport;
    try {
      report = await rebuildSource(ctx.lake, ctx.principal, {
        source,
        keyring,
        onFile: (file, i, total) => {
          label = `rebuild ${i + 1}/${total} ${file}`;
        },
        onStage: (stage, fraction) => {
          progress.stage(`${label} ${stage}`, 1000);
          if (fraction !== undefined) progress.tick(Math.round(fraction * 1000), 1000);
        },
      });
    } finally {
      progress.stop();
    }
    print(ctx, report, 'rebuilt');
    return report;
  }
  // s3:// locations use the project's S3 settings (endpoint, credentials), or the AWS defaults.
  const buckets = sourceBuckets(ctx.project);
  const openBucket = (bucket: string) => buckets.open(bucket);
  try {
    return await run();
  } finally {
    await buckets.close();
  }

  async function run(): Promise<IngestReport | undefined> {
    const once = async (files?: readonly string[]) => {
      const progress = createProgress(ctx.out);
      let label = '';
      try {
        return await ingest(ctx.lake, ctx.principal, {
          source,
          ...(files ? { paths: files } : paths.length ? { paths } : {}),
          baseDir: ctx.project.dir,
          keyring,
          openBucket,
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
        const listed = await resolveInputs(source, paths.length ? paths : undefined, ctx.project.dir).catch(() => [] as string[]);
        const files: string[] = [];
        for (const f of listed) {
          if (f.startsWith('s3://')) files.push(...(await listBucketInputs(f, openBucket).catch(() => [] as string[])));
          else files.push(f);
        }
        const ready: string[] = [];
        for (const f of files) {
          if (done.has(f)) continue;
          if (f.startsWith('s3://')) {
            // Objects appear whole (a PUT is atomic): ready as soon as listed.
            ready.push(f);
            seen.set(f, 'object');
            continue;
          }
          const s = await stat(f).catch(() => undefined);
          if (!s) continue;
          const sig = `${s.size}:${s.mtimeMs}`;
          if (seen.get(f) === sig && stable.get(f) !== sig) ready.push(f);
          seen.set(f, sig);
        }
        if (ready.length) {
          try {
            print(ctx, await once(ready));
            for (const f of ready) {
              done.add(f);
              stable.set(f, seen.get(f)!);
            }
          } catch (e) {
            // Watching goes on: the error is shown and the files are tried again next round
            // (those already ingested are skipped by their hash).
            ctx.out.error(e);
          }
        }
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return undefined;
  }
}

function print(ctx: CommandContext, r: IngestReport, verb = 'ingested'): void {
  ctx.out.result(r, () => {
    const n = (x: number) => x.toLocaleString('en-US');
    const lines = [
      `${verb} ${r.filesIngested} file(s) into clean.${r.source}` + (r.filesSkipped ? `; ${r.filesSkipped} already ingested (skipped)` : ''),
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
