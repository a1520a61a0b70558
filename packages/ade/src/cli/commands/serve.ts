import { checkServerSecret } from '../../api/api-tokens.js';
import { createApiServer } from '../../api/server.js';
import { Collector } from '../../collector/collector.js';
import { sourceTimeColumns } from '../../ingest/index.js';
import { ValidationError } from '../../kernel/index.js';
import { openContext, type GlobalOptions } from '../context.js';
import { keyringLocation, loadKeyring } from '../keyring-file.js';

export interface ServeOptions extends GlobalOptions {
  host?: string;
  port?: string;
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
    const app = createApiServer({
      collector,
      lake: ctx.lake,
      quality: ctx.quality,
      secret,
      version,
      project: { dir: ctx.project.dir, timeColumns: sourceTimeColumns(ctx.project.sources) },
      onError: (e, request) => process.stderr.write(`error in ${request}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`),
    });
    const url = await app.listen({ host, port });
    // Signals are handled before the URL is announced: whoever reads it may stop the server at once.
    const stopped = new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        ctx.out.info('ade serve: stopping (finishing requests in flight)');
        // Stop accepting, finish requests in flight (and triggered builds), then flush what the collector holds.
        void app
          .close()
          .then(() => collector.close())
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
