import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import type { ObjectStore } from '../storage/index.js';
import { assertCanWrite, formatTableRef, processAlive, uuidv7, ValidationError, type Principal, type TableRef } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { hmacPads, Tokenizer, validateKeyring, type Keyring } from '../privacy/index.js';
import { IngestError } from './errors.js';
import { ingestFile, ledgerInfo, processStored, type FileReport, type IngestStage } from './ingest-file.js';
import type { SourceConfig } from './source-config.js';

export interface IngestRequest {
  readonly source: SourceConfig;
  /** Files, folders or globs; default: the source's location. */
  readonly paths?: readonly string[];
  /** Folder that relative locations are resolved against (the project folder). */
  readonly baseDir: string;
  /** Keys for tokens. Ingest refuses to run without one, or with a known default key. */
  readonly keyring: Keyring | undefined;
  /**
   * Opens the bucket of an `s3://bucket/prefix/*.ndjson` location (the CLI
   * builds it from the project's storage settings). Without it such locations
   * are refused.
   */
  readonly openBucket?: (bucket: string) => Promise<ObjectStore>;
  readonly onFile?: (file: string, index: number, total: number) => void;
  readonly onStage?: (stage: IngestStage, fraction?: number) => void;
  readonly signal?: AbortSignal;
}

/** What one `ade ingest` did, summed over its files. Counts only, no values. */
export interface IngestReport {
  readonly source: string;
  readonly runId: string;
  readonly keyId: string;
  readonly files: readonly FileReport[];
  readonly filesIngested: number;
  readonly filesSkipped: number;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly quarantined: number;
  readonly deduplicated: number;
  readonly bytes: number;
  readonly seconds: number;
  /** Detections summed over files: field, detector, rows. */
  readonly detections: readonly { field: string; detector: string; count: number; action: string }[];
}

/** One input: a local file, or an object fetched from a bucket into a temporary file. */
export interface InputRef {
  /** Local path ade reads. */
  readonly path: string;
  /** Where it came from (`s3://bucket/key` or the local path). */
  readonly origin: string;
}

const GLOB = /[*?[{]/;

/**
 * Input files of a request, sorted: the given paths (files, folders, globs)
 * or the source's location. `s3://bucket/prefix/glob` lists the bucket; its
 * objects are returned as origins to fetch (see `fetchInput`).
 */
export async function resolveInputs(source: SourceConfig, paths: readonly string[] | undefined, baseDir: string): Promise<string[]> {
  const patterns = paths && paths.length ? paths : source.location ? [source.location] : [];
  if (patterns.length === 0) {
    throw new ValidationError(`source ${source.name} has no location and no files were given`, {
      code: 'ingest.no_input',
      hint: `pass files (ade ingest ${source.name} data/*.ndjson) or set sources.${source.name}.location in ade.yaml`,
    });
  }
  const out = new Set<string>();
  for (const p of patterns) {
    if (p.startsWith('s3://')) {
      out.add(p);
      continue;
    }
    const abs = isAbsolute(p) ? p : resolve(baseDir, p);
    const info = await stat(abs).catch(() => undefined);
    if (info?.isFile()) out.add(abs);
    else if (info?.isDirectory()) for (const f of await glob('**/*', { cwd: abs, absolute: true, onlyFiles: true, dot: false })) out.add(f);
    else if (GLOB.test(p)) for (const f of await glob(abs, { absolute: true, onlyFiles: true, dot: false, expandDirectories: false })) out.add(f);
    else {
      throw new ValidationError(`no such file or folder: ${p}`, { code: 'ingest.no_file', hint: 'check the path', details: { path: p } });
    }
  }
  return [...out].sort();
}

/** `s3://bucket/a/b/*.ndjson` → bucket, the listing prefix (up to the first glob character's folder) and a matcher. */
export function parseBucketLocation(url: string): { bucket: string; prefix: string; matches: (key: string) => boolean } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) throw new ValidationError(`not an object-store location: ${url}`, { code: 'ingest.bad_location', hint: 'e.g. s3://my-bucket/landing/events/*.ndjson.gz' });
  const bucket = m[1];
  const rest = m[2] ?? '';
  const globAt = rest.search(GLOB);
  if (globAt < 0) {
    // A prefix: everything under it (a folder), or exactly one object.
    const prefix = rest;
    return { bucket, prefix, matches: (key) => key === prefix || key.startsWith(prefix.endsWith('/') || prefix === '' ? prefix : `${prefix}/`) };
  }
  const prefix = rest.slice(0, rest.lastIndexOf('/', globAt) + 1);
  const isMatch = picomatch(rest, { dot: false });
  return { bucket, prefix, matches: (key) => isMatch(key) };
}

/** The objects an `s3://` location names, sorted by key. */
export async function listBucketInputs(url: string, openBucket: IngestRequest['openBucket']): Promise<string[]> {
  if (!openBucket) {
    throw new ValidationError(`the location ${url} is in an object store, and none is configured`, {
      code: 'ingest.no_bucket',
      hint: 'object-store locations use the credentials and endpoint of the project storage (storage: kind: s3)',
    });
  }
  const { bucket, prefix, matches } = parseBucketLocation(url);
  const store = await openBucket(bucket);
  const keys: string[] = [];
  for await (const o of store.list(prefix)) if (matches(o.key) && !o.key.endsWith('/')) keys.push(`s3://${bucket}/${o.key}`);
  return keys.sort();
}

/** How long an ingest holds its source's lease without renewing it. */
const LEASE_MS = 5 * 60_000;

/**
 * Runs `work` holding the source's ingest lease, renewed while it runs: one
 * ingest (or rebuild) per source at a time across processes and machines, so
 * that dedup against the table sees every earlier commit. A lease whose holder
 * died expires after LEASE_MS.
 */
export async function withIngestLease<T>(lake: Lake, principal: Principal, source: string, work: () => Promise<T>): Promise<T> {
  // `<principal>:<host>:<pid>:<uuid>`: a lease held by a process on this machine that no longer runs (killed) is taken over at once.
  const owner = `${principal.name}:${hostname()}:${process.pid}:${uuidv7()}`;
  let got = await lake.catalog.acquireIngestLease(source, owner, LEASE_MS);
  if (got.owner !== owner) {
    const parts = got.owner.split(':');
    const [host, pid] = [parts.at(-3), Number(parts.at(-2))];
    if (parts.length >= 4 && host === hostname() && Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) {
      await lake.catalog.releaseIngestLease(source, got.owner);
      got = await lake.catalog.acquireIngestLease(source, owner, LEASE_MS);
    }
  }
  if (got.owner !== owner) {
    const parts = got.owner.split(':');
    const holder = parts.length >= 4 ? `${parts.slice(0, -3).join(':')} on ${parts.at(-3)}, pid ${parts.at(-2)}` : parts.slice(0, -1).join(':');
    throw new IngestError('ingest.busy', `source ${source} is being ingested by another process (${holder})`, {
      hint: `try again when it is done; its lease ends at ${got.expiresAt.toISOString()} unless renewed`,
      retryable: true,
    });
  }
  const renew = setInterval(() => void lake.catalog.acquireIngestLease(source, owner, LEASE_MS).catch(() => undefined), LEASE_MS / 3);
  renew.unref();
  try {
    return await work();
  } finally {
    clearInterval(renew);
    await lake.catalog.releaseIngestLease(source, owner).catch(() => undefined);
  }
}

/**
 * `ade ingest <source> [path…]`: every new file (by content hash) of the
 * source goes through the privacy path into `clean.<source>`; files seen
 * before are reported as skipped. One run in the ledger covers the call.
 */
export async function ingest(lake: Lake, principal: Principal, req: IngestRequest): Promise<IngestReport> {
  assertCanWrite(principal, 'raw');
  if (!req.keyring) {
    throw new IngestError('privacy.no_key', 'ingest needs a keyring to tokenize personal data, and none is configured', {
      hint: 'create one with `ade keys create` (it is kept outside the project), or point privacy.keyring in ade.yaml at one',
    });
  }
  validateKeyring(req.keyring);
  return withIngestLease(lake, principal, req.source.name, () => ingestLocked(lake, principal, req));
}

async function ingestLocked(lake: Lake, principal: Principal, req: IngestRequest): Promise<IngestReport> {
  const started = performance.now();
  const keyring = validateKeyring(req.keyring!);
  const tokenizer = new Tokenizer(keyring, { maxCacheSize: 1_000_000 });
  const { ipad, opad } = hmacPads(keyring, tokenizer.keyId);
  const resolved = await resolveInputs(req.source, req.paths, req.baseDir);
  const files: string[] = [];
  for (const f of resolved) {
    if (f.startsWith('s3://')) files.push(...(await listBucketInputs(f, req.openBucket)));
    else files.push(f);
  }
  let fetchDir: string | undefined;
  const run = await lake.catalog.createRun({
    kind: 'ingest',
    target: formatTableRef({ zone: 'clean', name: req.source.name }),
    info: { files: files.length, by: principal.name, keyId: tokenizer.keyId },
  });
  await lake.catalog.updateRun(run.id, { state: 'running', attemptsIncrement: true });
  const reports: FileReport[] = [];
  try {
    for (const [i, file] of files.entries()) {
      req.signal?.throwIfAborted();
      req.onFile?.(file, i, files.length);
      let local = file;
      if (file.startsWith('s3://')) {
        // Objects are fetched into a private temporary folder, ingested, and removed.
        fetchDir ??= await mkdtemp(join(tmpdir(), 'ade-fetch-'));
        const { bucket } = parseBucketLocation(file);
        const key = file.slice(`s3://${bucket}/`.length);
        local = join(fetchDir, `${i}-${basename(key)}`);
        const store = await req.openBucket!(bucket);
        await pipeline(await store.getStream(key), createWriteStream(local, { flags: 'wx' }));
      }
      try {
        const report = await ingestFile(
          { lake, principal, source: req.source, tokenizer, pads: { ipad, opad }, ...(req.onStage ? { onStage: req.onStage } : {}) },
          local,
          file.startsWith('s3://') ? basename(file) : undefined,
        );
        reports.push(file === local ? report : { ...report, file });
      } finally {
        if (local !== file) await rm(local, { force: true });
      }
    }
  } catch (e) {
    await lake.catalog
      .updateRun(run.id, { state: 'failed', error: e instanceof Error ? e.message : String(e), info: summary(reports) })
      .catch(() => undefined);
    throw e;
  } finally {
    if (fetchDir) await rm(fetchDir, { recursive: true, force: true });
  }
  const report: IngestReport = {
    source: req.source.name,
    runId: run.id,
    keyId: tokenizer.keyId,
    files: reports,
    ...summary(reports),
    seconds: (performance.now() - started) / 1000,
  };
  await lake.catalog.updateRun(run.id, { state: 'succeeded', info: { ...summary(reports), seconds: report.seconds } });
  return report;
}

function summary(reports: readonly FileReport[]) {
  const sum = (k: 'rowsRead' | 'rowsWritten' | 'quarantined' | 'deduplicated' | 'bytes') => reports.reduce((s, r) => s + r[k], 0);
  const detections = new Map<string, { field: string; detector: string; count: number; action: string }>();
  for (const r of reports) {
    for (const d of r.detections) {
      const key = `${d.field}\u0000${d.detector}\u0000${d.action}`;
      const cur = detections.get(key);
      if (cur) cur.count += d.count;
      else detections.set(key, { ...d });
    }
  }
  return {
    filesIngested: reports.filter((r) => r.status === 'ingested').length,
    filesSkipped: reports.filter((r) => r.status === 'skipped').length,
    rowsRead: sum('rowsRead'),
    rowsWritten: sum('rowsWritten'),
    quarantined: sum('quarantined'),
    deduplicated: sum('deduplicated'),
    bytes: sum('bytes'),
    detections: [...detections.values()],
  };
}



export interface RebuildRequest {
  readonly source: SourceConfig;
  readonly keyring: Keyring | undefined;
  readonly onFile?: (file: string, index: number, total: number) => void;
  readonly onStage?: (stage: IngestStage, fraction?: number) => void;
}

/**
 * Rebuilds `clean.<source>` and `quarantine.<source>` from the files kept in
 * the raw and archive zones, with the keyring's active key and the source's
 * current policy (after `ade keys rotate`, or a policy change). The tables are
 * emptied in one commit each, then refilled file by file in ledger order; a
 * rebuild that stops half way is completed by running it again.
 */
export async function rebuildSource(lake: Lake, principal: Principal, req: RebuildRequest): Promise<IngestReport> {
  assertCanWrite(principal, 'raw');
  return withIngestLease(lake, principal, req.source.name, () => rebuildLocked(lake, principal, req));
}

async function rebuildLocked(lake: Lake, principal: Principal, req: RebuildRequest): Promise<IngestReport> {
  const started = performance.now();
  if (!req.keyring) {
    throw new IngestError('privacy.no_key', 'a rebuild needs a keyring to tokenize personal data, and none is configured', {
      hint: 'create one with `ade keys create`, or point privacy.keyring in ade.yaml at one',
    });
  }
  const keyring = validateKeyring(req.keyring);
  const tokenizer = new Tokenizer(keyring, { maxCacheSize: 1_000_000 });
  const { ipad, opad } = hmacPads(keyring, tokenizer.keyId);
  const files = (await lake.catalog.listIngestedFiles({ source: req.source.name })).filter((f) => f.zone !== 'deleted');
  const run = await lake.catalog.createRun({
    kind: 'ingest.rebuild',
    target: formatTableRef({ zone: 'clean', name: req.source.name }),
    info: { files: files.length, by: principal.name, keyId: tokenizer.keyId },
  });
  await lake.catalog.updateRun(run.id, { state: 'running', attemptsIncrement: true });
  const reports: FileReport[] = [];
  const salt = uuidv7();
  try {
    for (const zone of ['clean', 'quarantine'] as const) {
      const ref: TableRef = { zone, name: req.source.name };
      const table = await lake.catalog.getTable(ref);
      if (!table || table.currentSnapshotId === undefined) continue;
      const pinned = await lake.catalog.pin(ref);
      await lake.catalog.commit({
        table: ref,
        operation: 'replace',
        baseSnapshotId: pinned.snapshot?.id ?? null,
        added: [],
        batchId: `rebuild-${salt}`,
        committer: principal.name,
        summary: { rows: 0, files: 0, bytes: 0, source: 'ingest.rebuild', keyId: tokenizer.keyId },
        retryOnConflict: false,
      });
    }
    await lake.catalog.audit({ actor: principal.name, action: 'ingest.rebuild', target: `source:${req.source.name}`, details: { files: files.length, keyId: tokenizer.keyId } });
    for (const [i, f] of files.entries()) {
      req.onFile?.(f.name, i, files.length);
      const workDir = await lake.store.stagingDir();
      try {
        const ctx = { lake, principal, source: req.source, tokenizer, pads: { ipad, opad }, batchSalt: salt, ...(req.onStage ? { onStage: req.onStage } : {}) };
        const report = await processStored(ctx, { rawKey: f.rawKey, name: f.name, contentHash: f.contentHash, bytes: f.bytes }, workDir);
        await lake.catalog.updateIngestedFile(req.source.name, f.contentHash, { info: ledgerInfo(ctx, report) });
        reports.push({ ...report, file: f.name });
      } finally {
        await rm(workDir, { recursive: true, force: true });
      }
    }
  } catch (e) {
    await lake.catalog.updateRun(run.id, { state: 'failed', error: e instanceof Error ? e.message : String(e), info: summary(reports) }).catch(() => undefined);
    throw e;
  }
  const report: IngestReport = { source: req.source.name, runId: run.id, keyId: tokenizer.keyId, files: reports, ...summary(reports), seconds: (performance.now() - started) / 1000 };
  await lake.catalog.updateRun(run.id, { state: 'succeeded', info: { ...summary(reports), seconds: report.seconds } });
  return report;
}
