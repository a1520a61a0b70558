import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Collector } from '../collector/collector.js';
import { parseChangeEvents } from '../collector/change-events.js';
import { MAX_REQUEST_BYTES } from '../collector/segment-spec.js';
import { PermissionError, ValidationError, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';

export interface CdcRouteDeps {
  readonly collector: Collector;
  /** Where events that ask for a re-sync are audited. */
  readonly lake: Lake;
}

type WriteKeyRequest = FastifyRequest & { principal?: Principal & { source?: string } };

/**
 * `POST /v1/cdc/<stream>`: change events (Debezium, DynamoDB Streams,
 * Salesforce; a JSON array, one event, `{Records: […]}` or NDJSON) for a
 * source declared with `cdc:` in ade.yaml, sent with that source's write key.
 * The events become change rows (change-events.ts) appended to the
 * collector's durable buffer, which lands them through the privacy path in
 * `clean.<stream>`; `current` models apply them. 200 once they are on disk.
 *
 * A malformed event fails the whole request (400, naming the event and
 * field; nothing is appended). An event that cannot be applied by key — a
 * Salesforce gap or overflow event, a Debezium truncate — is set aside like a
 * quarantined record: the rest lands, and the answer's `resync` and the
 * audit log (`cdc.resync_required`) say what to re-sync.
 */
export function registerCdcRoutes(app: FastifyInstance, deps: CdcRouteDeps): void {
  app.post('/v1/cdc/:stream', { bodyLimit: MAX_REQUEST_BYTES }, async (request: WriteKeyRequest) => {
    const stream = (request.params as { stream: string }).stream;
    const principal = request.principal!;
    if (stream !== principal.source) throw new PermissionError(`this write key sends to ${principal.source ?? 'no source'}, not ${stream}`, { hint: `create one with ade tokens create --ingest ${stream}` });
    const source = deps.collector.source(stream);
    if (!source.cdc) {
      throw new ValidationError(`source ${stream} is not a change stream`, {
        code: 'validation.stream',
        hint: `declare it with cdc: in ade.yaml (sources: ${stream}: cdc: { key: [id] }), or send plain events to /v1/events/${stream}`,
      });
    }
    const { changes, resync, tombstones } = parseChangeEvents(request.body, { key: source.cdc.key });
    if (changes.length > 0) await deps.collector.append(stream, changes);
    for (const notice of resync) {
      await deps.lake.catalog.audit({
        actor: principal.name,
        action: 'cdc.resync_required',
        target: `clean.${stream}`,
        details: { at: notice.at, format: notice.format, source: notice.source, kind: notice.kind, ids: notice.ids.slice(0, 100), message: notice.message },
      });
    }
    return {
      success: true,
      changes: changes.length,
      ...(tombstones > 0 ? { tombstones } : {}),
      ...(resync.length > 0 ? { resync: resync.map((r) => ({ at: r.at, kind: r.kind, source: r.source, ids: r.ids, message: r.message })) } : {}),
    };
  });
}
