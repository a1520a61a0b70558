import type { PageProps } from '../app.js';
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
          <table class="grid" aria-label="Audit log">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {list.map((e) => (
                <tr key={e.id}>
                  <td>{e.id}</td>
                  <td>{when(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td>{e.target}</td>
                  <td class="error-cell">{Object.keys(e.details).length ? JSON.stringify(e.details) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
    </section>
  );
}
