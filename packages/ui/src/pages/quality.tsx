import type { PageProps } from '../app.js';
import { Async } from '../components/status.js';
import { useApi } from '../components/use-api.js';
import { when } from '../components/format.js';
import { href } from '../router.js';
import type { CheckResult, Run } from '../types.js';
import { ChecksTable } from './table-page.js';

/** Quality: failing and warning checks across the readable tables. */
export function QualityPage(_props: PageProps) {
  const checks = useApi<CheckResult[]>('/v1/checks');
  // Blocked writes show up as failed ingest runs; the server has no route listing the staged snapshots themselves.
  const runs = useApi<Run[]>('/v1/runs?kind=ingest&limit=200');
  const blocked = (runs.data ?? []).filter((r) => r.state === 'failed' && /blocked/i.test(r.error ?? ''));
  return (
    <section>
      <h1>Quality</h1>
      <Async state={checks}>
        {(all) => {
          const bad = all.filter((r) => r.status === 'fail' || r.status === 'error');
          const failing = bad.filter((r) => r.severity === 'error');
          const warning = bad.filter((r) => r.severity === 'warn');
          const staged = bad.filter((r) => r.stagedId);
          return (
            <>
              <p class={`alert-state ${failing.length ? 'bad' : warning.length ? 'warn' : 'ok'}`} role="status">
                Alert state: {failing.length ? `${failing.length} failing` : 'no failing checks'}, {warning.length} warning, {all.length - bad.length} of {all.length} checks passing or skipped
              </p>
              <h2>Failing</h2>
              {failing.length ? <ChecksTable results={failing} showTable /> : <p class="muted">None.</p>}
              <h2>Warning</h2>
              {warning.length ? <ChecksTable results={warning} showTable /> : <p class="muted">None.</p>}
              <h2>Staged (blocked) batches</h2>
              {blocked.length > 0 && (
                <ul>
                  {blocked.map((r) => (
                    <li key={r.id}>
                      {when(r.startedAt ?? r.createdAt)} <a href={href('tables', r.target)}>{r.target}</a>: {r.error} (<a href={href('runs', r.id)}>run</a>)
                    </li>
                  ))}
                </ul>
              )}
              {staged.length ? (
                <ul>
                  {[...new Set(staged.map((r) => `${r.table} staged ${r.stagedId}${r.batchId ? ` (batch ${r.batchId})` : ''}`))].map((s) => (
                    <li key={s}>{s}</li>
                  ))}
                </ul>
              ) : (
                <p class="muted">{blocked.length ? 'Above: ingests blocked by error checks (from the runs).' : 'No blocked writes in the recent runs.'} The server has no route listing staged snapshots; `ade quality staged` shows them.</p>
              )}
            </>
          );
        }}
      </Async>
    </section>
  );
}
