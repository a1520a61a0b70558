import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { atLeast, type PageProps } from '../app.js';
import { duration, num, when } from '../components/format.js';
import { Alert, Async } from '../components/status.js';
import { errorText, useApi } from '../components/use-api.js';
import { href } from '../router.js';
import type { Run } from '../types.js';

const POLL_MS = 3000;

/** Runs: the live list (polled), one run's details, and a build trigger for engineers and admins. */
export function RunsPage(props: PageProps) {
  const runs = useApi<Run[]>('/v1/runs?limit=100');
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const canBuild = atLeast(props.me, 'engineer');
  useEffect(() => {
    const timer = setInterval(runs.reload, POLL_MS);
    return () => clearInterval(timer);
  }, [runs.reload]);
  const build = async () => {
    setError(undefined);
    try {
      await api.post('/v1/runs', {});
      setNotice('Build started.');
      runs.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section>
      <h1>Runs</h1>
      <div class="toolbar">
        <button type="button" onClick={() => void build()} disabled={!canBuild} aria-describedby={canBuild ? undefined : 'build-note'}>
          Build all models
        </button>
        {!canBuild && (
          <span id="build-note" class="muted">
            Builds need an engineer or admin token.
          </span>
        )}
        <span class="muted">Refreshes every {POLL_MS / 1000} s.</span>
      </div>
      {notice && <p role="status">{notice}</p>}
      {error && <Alert>{error}</Alert>}
      {props.arg && <RunDetail id={props.arg} />}
      <Async state={runs}>
        {(list) => (
          <table class="grid" aria-label="Runs">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Kind</th>
                <th scope="col">Target</th>
                <th scope="col">State</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col">Rows</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={href('runs', r.id)}>{r.id}</a>
                  </td>
                  <td>{r.kind}</td>
                  <td>{r.target}</td>
                  <td>
                    <span class={`status status-${r.state}`}>{r.state}</span>
                  </td>
                  <td>{when(r.startedAt ?? r.createdAt)}</td>
                  <td>{duration(r.startedAt, r.finishedAt)}</td>
                  <td>{typeof r.info.rows === 'number' ? num(r.info.rows) : ''}</td>
                  <td class="error-cell">{r.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
    </section>
  );
}

function RunDetail(props: { id: string }) {
  const run = useApi<Run>(`/v1/runs/${encodeURIComponent(props.id)}`);
  return (
    <article class="card" aria-label={`Run ${props.id}`}>
      <h2>Run {props.id}</h2>
      <Async state={run}>
        {(r) => (
          <>
            <p>
              {r.kind} {r.target}: <span class={`status status-${r.state}`}>{r.state}</span>, {r.attempts} attempt(s), created {when(r.createdAt)}, {duration(r.startedAt, r.finishedAt)}
            </p>
            {r.error && <Alert>{r.error}</Alert>}
            <h3>Log</h3>
            <pre class="log">{JSON.stringify(r.info, null, 2)}</pre>
          </>
        )}
      </Async>
    </article>
  );
}
