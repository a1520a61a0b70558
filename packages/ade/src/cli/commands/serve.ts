import { join } from 'node:path';
import { checkServerSecret } from '../../api/api-tokens.js';
import { createApiServer } from '../../api/server.js';
import { Collector } from '../../collector/collector.js';
import { sourceTimeColumns } from '../../ingest/index.js';
import { isAdeError, parseDuration, ValidationError } from '../../kernel/index.js';
import { Scheduler } from '../../schedule/index.js';
import { openObjectStore, type ObjectStore } from '../../storage/index.js';
import { openContext, type GlobalOptions } from '../context.js';
import { keyringLocation, loadKeyring } from '../keyring-file.js';

export interface ServeOptions extends GlobalOptions {
  host?: string;
  port?: string;
  /** Hidden: the header timeout (a duration, default 10s), for the slow-client tests. */
  headersTimeout?: string;
  /** Hidden: the parse-only and stats routes of bench/collector.mjs. */
  benchEndpoints?: boolean;
}

/**
 * `ade serve`: the HTTP API on 127.0.0.1 (unless told otherwise) until
 * SIGTERM or SIGINT, then a graceful stop: no new connections, in-flight
 * requests finish, background work drains, the lake closes.
 */
export async function serveCommand(opts: ServeOptions, env: Readonly<Record<string, string | undefined>>, version: string): Promise<void> {
  const ctx = await openContext(opts, { deferProfiles: false });
  try {
    const secret = checkServerSecret(env[ctx.project.server.secretEnv]);
    // Ingest through the server tokenizes personal data: refuse to start without the project's keyring.
    const keyring = loadKeyring(keyringLocation(ctx.project, env));
    const port = opts.port === undefined ? ctx.project.server.port : Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError(`--port ${opts.port} is not a port`);
    const host = opts.host ?? ctx.project.server.host;
    const log = (m: string) => process.stderr.write(`${m}\n`);
    const collector = await Collector.open(ctx.lake, {
      ...ctx.project.collector,
      sources: ctx.project.sources,
      baseDir: ctx.project.dir,
      keyring,
      onError: log,
      onDamage: (m) => {
        log(m);
        void ctx.lake.catalog.audit({ actor: 'collector', action: 'collector.damage', target: 'collector', details: { message: m } }).catch(() => undefined);
      },
    });
    // Cron schedules and commit-triggered builds (ade.yaml schedules: and triggers:); started once the server listens.
    const buckets = new Map<string, Promise<ObjectStore>>();
    const scheduler = new Scheduler(ctx.lake, {
      projectDir: ctx.project.dir,
      schedules: ctx.project.schedules,
      triggers: ctx.project.triggers,
      sources: ctx.project.sources,
      timeColumns: sourceTimeColumns(ctx.project.sources),
      keyring,
      openBucket: (bucket) => {
        // s3:// source locations, as `ade ingest` opens them: the project's S3 settings, or the AWS defaults.
        const storage = ctx.project.lake.storage;
        const cacheDir = join(ctx.project.dir, '.ade', 'fetch-cache', bucket);
        if (!buckets.has(bucket)) buckets.set(bucket, openObjectStore(storage.kind === 's3' ? { ...storage, bucket, prefix: '', cacheDir } : { kind: 's3', bucket, prefix: '', region: 'us-east-1', cacheDir }));
        return buckets.get(bucket)!;
      },
      onLog: (m) => log(`ade serve: ${m}`),
      onError: (e, what) => log(`ade serve: ${what} failed: ${isAdeError(e) ? `${e.message}${e.hint ? ` (hint: ${e.hint})` : ''}` : e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    });
    const app = createApiServer({
      collector,
      schedules: scheduler,
      lake: ctx.lake,
      quality: ctx.quality,
      queryWorkers: ctx.project.server.queryWorkers,
      secret,
      version,
      ...(opts.headersTimeout === undefined ? {} : { limits: { headersTimeoutMs: parseDuration(opts.headersTimeout, '--headers-timeout') } }),
      ...(opts.benchEndpoints ? { benchEndpoints: true } : {}),
      project: { dir: ctx.project.dir, timeColumns: sourceTimeColumns(ctx.project.sources) },
      onError: (e, request) => process.stderr.write(`error in ${request}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`),
    });
    const url = await app.listen({ host, port });
    await scheduler.start().catch(async (e: unknown) => {
      await app.close();
      throw e;
    });
    // Signals are handled before the URL is announced: whoever reads it may stop the server at once.
    const stopped = new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        ctx.out.info('ade serve: stopping (finishing requests in flight)');
        // Stop the scheduler (its job or build running finishes), stop accepting, finish requests in flight (and
        // triggered builds), then flush what the collector holds.
        void scheduler
          .stop()
          .catch((e: unknown) => log(`ade serve: stopping the scheduler: ${e instanceof Error ? e.message : String(e)}`))
          .then(() => app.close())
          .then(() => collector.close())
          .then(async () => void (await Promise.allSettled([...buckets.values()].map(async (b) => (await b).close()))))
          .then(resolve, (e: unknown) => {
            log(`ade serve: stopping: ${e instanceof Error ? e.message : String(e)}`);
            resolve();
          });
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    ctx.out.result({ url, host, port: (app.server.address() as { port: number }).port, pid: process.pid }, () => `ade serve: listening on ${url} (Ctrl-C stops it)`);
    await stopped;
    await ctx.quality.drain();
  } finally {
    await ctx.lake.close();
  }
}
