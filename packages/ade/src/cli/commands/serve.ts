import { checkServerSecret } from '../../api/api-tokens.js';
import { sourceTimeColumns } from '../../ingest/index.js';
import { isAdeError, parseDuration } from '../../kernel/index.js';
import { Scheduler } from '../../schedule/index.js';
import { openApiParts, parsePort } from '../api-parts.js';
import { openContext, type GlobalOptions } from '../context.js';
import { keyringLocation, loadKeyring } from '../keyring-file.js';
import { sourceBuckets } from '../source-buckets.js';

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
    const port = parsePort(opts.port, ctx.project.server.port);
    const host = opts.host ?? ctx.project.server.host;
    const log = (m: string) => process.stderr.write(`${m}\n`);
    // Cron schedules and commit-triggered builds (ade.yaml schedules: and triggers:); started once the server listens.
    const buckets = sourceBuckets(ctx.project);
    const scheduler = new Scheduler(ctx.lake, {
      projectDir: ctx.project.dir,
      schedules: ctx.project.schedules,
      triggers: ctx.project.triggers,
      sources: ctx.project.sources,
      timeColumns: sourceTimeColumns(ctx.project.sources),
      keyring,
      openBucket: (bucket) => buckets.open(bucket),
      onLog: (m) => log(`ade serve: ${m}`),
      onError: (e, what) => log(`ade serve: ${what} failed: ${isAdeError(e) ? `${e.message}${e.hint ? ` (hint: ${e.hint})` : ''}` : e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    });
    const server = await openApiParts(ctx, {
      keyring,
      secret,
      version,
      log,
      deps: {
        schedules: scheduler,
        queryWorkers: ctx.project.server.queryWorkers,
        limits: {
          ...ctx.project.server.rateLimit,
          ...(opts.headersTimeout === undefined ? {} : { headersTimeoutMs: parseDuration(opts.headersTimeout, '--headers-timeout') }),
        },
        ...(opts.benchEndpoints ? { benchEndpoints: true } : {}),
      },
    });
    const { app } = server;
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
          .then(() => server.close())
          .then(() => buckets.close())
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
