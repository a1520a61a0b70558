import type { PageProps } from '../app.js';
import { DataTable } from '../components/data-table.js';
import { when } from '../components/format.js';
import { Async } from '../components/status.js';
import { useApi } from '../components/use-api.js';

interface AuditEvent {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly details: Record<string, unknown>;
}

/** The audit log (admins only; the nav shows it to no one else): raw-zone reads, token changes, erasures, model publishes, denials. */
export function AuditPage(_props: PageProps) {
  const events = useApi<AuditEvent[]>('/v1/audit?limit=200');
  return (
    <section>
      <h1>Audit log</h1>
      <p class="muted">
        The newest 200 events. The log is hash-chained: <code>ade audit verify</code> detects a changed, removed or added event.
      </p>
      <Async state={events}>
        {(list) => (
          <DataTable
            items={list}
            rowKey={(e) => e.id}
            label="Audit log"
            empty="No audit events."
            columns={[
              { header: '#', cell: (e) => e.id },
              { header: 'When', cell: (e) => when(e.at) },
              { header: 'Who', cell: (e) => e.actor },
              { header: 'Action', cell: (e) => e.action },
              { header: 'Target', cell: (e) => e.target },
              { header: 'Details', cell: (e) => (Object.keys(e.details).length ? JSON.stringify(e.details) : ''), class: 'error-cell' },
            ]}
          />
        )}
      </Async>
    </section>
  );
}
