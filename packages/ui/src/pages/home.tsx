import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { PageProps } from '../app.js';
import { Alert, Async } from '../components/status.js';
import { errorText, useApi } from '../components/use-api.js';
import { href } from '../router.js';
import type { ExperimentSummary, ModelSummary, SearchHit, TableSummary } from '../types.js';

/** A snippet with the server's «matched» words emphasised. */
function Snippet(props: { text: string }) {
  const parts = props.text.split(/«|»/);
  return <span class="snippet">{parts.map((p, i) => (i % 2 ? <mark key={i}>{p}</mark> : p))}</span>;
}

/** Where a search hit leads. */
const hitHref = (h: SearchHit) => (h.kind === 'check' ? `${href('tables', h.table)}` : href('tables', h.table));

/** Home: one search box over the catalog (tables, columns, profiles, checks) and the experiments and models by name. */
export function HomePage(_props: PageProps) {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<readonly SearchHit[]>([]);
  const [error, setError] = useState<string>();
  const tables = useApi<TableSummary[]>('/v1/tables');
  const experiments = useApi<ExperimentSummary[]>('/v1/experiments');
  const models = useApi<ModelSummary[]>('/v1/models');
  useEffect(() => {
    const query = q.trim();
    if (!query) {
      setHits([]);
      setError(undefined);
      return;
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      api.get<SearchHit[]>(`/v1/search?q=${encodeURIComponent(query)}&limit=30`, ctl.signal).then(
        (h) => {
          setHits(h);
          setError(undefined);
        },
        (e: unknown) => {
          if (!ctl.signal.aborted) setError(errorText(e));
        },
      );
    }, 150);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [q]);
  const words = q.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (text: string) => words.length > 0 && words.some((w) => text.toLowerCase().includes(w));
  const named = useMemo(
    () => ({
      experiments: (experiments.data ?? []).filter((e) => matches(`${e.key} ${e.hypothesis ?? ''}`)),
      models: (models.data ?? []).filter((m) => matches(`${m.name} ${m.latest.target} ${m.latest.table}`)),
      tables: (tables.data ?? []).filter((t) => matches(`${t.table} ${t.description ?? ''} ${(t.tags ?? []).join(' ')}`) && !hits.some((h) => h.kind === 'table' && h.table === t.table)),
    }),
    [q, experiments.data, models.data, tables.data, hits],
  );
  return (
    <section>
      <h1>Find data</h1>
      <form role="search" onSubmit={(e) => e.preventDefault()}>
        <label for="search">Search</label>
        <input id="search" type="search" value={q} placeholder="tables, columns, checks, experiments, models…" onInput={(e) => setQ((e.target as HTMLInputElement).value)} autofocus />
      </form>
      {error && <Alert>{error}</Alert>}
      {words.length > 0 && (
        <div class="results" aria-live="polite">
          <h2>Results</h2>
          {hits.length + named.tables.length + named.experiments.length + named.models.length === 0 && <p class="muted">Nothing matches “{q}”.</p>}
          <ul class="hits">
            {named.tables.map((t) => (
              <li key={`t:${t.table}`}>
                <span class="kind">table</span> <a href={href('tables', t.table)}>{t.table}</a> <span class="muted">{t.description}</span>
              </li>
            ))}
            {hits.map((h) => (
              <li key={h.key}>
                <span class="kind">{h.kind}</span>{' '}
                <a href={hitHref(h)}>{h.kind === 'table' ? h.table : `${h.table} — ${h.title}`}</a> <Snippet text={h.snippet} />
              </li>
            ))}
            {named.experiments.map((e) => (
              <li key={`e:${e.key}`}>
                <span class="kind">experiment</span> <a href={href('experiments', e.key)}>{e.key}</a> <span class="muted">{e.hypothesis}</span>
              </li>
            ))}
            {named.models.map((m) => (
              <li key={`m:${m.name}`}>
                <span class="kind">model</span> <a href={href('models', m.name)}>{m.name}</a>{' '}
                <span class="muted">
                  {m.latest.task} of {m.latest.target} on {m.latest.table}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <h2>Tables</h2>
      <Async state={tables}>
        {(list) => (
          <table class="grid">
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col">Kind</th>
                <th scope="col">Owner</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.table}>
                  <td>
                    <a href={href('tables', t.table)}>{t.table}</a>
                  </td>
                  <td>{t.kind}</td>
                  <td>{t.owner ?? ''}</td>
                  <td>{t.description ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
    </section>
  );
}
