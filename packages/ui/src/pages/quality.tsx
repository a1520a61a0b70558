import type { PageProps } from '../app.js';
import { DataTable } from '../components/data-table.js';
import { Async } from '../components/status.js';
import { useApi } from '../components/use-api.js';
import { num, when } from '../components/format.js';
import { href } from '../router.js';
import type { AlertInfo, CheckResult, StagedWrite } from '../types.js';
import { ChecksTable } from './table-page.js';

/** Quality: failing and warning checks across the readable tables, open alerts and the writes error checks blocked. */
export function QualityPage(_props: PageProps) {
  const checks = useApi<CheckResult[]>('/v1/checks');
  const staged = useApi<StagedWrite[]>('/v1/quality/staged');
  const alerts = useApi<AlertInfo[]>('/v1/alerts?state=open');
  return (
    <section>
      <h1>Quality</h1>
      <Async state={checks}>
        {(all) => {
          const bad = all.filter((r) => r.status === 'fail' || r.status === 'error');
          const failing = bad.filter((r) => r.severity === 'error');
          const warning = bad.filter((r) => r.severity === 'warn');
          return (
            <>
              <p class={`alert-state ${failing.length ? 'bad' : warning.length ? 'warn' : 'ok'}`} role="status">
                Alert state: {failing.length ? `${failing.length} failing` : 'no failing checks'}, {warning.length} warning, {all.length - bad.length} of {all.length} checks passing or skipped
              </p>
              <h2>Failing</h2>
              {failing.length ? <ChecksTable results={failing} showTable /> : <p class="muted">None.</p>}
              <h2>Warning</h2>
              {warning.length ? <ChecksTable results={warning} showTable /> : <p class="muted">None.</p>}
            </>
          );
        }}
      </Async>
      <h2>Open alerts</h2>
      <Async state={alerts}>
        {(list) =>
          list.length ? (
            <ul data-testid="open-alerts">
              {list.map((a) => (
                <li key={a.id}>
                  <a href={href('tables', a.table)}>{a.table}</a>: {a.checkId.slice(a.table.length + 1)} failing since {when(a.openedAt)}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">No open alerts.</p>
          )
        }
      </Async>
      <h2>Staged (blocked) writes</h2>
      <Async state={staged}>
        {(list) => (
          <DataTable
            items={list}
            rowKey={(w) => w.id}
            label="Staged (blocked) writes"
            testid="staged-writes"
            empty="No blocked writes."
            columns={[
              { header: 'Table', cell: (w) => <a href={href('tables', w.table)}>{w.table}</a> },
              { header: 'When', cell: (w) => when(w.createdAt) },
              { header: 'Rows', cell: (w) => num(w.rows) },
              { header: 'By', cell: (w) => w.committer },
              { header: 'Why', cell: (w) => w.reason, class: 'error-cell' },
              { header: 'Staged id', cell: (w) => <code>{w.id}</code> },
            ]}
          />
        )}
      </Async>
      <p class="muted">
        <code>ade quality staged &lt;id&gt; --sql …</code> queries a blocked write as it would have left its table; <code>--discard</code> lets it go.
      </p>
    </section>
  );
}
