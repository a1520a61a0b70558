import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { createApiServer, type ApiServerDeps } from '../api/server.js';
import { Collector } from '../collector/collector.js';
import { sourceTimeColumns } from '../ingest/index.js';
import { ValidationError } from '../kernel/index.js';
import type { Keyring } from '../privacy/index.js';
import type { CommandContext } from './context.js';

/** The server of a project: its collector (buffer in `collector.dir`) and the API app over both. */
export interface ApiParts {
  readonly collector: Collector;
  readonly app: FastifyInstance;
  /** Stops accepting, lets requests in flight finish, then flushes and closes the collector. */
  close(): Promise<void>;
}

export interface ApiPartsOptions {
  readonly keyring: Keyring;
  readonly secret: string;
  readonly version: string;
  /** Overrides `collector.flush_interval` (the demo flushes after each delivery itself). */
  readonly flushIntervalMs?: number;
  /** Flush failures (kept for the next flush) and damaged buffer bytes (quarantined, audited). */
  readonly log: (message: string) => void;
  /** More of the server's dependencies (schedules, limits, query workers…). */
  readonly deps?: Partial<Omit<ApiServerDeps, 'lake' | 'quality' | 'collector' | 'secret' | 'version' | 'project' | 'experiments'>>;
}

/**
 * Opens the project's collector (flushing what a previous run acknowledged)
 * and builds the API server over it, as `ade serve` and `ade demo` run it.
 * The app is not listening yet.
 */
export async function openApiParts(ctx: CommandContext, opts: ApiPartsOptions): Promise<ApiParts> {
  const collector = await Collector.open(ctx.lake, {
    ...ctx.project.collector,
    ...(opts.flushIntervalMs !== undefined ? { flushIntervalMs: opts.flushIntervalMs } : {}),
    sources: ctx.project.sources,
    baseDir: ctx.project.dir,
    keyring: opts.keyring,
    onError: opts.log,
    onDamage: (m) => {
      opts.log(m);
      void ctx.lake.catalog.audit({ actor: 'collector', action: 'collector.damage', target: 'collector', details: { message: m } }).catch(() => undefined);
    },
  });
  const uiDir = opts.deps?.uiDir ?? builtUiDir();
  const app = createApiServer({
    ...opts.deps,
    ...(uiDir !== undefined ? { uiDir } : {}),
    collector,
    lake: ctx.lake,
    quality: ctx.quality,
    secret: opts.secret,
    version: opts.version,
    project: { dir: ctx.project.dir, timeColumns: sourceTimeColumns(ctx.project.sources) },
    experiments: { experiments: ctx.project.experiments, metrics: ctx.project.metrics },
    collectorOrigins: ctx.project.collector.allowedOrigins,
    onError: (e, request) => opts.log(`error in ${request}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
  });
  return {
    collector,
    app,
    close: async () => {
      await app.close();
      await collector.close();
    },
  };
}

/**
 * The built web UI: the dist/ folder of the @ade/ui workspace package
 * (`npm run build` makes it); undefined when the package is not installed.
 * The folder may not exist yet: the server then says how to build it.
 */
export function builtUiDir(): string | undefined {
  try {
    // @ade/ui exports ./dist as dist/index.html; resolving fails when the file is not built yet.
    return dirname(fileURLToPath(import.meta.resolve('@ade/ui/dist')));
  } catch {
    // Not built (or resolution refused): find the package folder the way Node would, walking up node_modules.
    for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
      const pkg = join(dir, 'node_modules', '@ade', 'ui');
      if (existsSync(join(pkg, 'package.json'))) return join(pkg, 'dist');
      if (dirname(dir) === dir) return undefined;
    }
  }
}

/** `--port` as a port number (0 picks a free one); `fallback` when not given. */
export function parsePort(text: string | undefined, fallback: number): number {
  const port = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError(`--port ${text} is not a port`, { hint: 'a whole number 0 … 65535 (0 picks a free port)' });
  return port;
}
